import type { AttributeInfo } from './entity.js';

/** A collection of features as the service knows it (catalog row, not a wire format). */
export interface Collection {
  /** Internal numeric key; never leaves the service. */
  readonly key: number;
  /** Public identifier used in URLs. */
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly keywords: readonly string[];
  readonly license: string | null;
  readonly attribution: string | null;
  readonly itemType: 'feature';
  /** EPSG code the source publishes the data in (request CRS, OGC API storageCrs; recorded for provenance and offered as an output CRS). */
  readonly sourceSrid: number;
  /** EPSG code of the geometry column: always 4326 (longitude/latitude order). */
  readonly storageSrid: number;
  /** INSPIRE identifier namespace shared by the collection's features unless a feature says otherwise. */
  readonly inspireNamespace: string;
  readonly featureCount: number;
  /** [minLon, minLat, maxLon, maxLat] in CRS84, null for an empty collection. */
  readonly spatialExtent: readonly [number, number, number, number] | null;
  readonly temporalExtent: readonly [string | null, string | null] | null;
  readonly geometryTypes: readonly string[];
  readonly queryables: Readonly<Record<string, Queryable>>;
  /** What the mapping that harvests the collection says about it (all null for imported collections). */
  readonly harvest: CollectionHarvestInfo;
  /** Bumped on every committed write; keys caches of counts and conditional requests. */
  readonly dataVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CollectionHarvestInfo {
  readonly mappingId: string | null;
  /** Two-letter INSPIRE theme code. */
  readonly inspireTheme: string | null;
  readonly metadataUrl: string | null;
  /** The NGSI-LD entity type of the features, as `ngsiLdContext` names it; null: the features are no entities. */
  readonly ngsiLdType: string | null;
  /** The @context the type and property names are in (URLs, or inline contexts of collections created through NGSI-LD). */
  readonly ngsiLdContext: readonly unknown[];
  /** e.g. urn:ngsi-ld:Streetlight:{namespace}:{localId} */
  readonly ngsiLdIdTemplate: string | null;
  /** Created by NGSI-LD writes: the API may write its entities (harvested collections are read-only there). */
  readonly ngsiLdWritable: boolean;
  /** What the mapping knows of each property (its unit, whether it refers to other entities). */
  readonly ngsiLdAttributes: Readonly<Record<string, AttributeInfo>>;
}

export const NO_HARVEST_INFO: CollectionHarvestInfo = {
  mappingId: null,
  inspireTheme: null,
  metadataUrl: null,
  ngsiLdType: null,
  ngsiLdContext: [],
  ngsiLdIdTemplate: null,
  ngsiLdWritable: false,
  ngsiLdAttributes: {},
};

/** date: a calendar day (YYYY-MM-DD); timestamp: an instant; array: a JSON array of values. */
export type QueryableType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'timestamp' | 'geometry' | 'array';

/**
 * What a queryable reads when it is not a property: the feature id, the feature geometry or the
 * feature's primary time (time_start). The names are the `x-ogc-role` values of OGC API Common Part 3.
 */
export type QueryableRole = 'id' | 'primary-geometry' | 'primary-instant';

export interface Queryable {
  readonly type: QueryableType;
  readonly title?: string;
  readonly description?: string;
  /** Set: the queryable is a feature member rather than a property of that name. */
  readonly role?: QueryableRole;
}

/** Fields a client (CLI, ingest) may set when creating or updating a collection. */
export interface CollectionDefinition {
  readonly id: string;
  readonly title: string;
  readonly description?: string | null;
  readonly keywords?: readonly string[];
  readonly license?: string | null;
  readonly attribution?: string | null;
  readonly sourceSrid: number;
  readonly inspireNamespace?: string;
  /** Set by harvests; an import leaves what is there. */
  readonly harvest?: CollectionHarvestInfo;
}

const COLLECTION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function isValidCollectionId(id: string): boolean {
  return COLLECTION_ID.test(id);
}
