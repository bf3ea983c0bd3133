import type { Geometry } from 'geojson';

/**
 * NGSI-LD entities are the features of collections that name an entity type: the same rows the OGC
 * API serves. A feature's `properties` hold each attribute's value as keyValues (what OGC API
 * clients and filters read); entities written through NGSI-LD also keep their whole normalized
 * attributes (sub-attributes, observedAt, unitCode, datasetIds, relationship objects) in
 * `ngsiAttributes`. Attribute names are stored as the collection's own @context compacts them.
 */

/** The key standing for the Devices (one per datastream) among entity collections; no collection has it. */
export const DEVICE_COLLECTION_KEY = 0;

/** What a collection's mapping says about an attribute it fills, for entities without stored attributes. */
export interface AttributeInfo {
  /** UN/CEFACT common code of the unit the values are in. */
  readonly unitCode?: string;
  /** The values are URIs of other entities. */
  readonly relationship?: boolean;
}

/** The NGSI-LD side of a collection: its entity type and @context, and whether the API may write to it. */
export interface EntityCollection {
  readonly key: number;
  readonly id: string;
  /** The entity type, as the collection's context names it. */
  readonly type: string;
  readonly context: readonly unknown[];
  /** Written through NGSI-LD (a type no mapping declares); harvested collections are read-only there. */
  readonly writable: boolean;
  readonly mappingId: string | null;
  readonly attributes: Readonly<Record<string, AttributeInfo>>;
}

/** A normalized attribute instance as NGSI-LD writes it (type, value/object/…, sub-attributes, metadata). */
export type AttributeInstance = Readonly<Record<string, unknown>>;

/** An entity row as the store reads it. */
export interface EntityRow {
  readonly collectionKey: number;
  readonly id: string;
  /** The feature the entity is (its OGC API item id); null for Devices. */
  readonly featureId: string | null;
  readonly geometry: Geometry | null;
  /** Attribute values (keyValues), by stored name. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Whole attributes by stored name (one instance, or several with datasetIds); null for entities that only have values. */
  readonly attributes: Readonly<Record<string, AttributeInstance | readonly AttributeInstance[]>> | null;
  readonly createdAt: string;
  readonly modifiedAt: string;
  /** Its scopes (clause 4.18), for entities written through NGSI-LD that have any. */
  readonly scopes?: readonly string[] | null;
}

/** A path into an entity: an attribute (stored name), sub-attributes below it, and members of a compound value. */
export interface EntityPath {
  readonly attribute: string;
  readonly subAttributes: readonly string[];
  /** Members of the value: `a[b.c]`. */
  readonly members: readonly string[];
  /** A LanguageProperty's language (`*`: any). */
  readonly language: string | null;
}

/** A literal of a query, with the kind its syntax gives it (values of different kinds never match). */
export type EntityLiteral =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string' | 'uri'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'dateTime' | 'date' | 'time'; readonly value: string };

/** The q language (clause 4.9) resolved against a collection's stored names. */
export type EntityCondition =
  | { readonly kind: 'and' | 'or'; readonly operands: readonly EntityCondition[] }
  | { readonly kind: 'exists'; readonly path: EntityPath }
  | { readonly kind: 'equals'; readonly negated: boolean; readonly path: EntityPath; readonly values: readonly EntityLiteral[] }
  | { readonly kind: 'range'; readonly negated: boolean; readonly path: EntityPath; readonly low: EntityLiteral; readonly high: EntityLiteral }
  | { readonly kind: 'compare'; readonly operator: '>' | '>=' | '<' | '<='; readonly path: EntityPath; readonly value: EntityLiteral }
  | { readonly kind: 'pattern'; readonly negated: boolean; readonly path: EntityPath; readonly pattern: string }
  /** Always false: what cannot match (an attribute name the collection's context cannot hold, say). */
  | { readonly kind: 'never' };

export type GeoRelation = 'near-max' | 'near-min' | 'equals' | 'disjoint' | 'intersects' | 'within' | 'contains' | 'overlaps';

export interface EntityGeoFilter {
  readonly relation: GeoRelation;
  /** For near: metres. */
  readonly distance: number | null;
  readonly geometry: Geometry;
  /** null: `location` (the feature geometry); otherwise the stored name of another GeoProperty. */
  readonly attribute: string | null;
}

/** An attribute name of a collection's entities: the attribute types it comes in and how many entities have it. */
export interface AttributeUse {
  readonly collectionKey: number;
  /** The stored name. */
  readonly name: string;
  readonly types: readonly string[];
  readonly entities: number;
}

/** The entities of some collections that one condition selects (collections sharing one @context are queried together). */
export interface EntitySelection {
  readonly collectionKeys: readonly number[];
  readonly condition: EntityCondition | null;
  /** Entities having at least one of these attributes (the deprecated `attrs` filter)… */
  readonly anyAttribute: readonly string[] | null;
  /** …or a location, when `attrs` names it. */
  readonly withLocation: boolean;
  /** The collections have assets linked to sensors: their entities carry refDevice Relationships. */
  readonly linked: boolean;
  readonly geo: EntityGeoFilter | null;
}

/** A scope query (clause 4.19): each pattern a POSIX regular expression one of the entity's scopes must match. */
export type ScopeCondition = { readonly kind: 'and' | 'or'; readonly operands: readonly ScopeCondition[] } | { readonly kind: 'scope'; readonly pattern: string };

export interface EntityQuery {
  /** OR-ed: each part its collections and its own resolved condition. */
  readonly parts: readonly EntitySelection[];
  readonly ids: readonly string[] | null;
  /** A POSIX regular expression the id must match. */
  readonly idPattern: string | null;
  /** scopeQ: the entities whose scopes it selects (none without scopes). */
  readonly scopes?: ScopeCondition | null;
  readonly limit: number;
  readonly offset: number;
  readonly count: boolean;
}

/** The NGSI-LD side of a collection, or null when its features are no entities. */
export function entityCollectionOf(collection: { readonly key: number; readonly id: string; readonly harvest: CollectionNgsiLd }): EntityCollection | null {
  const h = collection.harvest;
  if (!h.ngsiLdType) return null;
  return { key: collection.key, id: collection.id, type: h.ngsiLdType, context: h.ngsiLdContext, writable: h.ngsiLdWritable, mappingId: h.mappingId, attributes: h.ngsiLdAttributes };
}

type CollectionNgsiLd = {
  readonly mappingId: string | null;
  readonly ngsiLdType: string | null;
  readonly ngsiLdContext: readonly unknown[];
  readonly ngsiLdWritable: boolean;
  readonly ngsiLdAttributes: Readonly<Record<string, AttributeInfo>>;
};
