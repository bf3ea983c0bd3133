import type { AggregateRow, Aggregation, HistoryQuery, InstanceHistory } from '../../domain/temporal.js';

/** The history of entity attributes: what the NGSI-LD temporal API reads. */
export interface HistoryStore {
  /** The instances of the query's entities, at most the instance limit per entity. */
  instances(query: HistoryQuery): Promise<InstanceHistory>;
  /** The instances aggregated per period. */
  aggregated(query: HistoryQuery, aggregation: Aggregation): Promise<AggregateRow[]>;
  /**
   * Keeps the version table's partitions ahead of `now` and, with a retention, removes history that
   * ended before it (an entity's current values always stay).
   */
  maintain(now: Date, retentionMs: number | null): Promise<{ readonly dropped: readonly string[]; readonly expired: number }>;
}
