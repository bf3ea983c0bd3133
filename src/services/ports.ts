import type { Collection, CollectionDefinition, Queryable } from '../domain/collection.js';
import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection } from '../domain/query.js';

/** A feature as the store hands it out: its position in the stable order and its GeoJSON text. */
export interface FeatureRow {
  readonly seq: string;
  readonly json: string;
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
  /** Features in this chunk. */
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
  upsertBatch(collectionKey: number, records: readonly FeatureRecord[]): Promise<WriteSummary>;
  byId(collectionKey: number, id: string, output: FeatureOutput): Promise<FeatureRow | null>;
  /** Exact number of matches, or null when there are more than `cap`. */
  countMatches(selection: FeatureSelection, cap: number): Promise<number | null>;
}

export interface Repositories {
  readonly collections: CollectionRepository;
  readonly features: FeatureRepository;
}

/** The persistence port the services use; src/db implements it. */
export interface Store extends Repositories {
  /** Streams one page of features from a database cursor. */
  streamPage(query: FeaturePageQuery): Promise<RowStream<PageChunk>>;
  /** The collection's count and data version now (for pages that returned no rows). */
  snapshot(collectionKey: number): Promise<CollectionSnapshot | null>;
  /** Runs `work` in one transaction: all of it is visible to readers, or none of it. */
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
  /** Database reachable and schema current. */
  ready(): Promise<boolean>;
}
