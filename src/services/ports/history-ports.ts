import type { AggregateRow, Aggregation, HistoryQuery, InstanceHistory } from '../../domain/temporal.js';

/** The history of entity attributes: what the NGSI-LD temporal API reads. */
export interface HistoryStore extends InstanceWrites {
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

/** An entity written through NGSI-LD: its feature, and one of its attributes by stored name. */
export interface InstanceOwner {
  readonly collectionKey: number;
  readonly featureId: string;
  readonly attribute: string;
}

/** Changing the stored instances of written entities (the temporal API's attribute operations, clause 5.6.12–5.6.14). */
export interface InstanceWrites {
  /** Removes an attribute's instances: those of one datasetId (null: the default instance series), or all. */
  removeAttribute(owner: InstanceOwner, which: { readonly datasetId: string | null } | 'all'): Promise<number>;
  /** false: no such instance. */
  removeInstance(owner: InstanceOwner, instanceId: string): Promise<boolean>;
  /** Merges members into an instance (its instanceId stays); false: no such instance. */
  patchInstance(owner: InstanceOwner, instanceId: string, members: Readonly<Record<string, unknown>>): Promise<boolean>;
}
