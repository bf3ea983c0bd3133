import { valid as validGeoJson } from 'geojson-validation';
import { isCalendarDay } from '../../domain/calendar.js';
import { CONTENT_MEMBER, NGSI_LD_NULL, type InstanceDraft } from '../../domain/entity-writes.js';
import { InvalidInputError, type InputIssue } from '../../domain/errors.js';
import type { TermMap } from '../context/term-map.js';
import { isAbsoluteUri, isPrefixedName } from '../query/query-syntax.js';
import { ATTRIBUTE_MEMBERS } from '../vocabulary.js';

/**
 * Entities and attributes as NGSI-LD writes send them (clauses 4.5, 5.2, 5.6), read into drafts:
 * normalized and concise forms, multi-attributes (arrays of instances with distinct datasetIds),
 * sub-attributes at any depth; names expanded with the request's @context. Every problem is
 * reported with the JSON pointer of the member and the rule it breaks, all of them at once.
 */

export interface ParsedEntity {
  readonly id: string | null;
  /** The type IRIs, without repetitions (several: a multi-type entity). */
  readonly types: readonly string[];
  readonly attributes: ReadonlyMap<string, readonly InstanceDraft[]>;
  /** Its scopes (clause 4.18) without repetitions; undefined: none given; null: NGSI-LD Null (deletes them, where nulls delete). */
  readonly scopes?: readonly string[] | null;
}

/**
 * A scope (clause 4.18): levels each introduced by '/', as in /Madrid/Gardens/ParqueNorte; no level is
 * empty, and none holds a character scopeQ reserves (# + ; , parentheses) or white space.
 */
export const SCOPE = /^(\/[^/#+;,()\s]+)+$/;

export interface EntityRules {
  /** id and type are required (Create, Replace, Upsert, batch entities); fragments may leave them out. */
  readonly complete: boolean;
  /** NGSI-LD Null (urn:ngsi-ld:null) deletes what it names (updates and merges); elsewhere it is refused. JSON null never is a value. */
  readonly nullDeletes: boolean;
  /** Instances may give only some members (Merge): the others are kept from the stored instance. */
  readonly partial: boolean;
}

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);
/** Clause 4.7: these names are GeoProperties wherever they appear. */
const GEO_NAMES = new Set(['location', 'observationSpace', 'operationSpace'].map((name) => `https://uri.etsi.org/ngsi-ld/${name}`));
/** Written by the system: ignored in input (clause 4.8). */
const SYSTEM_MEMBERS = new Set(['createdAt', 'modifiedAt', 'deletedAt', 'instanceId']);
/** Members of notifications (showChanges) and of other representations: never part of a write. */
const OUTPUT_MEMBERS = new Set(['previousValue', 'previousObject', 'previousLanguageMap', 'previousJson', 'previousVocab', 'previousValueList', 'previousObjectList', 'lang', 'entity', 'entityList']);
const CONTENTS = Object.values(CONTENT_MEMBER).filter((member, i, all) => all.indexOf(member) === i);
/** Entity members that are not attributes. */
const ENTITY_MEMBERS = new Set(['id', 'type', 'scope', '@context', ...SYSTEM_MEMBERS]);
/** BCP 47 language tags, loosely (primary subtag and subtags of letters and digits). */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

/** JSON pointer (RFC 6901) of a member below `at`. */
function pointerTo(at: string, key: string | number): string {
  return `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** An RFC 3339 date-time with seconds and an offset (clause 4.6.3 DateTime). */
export function isDateTime(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = DATE_TIME.exec(value);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** What is wrong with a GeoProperty value, or null: a GeoJSON geometry other than GeometryCollection, in WGS 84 longitude/latitude. */
export function geometryProblem(value: unknown): string | null {
  if (!isObject(value)) return `a GeoProperty's value is a GeoJSON geometry, got ${shown(value)}`;
  if (!GEOMETRY_TYPES.has(value['type'] as string)) return `a GeoProperty's value is a Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon, got type ${shown(value['type'])}`;
  const problems = validGeoJson(value, true);
  if (problems.length > 0) return `the GeoJSON geometry is not valid: ${problems[0]}`;
  const outOfRange = (position: unknown): boolean => {
    if (!Array.isArray(position)) return false;
    if (typeof position[0] === 'number') return Math.abs(position[0]) > 180 || Math.abs(position[1] as number) > 90;
    return position.some(outOfRange);
  };
  if (outOfRange(value['coordinates'])) return 'coordinates are WGS 84 longitude (-180…180) and latitude (-90…90)';
  return null;
}

/** A concise value that is a GeoJSON geometry stands for a GeoProperty (clause 4.5.2.2). */
function looksLikeGeometry(value: unknown): boolean {
  return isObject(value) && typeof value['type'] === 'string' && (GEOMETRY_TYPES.has(value['type']) || value['type'] === 'GeometryCollection') && ('coordinates' in value || 'geometries' in value);
}

/** A name of clause 4.6.2 (letter, then letters, digits, `_`; optionally `prefix:`), or an IRI. */
function isValidName(name: string): boolean {
  return isPrefixedName(name) || isAbsoluteUri(name);
}

class Issues {
  readonly list: InputIssue[] = [];
  add(location: string, reason: string): void {
    this.list.push({ location: location || '/', reason });
  }
  throwIfAny(what: string): void {
    if (this.list.length === 0) return;
    const shownIssues = this.list.slice(0, 10).map((i) => `${i.location}: ${i.reason}`);
    const more = this.list.length > 10 ? `; and ${this.list.length - 10} more` : '';
    throw new InvalidInputError(`${what} is not valid: ${shownIssues.join('; ')}${more}`, this.list);
  }
}

interface Reader {
  readonly names: TermMap;
  readonly rules: EntityRules;
  readonly issues: Issues;
}

/** A member name as an IRI, or null (and an issue) when it is not a valid name. */
function memberIri(reader: Reader, name: string, at: string, what: string): string | null {
  if (!isValidName(name)) {
    reader.issues.add(at, `'${name.slice(0, 80)}' is not a valid ${what} name (a letter, then letters, digits or _, optionally prefix:, or an IRI)`);
    return null;
  }
  if (ATTRIBUTE_MEMBERS.has(name) || ENTITY_MEMBERS.has(name)) {
    reader.issues.add(at, `'${name}' is a reserved NGSI-LD name and cannot name ${what === 'attribute' ? 'an attribute' : 'a sub-attribute'}`);
    return null;
  }
  const iri = reader.names.expand(name);
  if (!isAbsoluteUri(iri)) {
    reader.issues.add(at, `'${name}' does not expand to an IRI in the @context (it gives '${iri.slice(0, 80)}')`);
    return null;
  }
  return iri;
}

/** Checks a content member against its attribute type; returns the value to store (null: refused). */
function content(reader: Reader, type: string, member: string, value: unknown, at: string): unknown {
  const { issues, rules } = reader;
  if (value === null) {
    issues.add(at, `a ${type}'s ${member} must not be null${rules.nullDeletes ? ` (${NGSI_LD_NULL} deletes)` : ''}`);
    return undefined;
  }
  if (value === NGSI_LD_NULL) {
    if (rules.nullDeletes) return type === 'LanguageProperty' ? { '@none': NGSI_LD_NULL } : NGSI_LD_NULL;
    issues.add(at, `NGSI-LD Null (${NGSI_LD_NULL}) only deletes in updates and merges`);
    return undefined;
  }
  switch (type) {
    case 'GeoProperty': {
      const problem = geometryProblem(value);
      if (problem) issues.add(at, problem);
      return value;
    }
    case 'Relationship': {
      const objects = Array.isArray(value) ? value : [value];
      if (objects.length === 0 || !objects.every((o) => typeof o === 'string' && isAbsoluteUri(o))) issues.add(at, `a Relationship's object is a URI or a non-empty array of URIs, got ${shown(value)}`);
      return value;
    }
    case 'LanguageProperty': {
      if (!isObject(value) || Object.keys(value).length === 0) {
        issues.add(at, `a LanguageProperty's languageMap is a non-empty object of language tags, got ${shown(value)}`);
        return value;
      }
      if (value['@none'] === NGSI_LD_NULL) {
        if (!rules.nullDeletes) issues.add(at, `NGSI-LD Null (${NGSI_LD_NULL}) only deletes in updates and merges`);
        return value;
      }
      for (const [tag, text] of Object.entries(value)) {
        if (tag !== '@none' && !LANGUAGE_TAG.test(tag)) issues.add(pointerTo(at, tag), `'${tag.slice(0, 40)}' is not a language tag (BCP 47) or @none`);
        if (!(typeof text === 'string' || (Array.isArray(text) && text.every((t) => typeof t === 'string')))) issues.add(pointerTo(at, tag), `a languageMap holds strings (or arrays of strings), got ${shown(text)}`);
      }
      return value;
    }
    case 'VocabProperty': {
      const terms = Array.isArray(value) ? value : [value];
      if (terms.length === 0 || !terms.every((t) => typeof t === 'string' && t.length > 0)) issues.add(at, `a VocabProperty's vocab is a string or a non-empty array of strings, got ${shown(value)}`);
      return value;
    }
    case 'ListProperty':
      if (!Array.isArray(value)) issues.add(at, `a ListProperty's valueList is an array, got ${shown(value)}`);
      return value;
    case 'ListRelationship': {
      if (!Array.isArray(value)) {
        issues.add(at, `a ListRelationship's objectList is an array, got ${shown(value)}`);
        return value;
      }
      return value.map((item, i) => {
        const object = isObject(item) && Object.keys(item).length === 1 ? item['object'] : item;
        if (typeof object !== 'string' || !isAbsoluteUri(object)) issues.add(pointerTo(at, i), `an objectList item is a URI or {"object": URI}, got ${shown(item)}`);
        return { object };
      });
    }
    default:
      return value;
  }
}

/** The attribute type an instance without one has, by the content member it gives (concise form). */
function impliedType(raw: Raw): string | null {
  if ('object' in raw) return 'Relationship';
  if ('languageMap' in raw) return 'LanguageProperty';
  if ('json' in raw) return 'JsonProperty';
  if ('vocab' in raw) return 'VocabProperty';
  if ('valueList' in raw) return 'ListProperty';
  if ('objectList' in raw) return 'ListRelationship';
  if ('value' in raw) return looksLikeGeometry(raw['value']) ? 'GeoProperty' : 'Property';
  return null;
}

const UNIT_CODE_TYPES = new Set(['Property', 'ListProperty']);
const OBJECT_TYPE_TYPES = new Set(['Relationship', 'ListRelationship']);

/** One instance: normalized or concise, with its metadata and sub-attributes. `iri` is the attribute's (for the clause 4.7 names). */
function instance(reader: Reader, raw: unknown, at: string, iri: string, partial: boolean): InstanceDraft | null {
  const { issues, rules } = reader;
  if (raw === NGSI_LD_NULL && rules.nullDeletes) return { members: { value: NGSI_LD_NULL }, subAttributes: new Map() };
  if (raw === null || raw === NGSI_LD_NULL) {
    issues.add(at, raw === null ? `an attribute must not be null${rules.nullDeletes ? ` (${NGSI_LD_NULL} deletes)` : ''}` : `NGSI-LD Null (${NGSI_LD_NULL}) only deletes in updates and merges`);
    return null;
  }
  if (Array.isArray(raw) && raw.length > 0 && raw.every(isObject)) {
    issues.add(at, 'a sub-attribute is one instance (several instances of a sub-attribute are not supported)');
    return null;
  }
  if (!isObject(raw)) return { members: { type: 'Property', value: raw }, subAttributes: new Map() };
  const present = CONTENTS.filter((member) => member in raw);
  if (present.length > 1) issues.add(at, `an attribute has one of value, object, languageMap, json, vocab, valueList, objectList; this one has ${present.join(' and ')}`);
  let type: string | null;
  if ('type' in raw) {
    type = typeof raw['type'] === 'string' && Object.hasOwn(CONTENT_MEMBER, raw['type']) ? raw['type'] : null;
    if (type === null) issues.add(pointerTo(at, 'type'), `an attribute's type is one of ${Object.keys(CONTENT_MEMBER).join(', ')}, got ${shown(raw['type'])}`);
  } else type = impliedType(raw);
  if (type === null && !partial && !('type' in raw)) issues.add(at, `an attribute needs a type or one of ${CONTENTS.join(', ')}`);
  if (type !== null && GEO_NAMES.has(iri) && type !== 'GeoProperty') issues.add(at, `${iri.slice(iri.lastIndexOf('/') + 1)} is a GeoProperty (clause 4.7), not a ${type}`);

  const members: Record<string, unknown> = {};
  if (type !== null) members['type'] = type;
  const subAttributes = new Map<string, InstanceDraft>();
  const expected = type === null ? null : CONTENT_MEMBER[type]!;
  if (type !== null && !partial && !(expected! in raw)) issues.add(at, `a ${type} needs its ${expected}`);
  for (const [key, value] of Object.entries(raw)) {
    const here = pointerTo(at, key);
    if (key === 'type' || SYSTEM_MEMBERS.has(key) || OUTPUT_MEMBERS.has(key)) continue;
    if (CONTENTS.includes(key)) {
      if (expected !== null && key !== expected) issues.add(here, `a ${type} has no member ${key} (its content is ${expected})`);
      else {
        const stored = content(reader, type ?? impliedType({ [key]: value }) ?? 'Property', key, value, here);
        if (stored !== undefined) members[key] = stored;
      }
    } else if (key === 'observedAt') {
      if (!isDateTime(value)) issues.add(here, `observedAt is an RFC 3339 date-time with seconds and an offset (2024-05-01T12:00:00Z), got ${shown(value)}`);
      members[key] = value;
    } else if (key === 'datasetId') {
      if (typeof value !== 'string' || !isAbsoluteUri(value)) issues.add(here, `datasetId is a URI, got ${shown(value)}`);
      members[key] = value;
    } else if (key === 'unitCode') {
      if (type !== null && !UNIT_CODE_TYPES.has(type)) issues.add(here, `unitCode belongs to a Property or ListProperty, not a ${type}`);
      else if (typeof value !== 'string' || value.length === 0) issues.add(here, `unitCode is a UN/CEFACT common code (a string), got ${shown(value)}`);
      members[key] = value;
    } else if (key === 'objectType') {
      const names = Array.isArray(value) ? value : [value];
      if (type !== null && !OBJECT_TYPE_TYPES.has(type)) issues.add(here, `objectType belongs to a Relationship or ListRelationship, not a ${type}`);
      else if (names.length === 0 || !names.every((n) => typeof n === 'string' && isValidName(n))) issues.add(here, `objectType is an entity type name or IRI (or an array of them), got ${shown(value)}`);
      members[key] = value;
    } else if (key === '@context') {
      issues.add(here, '@context belongs to the entity (or the whole body), not to an attribute');
    } else {
      const subIri = memberIri(reader, key, here, 'sub-attribute');
      if (subIri === null) continue;
      if (subAttributes.has(subIri)) issues.add(here, `two members name the sub-attribute ${subIri}`);
      const sub = instance(reader, value, here, subIri, false);
      if (sub) subAttributes.set(subIri, sub);
    }
  }
  return { members, subAttributes };
}

/** An attribute: one instance, or an array of instances with distinct datasetIds (a multi-attribute). */
function attribute(reader: Reader, raw: unknown, at: string, iri: string): InstanceDraft[] {
  const elements = Array.isArray(raw) && raw.length > 0 && raw.every(isObject) ? raw : null;
  if (Array.isArray(raw) && raw.length === 0) {
    reader.issues.add(at, 'an attribute is an instance or a non-empty array of instances');
    return [];
  }
  const drafts = (elements ?? [raw]).map((element, i) => instance(reader, element, elements ? pointerTo(at, i) : at, iri, reader.rules.partial)).filter((d): d is InstanceDraft => d !== null);
  const seen = new Set<string>();
  drafts.forEach((draft, i) => {
    const datasetId = typeof draft.members['datasetId'] === 'string' ? draft.members['datasetId'] : '@none';
    if (seen.has(datasetId)) reader.issues.add(elements ? pointerTo(at, i) : at, datasetId === '@none' ? 'two instances without datasetId (the default instance is one)' : `two instances with datasetId ${datasetId}`);
    seen.add(datasetId);
  });
  return drafts;
}

function typeIris(reader: Reader, raw: unknown, at: string): string[] {
  const names = Array.isArray(raw) ? raw : [raw];
  if (names.length === 0 || !names.every((n) => typeof n === 'string')) {
    reader.issues.add(at, `an entity type is a name or an IRI (or a non-empty array of them), got ${shown(raw)}`);
    return [];
  }
  const iris: string[] = [];
  for (const [i, name] of (names as string[]).entries()) {
    const here = Array.isArray(raw) ? pointerTo(at, i) : at;
    if (!isValidName(name)) {
      reader.issues.add(here, `'${name.slice(0, 80)}' is not a valid entity type name (a letter, then letters, digits or _, optionally prefix:, or an IRI)`);
      continue;
    }
    const iri = reader.names.expand(name);
    if (!isAbsoluteUri(iri)) reader.issues.add(here, `the entity type '${name}' does not expand to an IRI in the @context (it gives '${iri.slice(0, 80)}')`);
    else if (!iris.includes(iri)) iris.push(iri);
  }
  return iris;
}

/** The scope member: a scope or a non-empty array of them (NGSI-LD Null where nulls delete). */
function scopesOf(reader: Reader, raw: unknown, at: string): readonly string[] | null | undefined {
  if (raw === NGSI_LD_NULL && reader.rules.nullDeletes) return null;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((s) => typeof s === 'string' && SCOPE.test(s))) {
    reader.issues.add(at, `scope is a scope such as /Madrid/Gardens (levels each after a /, without # + ; , ( ) or spaces), or a non-empty array of them; got ${shown(raw)}`);
    return undefined;
  }
  return [...new Set(list as string[])];
}

/** An entity or entity fragment. */
export function parseEntity(raw: unknown, names: TermMap, rules: EntityRules, at = ''): ParsedEntity {
  const issues = new Issues();
  if (!isObject(raw)) {
    issues.add(at, `an entity is a JSON object, got ${Array.isArray(raw) ? 'an array' : shown(raw)}`);
    issues.throwIfAny('The entity');
  }
  const body = raw as Raw;
  const reader: Reader = { names, rules, issues };
  const scopes = 'scope' in body ? scopesOf(reader, body['scope'], pointerTo(at, 'scope')) : undefined;
  let id: string | null = null;
  if ('id' in body) {
    if (typeof body['id'] !== 'string' || !isAbsoluteUri(body['id'])) issues.add(pointerTo(at, 'id'), `an entity id is a URI, got ${shown(body['id'])}`);
    else id = body['id'];
  } else if (rules.complete) issues.add(pointerTo(at, 'id'), 'an entity needs an id');
  let types: string[] = [];
  if ('type' in body) types = typeIris(reader, body['type'], pointerTo(at, 'type'));
  else if (rules.complete) issues.add(pointerTo(at, 'type'), 'an entity needs a type');
  const attributes = new Map<string, InstanceDraft[]>();
  for (const [key, value] of Object.entries(body)) {
    if (ENTITY_MEMBERS.has(key)) continue;
    const here = pointerTo(at, key);
    const iri = memberIri(reader, key, here, 'attribute');
    if (iri === null) continue;
    if (attributes.has(iri)) issues.add(here, `two members name the attribute ${iri}`);
    attributes.set(iri, attribute(reader, value, here, iri));
  }
  issues.throwIfAny(id ? `The entity ${id}` : 'The entity');
  return { id, types, attributes, ...(scopes !== undefined ? { scopes } : {}) };
}

/**
 * The body of an attribute operation (Partial Attribute Update, Replace Attribute): one instance
 * of the attribute `iri`. `partial`: only the members to change (Partial Attribute Update).
 */
export function parseAttribute(raw: unknown, iri: string, names: TermMap, options: { readonly partial: boolean }): InstanceDraft {
  const issues = new Issues();
  const reader: Reader = { names, rules: { complete: false, nullDeletes: options.partial, partial: options.partial }, issues };
  if (!isObject(raw) || Object.keys(raw).filter((k) => k !== '@context').length === 0) {
    issues.add('', `the body is an attribute (a non-empty JSON object), got ${shown(raw)}`);
    issues.throwIfAny('The attribute');
  }
  const { '@context': _context, ...members } = raw as Raw;
  const draft = instance(reader, members, '', iri, options.partial);
  issues.throwIfAny(`The attribute ${iri}`);
  return draft!;
}

/** An attribute name of a request path (`/attrs/{attrId}`) as an IRI. */
export function attributeIri(name: string, names: TermMap): string {
  const issues = new Issues();
  const iri = memberIri({ names, rules: { complete: false, nullDeletes: false, partial: false }, issues }, name, '', 'attribute');
  issues.throwIfAny('The attribute name');
  return iri!;
}
