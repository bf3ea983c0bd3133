import type { EntityRow } from '../../domain/entity.js';
import type { PreviousState } from '../../domain/subscription.js';
import { CONTENT_MEMBER } from '../../domain/entity-writes.js';
import { attributesOf, encodeEntity, entityFeature, formatAttribute, kept, type EncodeOptions } from '../entities/entity-encoder.js';
import type { EntityType } from '../entities/entity-types.js';
import { NGSI_LD_NULL } from '../vocabulary.js';
import type { ChangedEntity, CompiledSubscription, TouchedAttributes } from './subscription-matching.js';

/**
 * The entities of a notification (clause 5.3.1 data), as the subscription asks: its format,
 * sysAttrs, attributes/pick/omit, GeoJSON when its endpoint accepts it. With showChanges an updated
 * attribute carries its previous content (previousValue, previousObject, …); a deleted attribute is
 * there with the NGSI-LD Null as its content, and a deleted entity with all its attributes so and
 * its deletedAt.
 */

const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';

/** The member of the previous content for each content member. */
const PREVIOUS: Readonly<Record<string, string>> = {
  value: 'previousValue',
  object: 'previousObject',
  languageMap: 'previousLanguageMap',
  json: 'previousJson',
  vocab: 'previousVocab',
  valueList: 'previousValueList',
  objectList: 'previousObjectList',
};

type Instance = Record<string, unknown>;

export function encodeOptions(compiled: CompiledSubscription): EncodeOptions {
  const n = compiled.subscription.definition.notification;
  return {
    format: n.format ?? 'normalized',
    sysAttrs: n.sysAttrs ?? false,
    output: compiled.output,
    attributes: n.attributes ? new Set(n.attributes) : null,
    pick: n.pick ? new Set(n.pick) : null,
    omit: n.omit ? new Set(n.omit) : null,
    lang: compiled.subscription.definition.lang ?? null,
    datasetIds: compiled.subscription.definition.datasetId ? new Set(compiled.subscription.definition.datasetId) : null,
  };
}

function wantsGeoJson(compiled: CompiledSubscription): boolean {
  return compiled.subscription.definition.notification.endpoint.accept === 'application/geo+json';
}

/** The entity as it was: a row made of the previous state of its changed (or, deleted, all its) attributes. */
function previousRow(entity: Pick<ChangedEntity, 'collectionKey' | 'entityId'>, previous: PreviousState): EntityRow {
  return {
    collectionKey: entity.collectionKey,
    id: entity.entityId,
    featureId: null,
    geometry: previous.location,
    properties: previous.values,
    attributes: previous.attributes,
    createdAt: previous.createdAt ?? '',
    modifiedAt: previous.modifiedAt ?? '',
  };
}

/** The attributes (IRIs) a change touched (TouchedAttributes). */
export function touchedAttributes(entity: ChangedEntity, row: EntityRow | null, type: EntityType, output: CompiledSubscription['output']): TouchedAttributes {
  const iris = (names: ReadonlySet<string>) => [...names].map((name) => (name === 'location' ? LOCATION : type.terms.expand(name)));
  if (entity.event === 'created') return { created: row ? [...attributesOf(row, type, output).keys()] : [], updated: iris(entity.updated), deleted: iris(entity.deleted) };
  if (entity.event === 'deleted') return { created: [], updated: [], deleted: entity.previous ? [...attributesOf(previousRow(entity, entity.previous), type, output).keys()] : [] };
  return { created: iris(entity.created), updated: iris(entity.updated), deleted: iris(entity.deleted) };
}

function included(iri: string, options: EncodeOptions): boolean {
  return (!options.attributes || options.attributes.has(iri)) && kept(iri, options);
}

/**
 * An attribute that is no more: its type, the NGSI-LD Null as content, and (showChanges) what it held.
 * A deleted LanguageProperty's Null is a language map, {"@none": "urn:ngsi-ld:null"} (clause 4.5.18, as
 * the suite's 046_22_11 and 046_34_04 expect); in the notification of a deleted entity the suite
 * (046_37) expects the plain Null for every attribute, so `plain` gives that.
 */
function nulled(previous: Instance, showChanges: boolean, plain = false): Instance {
  const type = typeof previous['type'] === 'string' ? previous['type'] : 'Property';
  const content = CONTENT_MEMBER[type] ?? 'value';
  const nothing = type === 'LanguageProperty' && !plain ? { '@none': NGSI_LD_NULL } : NGSI_LD_NULL;
  return { type, [content]: nothing, ...(showChanges && content in previous ? { [PREVIOUS[content]!]: previous[content] } : {}) };
}

/** The encoded attribute with its previous content added (a concise lone value becomes an object to hold it). */
function withPrevious(encoded: unknown, previous: Instance): unknown {
  const type = typeof previous['type'] === 'string' ? previous['type'] : 'Property';
  const content = CONTENT_MEMBER[type] ?? 'value';
  if (!(content in previous) || Array.isArray(encoded)) return encoded;
  const member = PREVIOUS[content]!;
  if (encoded !== null && typeof encoded === 'object') return { ...(encoded as Instance), [member]: previous[content] };
  return { value: encoded, [member]: previous[content] };
}

/** A deleted entity: id, type, every attribute it had as the NGSI-LD Null, deletedAt. */
function deletedEntity(entity: ChangedEntity, type: EntityType, options: EncodeOptions, showChanges: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (kept('id', options)) out['id'] = entity.entityId;
  if (kept('type', options)) out['type'] = options.output.compact(type.typeIri);
  if (entity.previous) {
    for (const [iri, attribute] of attributesOf(previousRow(entity, entity.previous), type, options.output)) {
      if (included(iri, options)) out[options.output.compact(iri)] = formatAttribute([nulled(attribute.instances[0]!, showChanges, true)], options, false);
    }
    if (options.sysAttrs && options.format !== 'keyValues') {
      if (entity.previous.createdAt) out['createdAt'] = entity.previous.createdAt;
      if (entity.previous.modifiedAt) out['modifiedAt'] = entity.previous.modifiedAt;
    }
  }
  out['deletedAt'] = entity.changedAt;
  return out;
}

/** An entity as it is now, with its changes shown as the subscription asks. */
function currentEntity(entity: ChangedEntity, row: EntityRow, type: EntityType, options: EncodeOptions, showChanges: boolean): Record<string, unknown> {
  const out = encodeEntity(row, type, options);
  if (entity.event !== 'updated' || !entity.previous) return out;
  const previous = attributesOf(previousRow(entity, entity.previous), type, options.output);
  const current = attributesOf(row, type, options.output);
  for (const [iri, attribute] of previous) {
    const name = options.output.compact(iri);
    if (!included(iri, options)) continue;
    if (!current.has(iri)) out[name] = formatAttribute([nulled(attribute.instances[0]!, showChanges)], options, false);
    else if (showChanges && name in out) out[name] = withPrevious(out[name], attribute.instances[0]!);
  }
  return out;
}

/** One entity of a notification: null when it no longer exists (a later change notifies of that). */
export function notifiedEntity(compiled: CompiledSubscription, entity: ChangedEntity, row: EntityRow | null, type: EntityType): Record<string, unknown> | null {
  const options = encodeOptions(compiled);
  const showChanges = (compiled.subscription.definition.notification.showChanges ?? false) && options.format !== 'keyValues';
  const geoJson = wantsGeoJson(compiled);
  if (entity.event === 'deleted') {
    const encoded = deletedEntity(entity, type, options, showChanges);
    if (!geoJson) return encoded;
    const { id, ...properties } = encoded;
    return { id: id ?? entity.entityId, type: 'Feature', geometry: null, properties };
  }
  if (!row) return null;
  if (!geoJson) return currentEntity(entity, row, type, options, showChanges);
  const feature = entityFeature(row, type, options, LOCATION);
  const { id: _id, ...properties } = currentEntity(entity, row, type, options, showChanges);
  return { ...feature, properties };
}

/** The entities of a periodic notification: as they are. */
export function currentState(compiled: CompiledSubscription, row: EntityRow, type: EntityType): Record<string, unknown> {
  const options = encodeOptions(compiled);
  return wantsGeoJson(compiled) ? entityFeature(row, type, options, LOCATION) : encodeEntity(row, type, options);
}

/** The notification's data: the entities, or a FeatureCollection of them for a GeoJSON endpoint. */
export function notificationData(compiled: CompiledSubscription, entities: readonly Record<string, unknown>[]): unknown {
  return wantsGeoJson(compiled) ? { type: 'FeatureCollection', features: entities } : entities;
}
