import type { AttributeInstance, EntityRow } from '../../domain/entity.js';
import { CONTENT_MEMBER } from '../../domain/entity-writes.js';
import type { TermMap } from '../context/term-map.js';
import { ATTRIBUTE_MEMBERS } from '../vocabulary.js';
import type { EntityType } from './entity-types.js';

/** The entity representations of clause 4.5 (keyValues is also called simplified). */
export type EntityFormat = 'normalized' | 'concise' | 'keyValues';

export interface EncodeOptions {
  readonly format: EntityFormat;
  /** Include createdAt and modifiedAt. */
  readonly sysAttrs: boolean;
  /** The names of the response (the request's @context on top of the core). */
  readonly output: TermMap;
  /** The attribute IRIs to return; null: all. */
  readonly attributes: ReadonlySet<string> | null;
  /** Entity members to keep (IRIs, and `id`, `type`) or to leave out; null: no projection. */
  readonly pick: ReadonlySet<string> | null;
  readonly omit: ReadonlySet<string> | null;
  /** A language to pick from LanguageProperties (they are then Properties with `lang`). */
  readonly lang: string | null;
  /** Only the instances with one of these datasetIds (`@none`: the default instances); an attribute left with none is left out. */
  readonly datasetIds?: ReadonlySet<string> | null;
  /** The URL of a feature as an OGC API item, for the entity's `describedBy` link back to it. */
  readonly itemUrl?: (collectionId: string, featureId: string) => string;
}

/** The Property that links an entity to the OGC API item of the same feature (one thing, both APIs). */
const DESCRIBED_BY = 'https://uri.etsi.org/ngsi-ld/default-context/describedBy';

const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';

export type Instance = Record<string, unknown>;

/** URIs (a scheme, then the rest): what a Relationship's object can be. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const isUris = (value: unknown) => (typeof value === 'string' ? URI.test(value) : Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && URI.test(v)));

/**
 * An attribute of an entity that has only values: its value, and what the mapping knows of it; by the
 * Smart Data Models convention a `ref…` attribute holding entity ids is a Relationship.
 */
export function derivedAttribute(name: string, value: unknown, type: EntityType): Instance | null {
  if (value === null || value === undefined) return null;
  const info = type.collection.attributes[name];
  if ((info?.relationship || /^ref[A-Z]/.test(name)) && isUris(value)) return { type: 'Relationship', object: value };
  return { type: 'Property', value, ...(info?.unitCode ? { unitCode: info.unitCode } : {}) };
}

/** Sub-attribute names (stored in the collection's terms) renamed into the response's terms, at every depth. */
export function renamed(instance: AttributeInstance, type: EntityType, output: TermMap): Instance {
  const out: Instance = {};
  for (const [key, member] of Object.entries(instance)) {
    if (ATTRIBUTE_MEMBERS.has(key)) out[key] = member;
    else out[output.compact(type.terms.expand(key))] = member !== null && typeof member === 'object' && !Array.isArray(member) ? renamed(member as AttributeInstance, type, output) : member;
  }
  return out;
}


export function withLanguage(instance: Instance, lang: string | null): Instance {
  if (lang === null || instance['type'] !== 'LanguageProperty') return instance;
  const map = (instance['languageMap'] ?? {}) as Record<string, unknown>;
  const tag = lang in map ? lang : '@none' in map ? '@none' : Object.keys(map)[0];
  const { languageMap: _map, ...rest } = instance;
  return { ...rest, type: 'Property', value: tag === undefined ? null : map[tag], ...(tag !== undefined ? { lang: tag } : {}) };
}

/** Without the system members a normal representation does not show (instanceId belongs to the temporal one). */
export function withoutSystem(instance: Instance, sysAttrs: boolean): Instance {
  const { createdAt, modifiedAt, instanceId: _i, ...rest } = instance;
  return sysAttrs ? { ...rest, ...(createdAt !== undefined && { createdAt }), ...(modifiedAt !== undefined && { modifiedAt }) } : rest;
}

/** Concise (clause 4.5.2.2): the type goes where the content member implies it; a lone simple value stands for itself. */
export function concise(instance: Instance): unknown {
  const type = instance['type'] as string | undefined;
  const content = type ? CONTENT_MEMBER[type] : undefined;
  if (!content || !(content in instance)) return instance;
  const { type: _t, ...rest } = instance;
  const keys = Object.keys(rest);
  const value = rest[content];
  if (type === 'Property' && keys.length === 1 && (value === null || typeof value !== 'object')) return value;
  return rest;
}

/** keyValues (clause 4.5.3): the content alone, wrapped where the bare value would be ambiguous. */
export function keyValue(instance: Instance): unknown {
  switch (instance['type']) {
    case 'Relationship':
      return instance['object'];
    case 'ListProperty':
      return instance['valueList'];
    case 'ListRelationship':
      return instance['objectList'];
    case 'LanguageProperty':
      return { languageMap: instance['languageMap'] };
    case 'JsonProperty':
      return { json: instance['json'] };
    case 'VocabProperty':
      return { vocab: instance['vocab'] };
    default:
      return instance['value'];
  }
}

/** An attribute's instances (normalized, in the response's names) in the representation asked for. */
export function formatAttribute(instances: readonly Instance[], options: EncodeOptions, multiple: boolean): unknown {
  const prepared = instances.map((instance) => withoutSystem(withLanguage(instance, options.lang), options.sysAttrs));
  switch (options.format) {
    case 'normalized':
      return multiple ? prepared : prepared[0];
    case 'concise':
      return multiple ? prepared.map(concise) : concise(prepared[0]!);
    case 'keyValues': {
      if (!multiple) return keyValue(prepared[0]!);
      const dataset: Record<string, unknown> = {};
      for (const instance of prepared) dataset[typeof instance['datasetId'] === 'string' ? instance['datasetId'] : '@none'] = keyValue(instance);
      return { dataset };
    }
  }
}

/** Every attribute of an entity row as normalized instances, by IRI. */
export function attributesOf(row: EntityRow, type: EntityType, output: TermMap): Map<string, { instances: Instance[]; multiple: boolean }> {
  const out = new Map<string, { instances: Instance[]; multiple: boolean }>();
  if (row.attributes) {
    for (const [name, stored] of Object.entries(row.attributes)) {
      const list = Array.isArray(stored) ? stored : [stored as AttributeInstance];
      out.set(type.terms.expand(name), { instances: list.map((instance) => renamed(instance, type, output)), multiple: Array.isArray(stored) });
    }
  } else {
    for (const [name, value] of Object.entries(row.properties)) {
      const attribute = derivedAttribute(name, value, type);
      if (attribute) out.set(type.terms.expand(name), { instances: [attribute], multiple: false });
    }
  }
  if (!out.has(LOCATION) && row.geometry) out.set(LOCATION, { instances: [{ type: 'GeoProperty', value: row.geometry }], multiple: false });
  return out;
}

/**
 * Entities a harvest or import keeps link to their OGC API item. Entities written through NGSI-LD
 * read back exactly as written (what clients and the ETSI suite compare); their item is at the same
 * place by the same id all the same.
 */
function withItemLink(attributes: ReturnType<typeof attributesOf>, row: EntityRow, type: EntityType, options: EncodeOptions): ReturnType<typeof attributesOf> {
  if (!options.itemUrl || row.featureId === null || row.attributes !== null || attributes.has(DESCRIBED_BY)) return attributes;
  return attributes.set(DESCRIBED_BY, { instances: [{ type: 'Property', value: options.itemUrl(type.collection.id, row.featureId) }], multiple: false });
}

export function kept(member: string, options: Pick<EncodeOptions, 'pick' | 'omit'>): boolean {
  if (options.pick && !options.pick.has(member)) return false;
  return !options.omit?.has(member);
}

/** An entity in the requested representation, with the response's names. */
export function encodeEntity(row: EntityRow, type: EntityType, options: EncodeOptions): Record<string, unknown> {
  const entity: Record<string, unknown> = {};
  if (kept('id', options)) entity['id'] = row.id;
  if (kept('type', options)) entity['type'] = options.output.compact(type.typeIri);
  // Scopes (clause 4.18) in every representation: one as a string, several as an array.
  if (row.scopes?.length && kept('scope', options) && !options.attributes) entity['scope'] = row.scopes.length === 1 ? row.scopes[0] : [...row.scopes];
  for (const [iri, attribute] of withItemLink(attributesOf(row, type, options.output), row, type, options)) {
    if (options.attributes && !options.attributes.has(iri)) continue;
    if (!kept(iri, options)) continue;
    const instances = options.datasetIds ? attribute.instances.filter((i) => options.datasetIds!.has(typeof i['datasetId'] === 'string' ? i['datasetId'] : '@none')) : attribute.instances;
    if (instances.length === 0) continue;
    entity[options.output.compact(iri)] = formatAttribute(instances, options, attribute.multiple && instances.length > 1);
  }
  if (options.sysAttrs && options.format !== 'keyValues') {
    entity['createdAt'] = row.createdAt;
    entity['modifiedAt'] = row.modifiedAt;
  }
  return entity;
}

/** An entity as a GeoJSON Feature (clause 4.5.16): the geometry from `geometryProperty` (an IRI), the rest in `properties`. */
export function entityFeature(row: EntityRow, type: EntityType, options: EncodeOptions, geometryProperty: string): Record<string, unknown> {
  const { id, ...properties } = encodeEntity(row, type, options);
  const source = attributesOf(row, type, options.output).get(geometryProperty)?.instances[0];
  const geometry = source && source['type'] === 'GeoProperty' ? source['value'] : null;
  return { id: id ?? row.id, type: 'Feature', geometry: geometry ?? null, properties };
}
