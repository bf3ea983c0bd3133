import { PlacelinkError } from '../../domain/errors.js';
import type { Geometry, Position } from 'geojson';
import { isCalendarDay, isDateText } from '../../domain/calendar.js';
import type { FeatureRecord } from '../../domain/feature.js';
import type { Mapping, PropertyPath, PropertyRule, Scalar, ValueExpression } from '../../domain/mapping.js';
import type { Rejection, SourceRecord } from '../source-record.js';

export type MappingOutcome = { readonly record: FeatureRecord } | { readonly rejection: Rejection };

/** Thrown inside a rule; becomes the record's rejection. */
/** A value a mapping rule cannot convert; the record is rejected with the message. */
class RuleFailure extends PlacelinkError {
  readonly code = 'mapping-rule';
}

/** Nested JSON objects as a_b names (the INSPIRE GeoJSON encoding rule); arrays are kept as values. */
export function flattenProperties(properties: Readonly<Record<string, unknown>>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(properties)) {
    const name = prefix ? `${prefix}_${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenProperties(value as Record<string, unknown>, name, out);
    else out[name] = value;
  }
  return out;
}

function walk(root: unknown, path: PropertyPath): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

interface Lookup {
  (path: PropertyPath): unknown;
}

/** Paths resolve against the nested properties, then the flattened a_b name, then the dotted key. */
function lookupIn(record: SourceRecord, flat: Readonly<Record<string, unknown>>): Lookup {
  return (path) => {
    if (path.length === 1 && path[0] === '$id') return record.id ?? undefined;
    const nested = walk(record.properties, path);
    if (nested !== undefined || path.length === 1) return nested ?? flat[path[0]!];
    return flat[path.join('_')] ?? record.properties[path.join('.')];
  };
}

const isMissing = (value: unknown) => value === undefined || value === null || value === '';

function evaluate(expression: ValueExpression, lookup: Lookup): unknown {
  switch (expression.kind) {
    case 'constant':
      return expression.value;
    case 'path':
      return lookup(expression.path);
    case 'template': {
      let text = '';
      for (const part of expression.parts) {
        if (typeof part === 'string') {
          text += part;
          continue;
        }
        const value = lookup(part);
        if (isMissing(value)) return undefined;
        text += scalarText(value);
      }
      return text;
    }
  }
}

function scalarText(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function describePath(path: PropertyPath): string {
  return path.join('.');
}

const DATE = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** An RFC 3339 instant in UTC from a date or date-time; dates and zone-less times are read as UTC. */
export function toInstant(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // the common case, a plain date, without the general pattern
  if (value.length === 10 && isDateText(value)) return `${value}T00:00:00.000Z`;
  const match = DATE.exec(value.trim());
  if (!match) return null;
  const [, date, time, zone] = match;
  const [y, m, d] = date!.split('-').map(Number) as [number, number, number];
  if (!isCalendarDay(y, m, d)) return null;
  if (!time) return `${date}T00:00:00.000Z`;
  const text = `${date}T${time.length === 5 ? `${time}:00` : time}${zone ? zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z'}`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function cast(value: unknown, type: NonNullable<PropertyRule['cast']>): unknown {
  switch (type) {
    case 'string':
      return scalarText(value);
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isInteger(n)) throw new RuleFailure(`${JSON.stringify(value)} is not an integer`);
      return n;
    }
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw new RuleFailure(`${JSON.stringify(value)} is not a number`);
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = String(value).trim().toLowerCase();
      if (['true', '1', 'yes', 'y', 'ja', 'oui', 'si', 'sí'].includes(text)) return true;
      if (['false', '0', 'no', 'n', 'nein', 'non'].includes(text)) return false;
      throw new RuleFailure(`${JSON.stringify(value)} is not a boolean`);
    }
    case 'date': {
      const instant = toInstant(value);
      if (!instant) throw new RuleFailure(`${JSON.stringify(value)} is not a date`);
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? value.trim() : instant.slice(0, 10);
    }
    case 'datetime': {
      const instant = toInstant(value);
      if (!instant) throw new RuleFailure(`${JSON.stringify(value)} is not a date or date-time`);
      return instant;
    }
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw new RuleFailure(`${JSON.stringify(value.slice(0, 80))} is not JSON`);
      }
  }
}

const codeOf = (value: unknown) => (typeof value === 'string' ? value.replace(/[/#]+$/, '').replace(/^.*[/#]/, '') : value);

function applyRuleToValue(rule: PropertyRule, raw: unknown): unknown {
  let value = rule.codeValue ? codeOf(raw) : raw;
  if (rule.values) {
    const key = scalarText(value);
    if (Object.hasOwn(rule.values, key)) value = rule.values[key];
    else if (rule.unmatched === 'null') value = null;
    else if (rule.unmatched === 'reject') throw new RuleFailure(`${JSON.stringify(value)} is not one of the mapped values (${Object.keys(rule.values).join(', ')})`);
  }
  if (value === null) return null;
  if (rule.cast) value = cast(value, rule.cast);
  if (rule.unit) {
    const n = typeof value === 'number' ? value : Number(value);
    if (typeof value === 'boolean' || !Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) throw new RuleFailure(`${JSON.stringify(value)} is not a number (unit ${rule.unit.label})`);
    value = n * rule.unit.scale + rule.unit.offset;
  }
  return value;
}

function applyRule(rule: PropertyRule, lookup: Lookup): { set: boolean; value?: unknown } {
  let raw: unknown = rule.constant ? rule.constant.value : lookup(rule.from!);
  if (isMissing(raw) && rule.default !== undefined) raw = rule.default;
  if (isMissing(raw)) {
    if (rule.required) throw new RuleFailure(`has no value${rule.from ? ` (source ${describePath(rule.from)})` : ''}`);
    return raw === undefined ? { set: false } : { set: true, value: null };
  }
  try {
    const value = Array.isArray(raw) && rule.cast !== 'json' ? raw.map((item) => applyRuleToValue(rule, item)) : applyRuleToValue(rule, raw);
    return { set: true, value };
  } catch (error) {
    if (error instanceof RuleFailure && rule.onInvalid === 'null') return { set: true, value: null };
    throw error;
  }
}

function to2d(geometry: Geometry): Geometry {
  const drop = (p: Position): Position => [p[0]!, p[1]!];
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: drop(geometry.coordinates) };
    case 'MultiPoint':
    case 'LineString':
      return { type: geometry.type, coordinates: geometry.coordinates.map(drop) };
    case 'MultiLineString':
    case 'Polygon':
      return { type: geometry.type, coordinates: geometry.coordinates.map((line) => line.map(drop)) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(drop))) };
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geometry.geometries.map(to2d) };
  }
}

/** Source property keys a rule reads (so keepUnmapped does not copy them a second time). */
function consumedKeys(mapping: Mapping): Set<string> {
  const keys = new Set<string>();
  for (const rule of mapping.properties.rules) {
    if (rule.from) {
      keys.add(rule.from[0]!);
      keys.add(rule.from.join('_'));
    }
  }
  return keys;
}

/**
 * Builds the function that turns source records into feature records by the mapping's identifier,
 * property, time and geometry rules; a record that breaks a rule comes back as a rejection with
 * the rule and the reason.
 */
export function recordMapper(mapping: Mapping): (record: SourceRecord) => MappingOutcome {
  const consumed = consumedKeys(mapping);
  const excluded = new Set(mapping.properties.exclude);
  const defaultNamespace = mapping.target.namespace ?? `placelink.${mapping.target.collection}`;
  const { identifiers, properties: rules, geometry: geometryRules, time } = mapping;

  return (record) => {
    const flat = rules.flatten ? flattenProperties(record.properties) : { ...record.properties };
    const lookup = lookupIn(record, flat);
    const reject = (reason: string, id: string | null = null): MappingOutcome => ({ rejection: { id, location: record.location, reason } });

    const idValue = evaluate(identifiers.id, lookup);
    if (isMissing(idValue)) {
      const from = identifiers.id.kind === 'path' ? describePath(identifiers.id.path) : identifiers.id.kind === 'template' ? identifiers.id.template : 'constant';
      return reject(from === '$id' ? 'the feature has no identifier (gml:id, fid or id); set identifiers.id to a property' : `identifiers.id: no value from ${from}`);
    }
    const id = scalarText(idValue);
    const text = (expression: ValueExpression | null, fallback: string, otherwise: string | null): string | null => {
      const value = expression ? evaluate(expression, lookup) : flat[fallback];
      return isMissing(value) ? otherwise : scalarText(value);
    };
    const namespace = text(identifiers.namespace, 'inspireId_namespace', defaultNamespace)!;
    const localId = text(identifiers.localId, 'inspireId_localId', id)!;
    const versionId = text(identifiers.versionId, 'inspireId_versionId', null);

    const properties: Record<string, unknown> = {};
    if (rules.keepUnmapped) {
      for (const [key, value] of Object.entries(flat)) if (!consumed.has(key) && !excluded.has(key)) properties[key] = value;
    }
    for (const [index, rule] of rules.rules.entries()) {
      try {
        const result = applyRule(rule, lookup);
        if (result.set) properties[rule.name] = result.value;
      } catch (error) {
        if (!(error instanceof RuleFailure)) throw error;
        return reject(`properties.rules[${index}] (${rule.name}): ${error.message}`, id);
      }
    }

    let timeStart: string | null = null;
    let timeEnd: string | null = null;
    for (const [field, expression] of [['start', time.start], ['end', time.end]] as const) {
      if (!expression) continue;
      const value = evaluate(expression, lookup);
      if (isMissing(value)) continue;
      const instant = toInstant(value);
      if (!instant) return reject(`time.${field}: ${JSON.stringify(value)} is not a date or date-time`, id);
      if (field === 'start') timeStart = instant;
      else timeEnd = instant;
    }
    if (timeStart && !time.end) timeEnd = timeStart;
    if (timeStart && timeEnd && timeEnd < timeStart) return reject(`time: end ${timeEnd} is before start ${timeStart}`, id);

    if (record.problem) return reject(record.problem, id);
    const wanted = geometryRules.property;
    // A GML property name may be flattened (position_geometry): the mapping can name its last part.
    const chosen = wanted ? record.geometries.find((g) => g.name === wanted || g.name.endsWith(`_${wanted}`)) : record.geometries[0];
    if (chosen && chosen.geometry === null) return reject(`geometry ${chosen.name}: ${chosen.problem}`, id);
    if (!chosen && geometryRules.required) {
      return reject(wanted ? `has no geometry property '${wanted}'` : 'has no geometry (geometry.required is set)', id);
    }
    const geometry = chosen?.geometry ? (geometryRules.dimensions === '2d' ? to2d(chosen.geometry) : chosen.geometry) : null;

    const entity = ngsiLdId(mapping, { id, namespace, localId, versionId });
    if ('missing' in entity) return reject(`identifiers.ngsiLdId: {${entity.missing}} in ${identifiers.ngsiLdId} has no value for this feature`, id);
    return { record: { id, namespace, localId, versionId, ngsiLdId: entity.id, geometry, properties, timeStart, timeEnd } };
  };
}

/** Characters RFC 8141 allows in a URN's namespace-specific string besides unreserved ones and %-escapes. */
const URN_ALLOWED = /%(3A|2F|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/gi;

/**
 * The NGSI-LD entity id of a feature, from the mapping's template: placeholder values are
 * percent-encoded where a URN does not allow them (a space becomes %20). A placeholder without a
 * value (a template using {versionId} for a feature that has none) gives `missing`.
 */
export function ngsiLdId(mapping: Mapping, feature: Pick<FeatureRecord, 'id' | 'namespace' | 'localId' | 'versionId'>): { id: string } | { missing: string } {
  const values: Record<string, Scalar> = {
    type: mapping.ngsiLd?.type ?? mapping.target.collection,
    namespace: feature.namespace,
    localId: feature.localId,
    versionId: feature.versionId,
    id: feature.id,
    collection: mapping.target.collection,
  };
  let missing: string | null = null;
  const id = mapping.identifiers.ngsiLdId.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === null || value === undefined || value === '') missing ??= name;
    return encodeURIComponent(String(value ?? '')).replace(URN_ALLOWED, (escaped) => decodeURIComponent(escaped));
  });
  return missing === null ? { id } : { missing };
}
