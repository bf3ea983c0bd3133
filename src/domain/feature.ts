import type { Geometry } from 'geojson';

/** A feature ready to be stored: geometry already in the storage CRS (EPSG:4326, lon/lat). */
export interface FeatureRecord {
  /** Stable identifier within the collection; also the OGC API featureId. */
  readonly id: string;
  /** INSPIRE inspireId: namespace + localId (+ versionId); the NGSI-LD URN derives from these. */
  readonly namespace: string;
  readonly localId: string;
  readonly versionId: string | null;
  /** NGSI-LD entity id from the mapping's template (harvested features); none for plain imports. */
  readonly ngsiLdId?: string | null;
  readonly geometry: Geometry | null;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Primary temporal extent of the feature: an instant has start = end. */
  readonly timeStart: string | null;
  readonly timeEnd: string | null;
}

/** Outcome of writing a batch of features. */
export interface WriteSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Features whose invalid geometry was repaired with ST_MakeValid, with the reason it was invalid. */
  repaired: { id: string; reason: string }[];
  /** Features not written: invalid geometry where repair is off, or an inspireId another feature holds. */
  rejected: { id: string; reason: string }[];
}

/** A stored feature in parts, for APIs that encode features their own way (FeatureEncoding 'parts'). */
export interface FeatureParts {
  readonly id: string;
  /** The NGSI-LD entity id of the thing it describes, when it has one. */
  readonly ngsiLdId: string | null;
  /** In the output CRS requested. */
  readonly geometry: Geometry | null;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly timeStart: string | null;
  readonly timeEnd: string | null;
  /** When the feature was first stored and last changed (RFC 3339); null where the store keeps no such time (observations). */
  readonly createdAt: string | null;
  readonly modifiedAt: string | null;
}
