import type { HarvestRun, RunCounts, RunRejection, RunTrigger, RunWarning } from '../../domain/harvest-run.js';

export interface RunStartInfo {
  readonly mappingId: string;
  readonly collectionId: string;
  readonly sourceType: string;
  readonly sourceUrl: string;
  readonly trigger: RunTrigger;
}

export interface RunOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly counts: RunCounts;
  readonly expected: number | null;
  readonly error: string | null;
  readonly rejections: readonly RunRejection[];
  readonly warnings: readonly RunWarning[];
}

export interface RunRepository {
  start(run: RunStartInfo): Promise<number>;
  /** Marks runs of the collection that a dead process left 'running' as failed; returns their ids. */
  failAbandoned(collectionId: string): Promise<number[]>;
  progress(runId: number, counts: RunCounts, expected: number | null): Promise<void>;
  finish(runId: number, outcome: RunOutcome): Promise<void>;
  list(filter: { mappingId?: string; status?: HarvestRun['status']; limit: number; beforeRunId?: number }): Promise<HarvestRun[]>;
  get(runId: number): Promise<HarvestRun | null>;
  /** Start time of each mapping's latest finished run. */
  lastFinished(): Promise<Map<string, { status: HarvestRun['status']; startedAt: string }>>;
}
