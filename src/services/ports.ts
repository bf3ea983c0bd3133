import type { SensorStore } from './sensor-ports.js';
import type { Collection, CollectionDefinition, Queryable } from '../domain/collection.js';
import type { HarvestRun, RunCounts, RunRejection, RunTrigger, RunWarning } from '../domain/harvest-run.js';
import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection, LinkedValuesOutput } from '../domain/query.js';

/** A feature as the store hands it out: its position in the stable order and its GeoJSON text. */
export interface FeatureRow {
  readonly seq: string;
  readonly json: string;
  /** Only read for single features. */
  readonly ngsiLdId?: string | null;
}

/** A collection's feature count and data version as of the snapshot a page was read in. */
export interface CollectionSnapshot {
  readonly total: number;
  readonly version: number;
}

/** Consecutive features of a page as one piece of GeoJSON text (features joined by commas). */
export interface PageChunk {
  readonly first_seq: string;
  readonly last_seq: string;
  /** Features in this chunk; 0 for the marker that ends a page with features beyond it (`more`). */
  readonly n: number;
  readonly json: string;
  /** With sort keys: the sort key values (a JSON array) of the chunk's first and last feature. */
  readonly first_keys?: string;
  readonly last_keys?: string;
  /** Features lie beyond the page in its reading direction. */
  readonly more: boolean;
  /** The collection's feature count and data version, in the page's snapshot. */
  readonly total: string;
  readonly version: string;
}

/** Rows in batches (one per database fetch), holding a connection until consumed or closed. */
export interface RowStream<Row> extends AsyncIterable<readonly Row[]> {
  close(): Promise<void>;
}

export interface CollectionRepository {
  list(): Promise<Collection[]>;
  get(id: string): Promise<Collection | null>;
  /** Creates the collection (and its storage) or updates its descriptive fields; returns its key. */
  save(definition: CollectionDefinition): Promise<{ key: number; created: boolean }>;
  remove(id: string): Promise<boolean>;
  setQueryables(key: number, queryables: Record<string, Queryable>): Promise<void>;
  /** Recomputes count and extents from the stored features and bumps the data version. */
  refreshStats(key: number): Promise<void>;
  /** Refreshes planner statistics after bulk writes, so spatial and paging queries get good plans. */
  analyze(key: number): Promise<void>;
}

export interface FeatureRepository {
  /** Writes records (ids unique within the batch); invalid geometries are repaired unless `repairInvalid` is false. */
  /**
   * `fresh`: the collection held no feature (current or retired) when the transaction began and no id
   * of `records` was written in it before, which allows a cheaper insert.
   */
  upsertBatch(collectionKey: number, records: readonly FeatureRecord[], options?: { repairInvalid?: boolean; fresh?: boolean }): Promise<WriteSummary>;
  /** `linked`: include the latest values of linked datastreams. */
  byId(collectionKey: number, id: string, output: FeatureOutput, linked?: LinkedValuesOutput): Promise<FeatureRow | null>;
  /** The `updated_at` the writes of the current transaction give (its start): features changed by it are those updated since. */
  writeTime(): Promise<string>;
}

export interface Repositories {
  readonly collections: CollectionRepository;
  readonly features: FeatureRepository;
}

/** The writes of one harvest, all in one transaction that holds the collection's harvest lock. */
export interface HarvestSession extends Repositories {
  /** Notes ids as read by this run; returns those it had not read before. */
  markSeen(ids: readonly string[]): Promise<Set<string>>;
  /** Distinct ids read so far. */
  seenCount(): Promise<number>;
  /** Current features this run has not read, of how many current ones. */
  vanished(collectionKey: number): Promise<{ vanished: number; current: number }>;
  retireVanished(collectionKey: number, at: string): Promise<number>;
  purgeVanished(collectionKey: number): Promise<number>;
  /** Whether the collection holds no feature at all, retired ones included. */
  isEmpty(collectionKey: number): Promise<boolean>;
}

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

/** The persistence port the services use; src/db implements it. */
export interface Store extends Repositories {
  readonly runs: RunRepository;
  /** Sensor sources, datastreams, observations and asset links. */
  readonly sensors: SensorStore;
  /**
   * Runs a harvest's writes in one transaction under the collection's harvest lock: readers see the
   * previous data until it commits, and a failure or a killed process leaves it as it was.
   * Fails with HarvestRunningError when another harvest of the collection holds the lock.
   */
  harvest<T>(collectionId: string, work: (session: HarvestSession) => Promise<T>): Promise<T>;
  /** Whether writes on another connection can run while a harvest transaction is open (not with the embedded database). */
  readonly concurrentWrites: boolean;
  /** Streams one page of features from a database cursor. */
  streamPage(query: FeaturePageQuery): Promise<RowStream<PageChunk>>;
  /** Exact number of matches; null when there are more than `cap` or counting takes longer than `budgetMs`. */
  countFeatures(selection: FeatureSelection, cap: number, budgetMs: number): Promise<number | null>;
  /** The collection's count and data version now (for pages that returned no rows). */
  snapshot(collectionKey: number): Promise<CollectionSnapshot | null>;
  /** Runs `work` in one transaction: all of it is visible to readers, or none of it. */
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
  /** Database reachable and schema current. */
  ready(): Promise<boolean>;
}
