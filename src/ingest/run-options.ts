import type { RunCounts, RunTrigger } from '../domain/harvest-run.js';
import type { FeatureWrites } from '../services/ports/feature-ports.js';
import type { RunRepository } from '../services/ports/run-ports.js';
import type { SensorPorts } from '../services/ports/sensor-ports.js';

/** What harvests and pulls write to: features in harvest transactions, the sensor side, run records. */
export type IngestStore = FeatureWrites & SensorPorts & { readonly runs: RunRepository };

export interface HarvestProgress {
  readonly runId: number;
  readonly counts: Readonly<RunCounts>;
  readonly expected: number | null;
  readonly elapsedMs: number;
}

export interface HarvestRunOptions {
  readonly trigger: RunTrigger;
  readonly onProgress?: (progress: HarvestProgress) => void;
  /** How often the run record is updated while running (when the database allows a second connection). */
  readonly progressIntervalMs?: number;
  /** Aborting stops the harvest between pages; it is rolled back and recorded as failed. */
  readonly signal?: AbortSignal;
}
