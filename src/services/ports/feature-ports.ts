import type { Collection, CollectionDefinition, Queryable } from '../../domain/collection.js';
import type { FeatureRecord, WriteSummary } from '../../domain/feature.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection, LinkedValueLinks } from '../../domain/query.js';
import type { CollectionSnapshot, FeatureRow, PageChunk, RowStream } from './rows.js';

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
  /**
   * Writes records (ids unique within the batch); invalid geometries are repaired unless
   * `repairInvalid` is false. `fresh`: the collection held no feature (current or retired) when the
   * transaction began and no id of `records` was written in it before, which allows a cheaper insert.
   */
  upsertBatch(collectionKey: number, records: readonly FeatureRecord[], options?: { repairInvalid?: boolean; fresh?: boolean }): Promise<WriteSummary>;
  /** The `updated_at` the writes of the current transaction give (its start): features changed by it are those updated since. */
  writeTime(): Promise<string>;
}

/** Reading a collection's items a page at a time: what the features query service needs. */
export interface PageSource {
  /** Streams one page from a database cursor. */
  streamPage(query: FeaturePageQuery): Promise<RowStream<PageChunk>>;
  /** Exact number of matches; null when there are more than `cap` or counting takes longer than `budgetMs`. */
  countFeatures(selection: FeatureSelection, cap: number, budgetMs: number): Promise<number | null>;
  /** The collection's count and data version now (for pages that returned no rows). */
  snapshot(collectionKey: number): Promise<CollectionSnapshot | null>;
  /** One item; with `links`, an asset's linked datastreams' latest values too. */
  byId(collectionKey: number, id: string, output: FeatureOutput, links?: LinkedValueLinks): Promise<FeatureRow | null>;
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

/** The writes of imports and harvests, each in one transaction. */
export interface FeatureWrites {
  /**
   * Runs a harvest's writes in one transaction under the collection's harvest lock: readers see the
   * previous data until it commits, and a failure or a killed process leaves it as it was.
   * Fails with HarvestRunningError when another harvest of the collection holds the lock.
   */
  harvest<T>(collectionId: string, work: (session: HarvestSession) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction: all of it is visible to readers, or none of it. */
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
  /** Collections outside a transaction (planner statistics after a commit). */
  readonly collections: CollectionRepository;
  /** Whether writes on another connection can run while a harvest transaction is open (not with the embedded database). */
  readonly concurrentWrites: boolean;
}
