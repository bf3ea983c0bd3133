/**
 * The temporal evolution of entities (NGSI-LD clause 4.5.7): every instance an attribute has had.
 * Three histories answer it: a Device's measured attribute is its datastream's observations, an
 * entity written through NGSI-LD has its stored attribute instances, and a harvested or imported
 * feature has its previous versions (feature_version) with the current row.
 */

/** The time an instance is placed at (clause 4.11): observedAt by default. */
export type TimeProperty = 'observedAt' | 'createdAt' | 'modifiedAt' | 'deletedAt';

/** The temporal query (clause 4.11): before timeAt, at or after timeAt, or from timeAt until endTimeAt. */
export interface TimeWindow {
  readonly relation: 'before' | 'after' | 'between';
  readonly timeAt: string;
  /** For between. */
  readonly endTimeAt: string | null;
}

export const AGGREGATION_METHODS = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

/** An ISO 8601 duration as calendar months and a fixed rest (microseconds); both zero: one period over the whole range. */
export interface AggregationPeriod {
  readonly months: number;
  readonly microseconds: number;
}

export interface Aggregation {
  readonly methods: readonly AggregationMethod[];
  readonly period: AggregationPeriod;
}

/** Whose history: the entities of a page, by their position in it. */
export interface HistorySources {
  /** Devices: the datastream ids. */
  readonly devices: readonly { readonly position: number; readonly datastreamId: string }[];
  /** Entities written through NGSI-LD: their stored instances. */
  readonly written: readonly HistoryFeature[];
  /** Harvested or imported features: their versions. */
  readonly versioned: readonly HistoryFeature[];
}

export interface HistoryFeature {
  readonly position: number;
  readonly collectionKey: number;
  readonly featureId: string;
  /** Stored attribute names to return; null: all. */
  readonly attributes: readonly string[] | null;
}

export interface HistoryQuery {
  readonly sources: HistorySources;
  /** Stored names of the Devices' attributes to return (their measured attribute, location); null: all. */
  readonly deviceAttributes: readonly string[] | null;
  readonly window: TimeWindow | null;
  readonly timeProperty: TimeProperty;
  /** The last N instances of each attribute. */
  readonly lastN: number | null;
  /** Most instances of one entity a response holds; more are cut off (206 with Content-Range). */
  readonly instanceLimit: number;
}

/** One instance of an attribute's history. */
export interface InstanceRow {
  readonly position: number;
  readonly attribute: string;
  /** The instance's time for the time property asked for (RFC 3339), null when it has none. */
  readonly time: string | null;
  /** null: the attribute has instances, all of them past the instance limit (it shows as an empty list). */
  readonly instanceId: string | null;
  /** Written entities: the stored instance; otherwise null (the value below makes one). */
  readonly instance: Readonly<Record<string, unknown>> | null;
  readonly value: unknown;
  /** Observations: the observation time; versions: when the value came (modifiedAt). */
  readonly observedAt: string | null;
  readonly modifiedAt: string | null;
  readonly unitCode: string | null;
}

/** Each entity's instances, and whether some were cut off at the instance limit. */
export interface InstanceHistory {
  readonly rows: readonly InstanceRow[];
  readonly truncated: readonly number[];
}

/** One period of an attribute's aggregated history: each method's value. */
export interface AggregateRow {
  readonly position: number;
  readonly attribute: string;
  /** The attribute type of the instances aggregated (Property, Relationship, …). */
  readonly type: string;
  readonly start: string;
  readonly end: string;
  readonly values: Readonly<Partial<Record<AggregationMethod, unknown>>>;
}
