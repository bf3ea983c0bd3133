/** One harvest of a mapping, as recorded. */
export interface HarvestRun {
  readonly runId: number;
  readonly mappingId: string;
  readonly collectionId: string;
  readonly sourceType: string;
  /** Secrets replaced by their ${VAR} reference. */
  readonly sourceUrl: string;
  readonly trigger: RunTrigger;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly counts: RunCounts;
  readonly expected: number | null;
  readonly error: string | null;
  readonly rejections: readonly RunRejection[];
  readonly warnings: readonly RunWarning[];
}

export type RunTrigger = 'cli' | 'schedule' | 'api';

export interface RunCounts {
  pages: number;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  retired: number;
  purged: number;
  rejected: number;
  repaired: number;
  /** Records whose id was already read in the same run (overlapping pages): the first one counts. */
  duplicates: number;
}

export const ZERO_COUNTS: RunCounts = { pages: 0, read: 0, inserted: 0, updated: 0, unchanged: 0, retired: 0, purged: 0, rejected: 0, repaired: 0, duplicates: 0 };

export interface RunRejection {
  readonly id: string | null;
  readonly location: string;
  readonly reason: string;
}

export interface RunWarning {
  readonly location: string;
  readonly message: string;
}

/** How many rejections and warnings a run keeps (the counts are complete). */
export const RUN_DETAIL_LIMIT = 100;
