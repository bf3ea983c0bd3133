import type { Collection, CollectionDefinition, Queryable } from '../domain/collection.js';
import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection } from '../domain/query.js';

/** A feature as the store hands it out: its position in the stable order and its GeoJSON text. */
export interface FeatureRow {
  readonly seq: string;
  readonly json: string;
  /** Set on the look-ahead row of a page read backwards (it belongs to the page before). */
  readonly extra?: boolean;
  /** The row's sort key values as a JSON array, when the page has sort keys. */
  readonly keys?: string | null;
}

/** Rows that hold a database connection until consumed or closed. */
export interface RowStream<Row> extends AsyncIterable<Row> {
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
  streamPage(query: FeaturePageQuery): Promise<RowStream<FeatureRow>>;
  /** Runs `work` in one transaction: all of it is visible to readers, or none of it. */
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
  /** Database reachable and schema current. */
  ready(): Promise<boolean>;
}
