import type { Geometry } from 'geojson';
import type { AttributeInstance } from './entity.js';

/**
 * What NGSI-LD writes (clause 5.6) do to an entity's stored attributes. Requests name attributes
 * by IRI; a collection stores them under the names its own @context gives them (EntityNames). An
 * attribute is one instance or, with datasetIds, several (stored as an array only when there are
 * more than one, as the read path expects); an instance is the normalized attribute with its
 * sub-attributes under their stored names and its system times.
 */

/** A @context's names: a term to its IRI and back (an NGSI-LD TermMap has this shape). */
export interface EntityNames {
  expand(name: string): string;
  compact(iri: string): string;
}

/** The names of any @context (request contexts and the contexts collections keep). */
export interface ContextNames {
  of(context: readonly unknown[]): Promise<EntityNames>;
}

/**
 * An attribute instance as a request gives it, normalized: its members (type, value / object / …,
 * observedAt, unitCode, datasetId, objectType) and sub-attributes, which are keyed by IRI and are
 * instance drafts themselves. A partial draft (Partial Attribute Update, Merge) may lack members.
 */
export interface InstanceDraft {
  readonly members: Readonly<Record<string, unknown>>;
  readonly subAttributes: ReadonlyMap<string, InstanceDraft>;
}

/** Attributes a request writes: each IRI with its instances (distinct datasetIds). */
export type AttributeDrafts = ReadonlyMap<string, readonly InstanceDraft[]>;

export interface EntityDraft {
  readonly id: string;
  /** The entity type IRI; null where a fragment names none. */
  readonly type: string | null;
  readonly attributes: AttributeDrafts;
  /** Its scopes (clause 4.18); undefined: the body gives none; null: NGSI-LD Null (a merge deletes them). */
  readonly scopes?: readonly string[] | null;
}

/** Stored attributes by stored name, as `feature.ngsi_attributes` holds them. */
export type StoredAttributes = Record<string, AttributeInstance | readonly AttributeInstance[]>;

/** An entity as its feature row stores it. */
export interface EntityRecord {
  readonly id: string;
  /** The default (or first) instance of `location`. */
  readonly geometry: Geometry | null;
  /** Each attribute's content by stored name (the default instance's, else the first one's), without `location`. */
  readonly properties: Record<string, unknown>;
  readonly attributes: StoredAttributes;
  readonly scopes: readonly string[] | null;
}

export const NGSI_LD_NULL = 'urn:ngsi-ld:null';
/** What attribute operations name the entity's scopes by (Delete Attribute `/attrs/scope`, the attributes a change updated); no attribute IRI is it. */
export const SCOPE_MEMBER = 'scope';
const LOCATION_IRI = 'https://uri.etsi.org/ngsi-ld/location';

/** The member that holds an attribute's content, by attribute type (clause 4.5). */
export const CONTENT_MEMBER: Readonly<Record<string, string>> = {
  Property: 'value',
  GeoProperty: 'value',
  Relationship: 'object',
  LanguageProperty: 'languageMap',
  JsonProperty: 'json',
  VocabProperty: 'vocab',
  ListProperty: 'valueList',
  ListRelationship: 'objectList',
};

const datasetOf = (instance: { readonly [key: string]: unknown }): string | null => (typeof instance['datasetId'] === 'string' ? instance['datasetId'] : null);

export function draftDatasetId(draft: InstanceDraft): string | null {
  return datasetOf(draft.members);
}

/** Whether a draft is NGSI-LD Null (clause 4.5.5): its content member holds urn:ngsi-ld:null (a LanguageProperty's under @none). */
export function isNullDraft(draft: InstanceDraft): boolean {
  const type = draft.members['type'];
  const member = typeof type === 'string' ? CONTENT_MEMBER[type] : undefined;
  const members = member ? [member] : Object.values(CONTENT_MEMBER);
  return members.some((m) => {
    const content = draft.members[m];
    if (content === NGSI_LD_NULL) return true;
    return m === 'languageMap' && content !== null && typeof content === 'object' && (content as Record<string, unknown>)['@none'] === NGSI_LD_NULL;
  });
}

function storedSubAttributes(draft: InstanceDraft, names: EntityNames): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [iri, sub] of draft.subAttributes) out[names.compact(iri)] = { ...sub.members, ...storedSubAttributes(sub, names) };
  return out;
}

/**
 * A whole instance in stored form: sub-attribute names compacted, and the system times of the
 * attribute (createdAt kept from the instance it replaces, modifiedAt now). Sub-attributes carry
 * none: the read path would show them without sysAttrs.
 */
export function storedInstance(draft: InstanceDraft, names: EntityNames, now: string, replaced: AttributeInstance | null): AttributeInstance {
  const createdAt = replaced && typeof replaced['createdAt'] === 'string' ? replaced['createdAt'] : now;
  return { ...draft.members, ...storedSubAttributes(draft, names), createdAt, modifiedAt: now };
}

/**
 * A partial draft merged into a stored instance: the members and sub-attributes it gives win, the
 * others stay. It is a new instance of the attribute's history, so the stored instanceId goes (the
 * database gives it a new one).
 */
export function mergedInstance(stored: AttributeInstance, draft: InstanceDraft, names: EntityNames, now: string): AttributeInstance {
  const { instanceId: _replaced, ...kept } = stored;
  return { ...kept, ...draft.members, ...storedSubAttributes(draft, names), modifiedAt: now };
}

/** The instances of a stored attribute, as a list. */
export function instancesOf(stored: AttributeInstance | readonly AttributeInstance[] | undefined): AttributeInstance[] {
  if (stored === undefined) return [];
  return Array.isArray(stored) ? [...(stored as readonly AttributeInstance[])] : [stored as AttributeInstance];
}

/** The position of the instance with that datasetId (null: the default instance), or -1. */
export function instanceIndex(instances: readonly AttributeInstance[], datasetId: string | null): number {
  return instances.findIndex((instance) => datasetOf(instance) === datasetId);
}

/** A list of instances as stored: absent when empty, one object, or an array of several. */
export function storedForm(instances: readonly AttributeInstance[]): AttributeInstance | readonly AttributeInstance[] | undefined {
  if (instances.length === 0) return undefined;
  return instances.length === 1 ? instances[0]! : instances;
}

function contentOf(instance: AttributeInstance): unknown {
  const type = typeof instance['type'] === 'string' ? instance['type'] : 'Property';
  const content = instance[CONTENT_MEMBER[type] ?? 'value'];
  if (type === 'ListRelationship' && Array.isArray(content)) return content.map((item) => (item !== null && typeof item === 'object' ? (item as Record<string, unknown>)['object'] : item));
  return content;
}

/** The instance whose content stands for the attribute in keyValues terms: the default one, else the first. */
function representative(instances: readonly AttributeInstance[]): AttributeInstance | undefined {
  return instances.find((instance) => datasetOf(instance) === null) ?? instances[0];
}

/**
 * The feature row of an entity: its stored attributes, each attribute's content in `properties`
 * (what OGC API clients and q read), and the `location` GeoProperty as the geometry.
 */
export function entityRecord(id: string, attributes: StoredAttributes, names: EntityNames, scopes: readonly string[] | null): EntityRecord {
  const location = names.compact(LOCATION_IRI);
  const properties: Record<string, unknown> = {};
  let geometry: Geometry | null = null;
  for (const [name, stored] of Object.entries(attributes)) {
    const instance = representative(instancesOf(stored));
    if (!instance) continue;
    if (name === location) geometry = instance['type'] === 'GeoProperty' ? (instance['value'] as Geometry) : null;
    else properties[name] = contentOf(instance);
  }
  return { id, geometry, properties, attributes, scopes: scopes && scopes.length > 0 ? scopes : null };
}
