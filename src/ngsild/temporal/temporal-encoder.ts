import { DEVICE_COLLECTION_KEY, type EntityRow } from '../../domain/entity.js';
import type { AggregateRow, InstanceRow } from '../../domain/temporal.js';
import { concise, derivedAttribute, keyValue, kept, renamed, withLanguage, withoutSystem, type EncodeOptions, type Instance } from '../entities/entity-encoder.js';
import type { EntityType } from '../entities/entity-types.js';
import type { TemporalFormat } from './temporal-parameters.js';

const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';

/** The history's name for the GeoProperty a feature's or Device's geometry is (see temporal-sql.ts). */
export const GEOMETRY_ATTRIBUTE = '@location';

/** The pair list of the simplified temporal representation (clause 4.5.9), by attribute type. */
const VALUES_MEMBER: Readonly<Record<string, string>> = {
  Property: 'values',
  GeoProperty: 'values',
  Relationship: 'objects',
  LanguageProperty: 'languageMaps',
  JsonProperty: 'jsons',
  VocabProperty: 'vocabs',
  ListProperty: 'valueLists',
  ListRelationship: 'objectLists',
};

export interface TemporalEncodeOptions extends Omit<EncodeOptions, 'format'> {
  readonly format: TemporalFormat;
}

export function attributeIri(name: string, type: EntityType): string {
  return name === GEOMETRY_ATTRIBUTE ? LOCATION : type.terms.expand(name);
}

/** One instance of the history as a normalized attribute instance in the response's names. */
function instanceOf(row: InstanceRow & { readonly instanceId: string }, entity: EntityRow, type: EntityType, options: TemporalEncodeOptions): Instance {
  const id = { instanceId: row.instanceId };
  if (row.instance) return { ...withoutSystem(withLanguage(renamed(row.instance, type, options.output), options.lang), options.sysAttrs), ...id };
  const device = entity.collectionKey === DEVICE_COLLECTION_KEY;
  const time = device ? { observedAt: row.observedAt } : { modifiedAt: row.modifiedAt };
  if (row.attribute === GEOMETRY_ATTRIBUTE) return { type: 'GeoProperty', value: row.value, ...time, ...id };
  if (device) return { type: 'Property', value: row.value, observedAt: row.observedAt, ...(row.unitCode ? { unitCode: row.unitCode } : {}), ...id };
  return { ...(derivedAttribute(row.attribute, row.value, type) ?? { type: 'Property', value: row.value }), ...time, ...id };
}

/** The simplified representation (clause 4.5.9): per datasetId, the [content as keyValues writes it, time] pairs. */
function temporalValues(instances: readonly Instance[], times: readonly (string | null)[]): unknown {
  const byDataset = new Map<string, { type: string; pairs: unknown[][] }>();
  instances.forEach((instance, i) => {
    const type = String(instance['type'] ?? 'Property');
    const dataset = typeof instance['datasetId'] === 'string' ? instance['datasetId'] : '';
    const group = byDataset.get(dataset) ?? { type, pairs: [] };
    group.pairs.push([keyValue(instance) ?? null, times[i]]);
    byDataset.set(dataset, group);
  });
  const out = [...byDataset].map(([dataset, group]) => ({ type: group.type, [VALUES_MEMBER[group.type] ?? 'values']: group.pairs, ...(dataset ? { datasetId: dataset } : {}) }));
  if (out.length === 0) return { type: 'Property', values: [] };
  return out.length === 1 ? out[0] : out;
}

function entityHead(entity: EntityRow, type: EntityType, options: TemporalEncodeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (kept('id', options)) out['id'] = entity.id;
  if (kept('type', options)) out['type'] = options.output.compact(type.typeIri);
  return out;
}

function wanted(iri: string, options: TemporalEncodeOptions): boolean {
  return (!options.attributes || options.attributes.has(iri)) && kept(iri, options);
}

/**
 * An entity's temporal representation (clause 4.5.7 normalized or concise, 4.5.9 temporalValues) from
 * its instances, oldest first; an attribute is always a list of instances (an empty one when the
 * response was cut before its first instance, rows with a null instanceId).
 */
export function encodeTemporalEntity(entity: EntityRow, type: EntityType, instances: readonly InstanceRow[], options: TemporalEncodeOptions): Record<string, unknown> {
  const out = entityHead(entity, type, options);
  const byAttribute = new Map<string, InstanceRow[]>();
  for (const row of instances) {
    const list = byAttribute.get(row.attribute);
    if (list) list.push(row);
    else byAttribute.set(row.attribute, [row]);
  }
  for (const [name, rows] of byAttribute) {
    const iri = attributeIri(name, type);
    if (!wanted(iri, options)) continue;
    const shown = rows.filter((row): row is InstanceRow & { instanceId: string } => row.instanceId !== null);
    const encoded = shown.map((row) => instanceOf(row, entity, type, options));
    const member = options.output.compact(iri);
    if (options.format === 'temporalValues') out[member] = temporalValues(encoded, shown.map((r) => r.time ?? r.modifiedAt));
    else out[member] = options.format === 'concise' ? encoded.map(concise) : encoded;
  }
  if (options.sysAttrs) Object.assign(out, { createdAt: entity.createdAt, modifiedAt: entity.modifiedAt });
  return out;
}

/** An entity's aggregated temporal representation (clause 4.5.19): per attribute and method, [value, start, end] per period. */
export function encodeAggregatedEntity(entity: EntityRow, type: EntityType, aggregates: readonly AggregateRow[], options: TemporalEncodeOptions): Record<string, unknown> {
  const out = entityHead(entity, type, options);
  const byAttribute = new Map<string, Record<string, unknown>>();
  for (const row of aggregates) {
    const iri = attributeIri(row.attribute, type);
    if (!wanted(iri, options)) continue;
    const member = options.output.compact(iri);
    const attribute = byAttribute.get(member) ?? { type: row.attribute === GEOMETRY_ATTRIBUTE ? 'GeoProperty' : row.type };
    for (const [method, value] of Object.entries(row.values)) {
      const periods = (attribute[method] as unknown[][] | undefined) ?? [];
      periods.push([value, row.start, row.end]);
      attribute[method] = periods;
    }
    byAttribute.set(member, attribute);
  }
  for (const [member, attribute] of byAttribute) out[member] = attribute;
  return out;
}
