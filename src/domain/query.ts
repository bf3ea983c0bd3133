import type { FeatureField, FilterCondition, ScalarType } from './filter.js';

/** Spatial and temporal selection values in the service's own terms (already validated). */

/** An axis-aligned box in storage coordinates (lon/lat, EPSG:4326) unless `srid` says otherwise. */
export interface Envelope {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  readonly srid: number;
}

/** A closed or half-open time interval; null means unbounded. Instants have start === end. */
export interface TimeInterval {
  readonly start: Date | null;
  readonly end: Date | null;
}

export interface PropertyEquality {
  readonly name: string;
  readonly value: string | number | boolean;
}

/**
 * Where a page starts: at an offset, or after (before) a feature in the collection's stable order.
 * `skipped` counts the matching features before that point and `dataVersion` says which state of
 * the collection the count belongs to, so a last page can report an exact numberMatched for free.
 */
export type PagePosition =
  | { readonly kind: 'start' }
  | { readonly kind: 'offset'; readonly offset: number }
  | {
      readonly kind: 'after' | 'before';
      readonly seq: string;
      /** The sort key values of that feature, one per sort key (none in the default order). */
      readonly keys: readonly SortValue[];
      readonly skipped: number;
      readonly dataVersion: number;
    };

/** A sort key value as JSON carries it: dates and timestamps as ISO strings; null sorts last. */
export type SortValue = string | number | boolean | null;

/** One key of a requested order; the stable `seq` order always breaks ties. */
export interface SortKey {
  readonly field: FeatureField;
  readonly type: ScalarType;
  readonly direction: 'asc' | 'desc';
}

/** How geometries are written in a response. */
export interface GeometryOutput {
  readonly srid: number;
  /** Write (y, x): the CRS's authority axis order is northing/latitude first. */
  readonly swapAxes: boolean;
  readonly decimals: number;
}

/** Everything that decides which features of a collection match. */
export interface FeatureSelection {
  readonly collectionKey: number;
  /** OR-ed boxes (two for a bbox crossing the antimeridian); empty: no spatial filter. */
  readonly envelopes: readonly Envelope[];
  readonly time: TimeInterval | null;
  readonly equalities: readonly PropertyEquality[];
  readonly filter: FilterCondition | null;
}

/**
 * How the store writes each feature of a page: as a GeoJSON Feature (the OGC API's fast path: the
 * API only joins the text), or as the parts of the row (FeatureParts) for APIs that encode features
 * their own way.
 */
export type FeatureEncoding = 'geojson' | 'parts';

/** How features are written: geometry CRS and precision, which properties (null: all), and in which encoding (default geojson). */
export interface FeatureOutput extends GeometryOutput {
  readonly properties: readonly string[] | null;
  readonly encoding?: FeatureEncoding;
}

/**
 * Where the links an asset's linked sensor values carry point: URL templates owned by the API that
 * writes them, with `{observationCollection}`, `{assetCollection}`, `{asset}` and `{datastream}`
 * standing for the ids (the last two percent-encoded).
 */
export interface LinkedValueLinks {
  readonly observations: string;
  readonly timeseries: string;
}

export interface FeaturePageQuery extends FeatureSelection {
  /** Set for collections whose features have linked datastreams: the features carry their latest values. */
  readonly linkedValues?: LinkedValueLinks;
  /** Empty: the stable `seq` order. */
  readonly order: readonly SortKey[];
  readonly position: PagePosition;
  /** Page size. */
  readonly limit: number;
  readonly output: FeatureOutput;
  /** The selection's exact number of matches when it was already counted (at this data version). */
  readonly knownMatches?: number;
}
