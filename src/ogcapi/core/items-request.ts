import type { Collection, Queryable } from '../../domain/collection.js';
import { isDateText, isTimestampText } from '../../domain/calendar.js';
import { InvalidParameterError } from '../../domain/errors.js';
import { allOf, type FilterCondition } from '../../domain/filter.js';
import type { FeatureOutput, PagePosition, PropertyEquality, SortKey } from '../../domain/query.js';
import { collectionQueryables, queryableField } from '../../domain/queryables.js';
import type { CrsRef } from '../../geo/crs-registry.js';
import type { PageRequest } from '../../services/query-features.js';
import { chooseCrs, geometryOutput } from '../crs/collection-crs.js';
import { parseFilterParameters } from '../filter/filter-request.js';
import { parseBbox } from '../params/bbox.js';
import { decodeCursor } from '../params/cursor.js';
import { parseDatetime } from '../params/datetime.js';
import { parseLimit, parseOffset } from '../params/limit.js';
import { parseProperties } from '../params/properties.js';
import { quoted, rejectUnknown, single, type RawQuery } from '../params/query-values.js';
import { parseSortby } from '../params/sortby.js';
import { PARAM } from '../vocabulary.js';

/** Parameters of /collections/{id}/items other than property filters. */
export const ITEMS_PARAMETERS: readonly string[] = [
  PARAM.format,
  PARAM.limit,
  PARAM.offset,
  PARAM.cursor,
  PARAM.bbox,
  PARAM.bboxCrs,
  PARAM.datetime,
  PARAM.crs,
  PARAM.filter,
  PARAM.filterLang,
  PARAM.filterCrs,
  PARAM.sortby,
  PARAM.properties,
];

export const FEATURE_PARAMETERS: readonly string[] = [PARAM.format, PARAM.crs, PARAM.properties];

/**
 * Queryables usable as `name=value` parameters (Part 3 queryables-query-parameters): every one
 * with simple values that is not shadowed by an API parameter.
 */
export function queryableParameters(collection: Collection): [string, Queryable][] {
  return [...collectionQueryables(collection)].filter(([name, q]) => !ITEMS_PARAMETERS.includes(name) && q.type !== 'geometry' && q.type !== 'array');
}

/** A `name=value` parameter: jsonb containment where that is exact (GIN-indexed), a typed comparison otherwise. */
function coerce(name: string, queryable: Queryable, raw: string): PropertyEquality | FilterCondition {
  const invalid = (what: string) => new InvalidParameterError(name, `${name} is ${what}, got ${quoted(raw)}`);
  const { field } = queryableField(name, queryable);
  switch (queryable.type) {
    case 'string':
      if (queryable.role === undefined) return { name, value: raw };
      return { kind: 'compare', operator: '=', left: { kind: 'field', type: 'string', field }, right: { kind: 'literal', type: 'string', value: raw } };
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw invalid('a boolean property; use true or false');
      return { name, value: raw === 'true' };
    case 'integer':
      if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw invalid('an integer property');
      return { name, value: Number(raw) };
    case 'number':
      if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw invalid('a numeric property');
      return { name, value: Number(raw) };
    case 'date':
      if (!isDateText(raw)) throw invalid('a date property; use YYYY-MM-DD');
      return { kind: 'compare', operator: '=', left: { kind: 'field', type: 'date', field }, right: { kind: 'literal', type: 'date', value: raw } };
    case 'timestamp': {
      if (!isTimestampText(raw)) throw invalid('a date-time property; use RFC 3339, e.g. 2021-04-16T10:15:59Z');
      const value = /([Zz]|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
      return { kind: 'compare', operator: '=', left: { kind: 'field', type: 'timestamp', field }, right: { kind: 'literal', type: 'timestamp', value } };
    }
    case 'geometry':
    case 'array':
      throw new InvalidParameterError(name, `${name} cannot be compared with a parameter value; use filter`);
  }
}

function position(query: RawQuery, order: readonly SortKey[]): PagePosition {
  const cursor = single(query, PARAM.cursor);
  const offset = single(query, PARAM.offset);
  if (cursor !== undefined && offset !== undefined) throw new InvalidParameterError(PARAM.offset, 'give either cursor or offset, not both');
  if (cursor !== undefined) return decodeCursor(cursor, order);
  const value = parseOffset(offset);
  return value > 0 ? { kind: 'offset', offset: value } : { kind: 'start' };
}

export interface ItemsRequest extends PageRequest {
  readonly crs: CrsRef;
}

/** Reads and validates every parameter of an items request against the collection. */
export function parseItemsRequest(query: RawQuery, collection: Collection): ItemsRequest {
  const filters = queryableParameters(collection);
  rejectUnknown(query, new Set([...ITEMS_PARAMETERS, ...filters.map(([name]) => name)]));
  const queryables = collectionQueryables(collection);

  const bboxRaw = single(query, PARAM.bbox);
  const bboxCrsRaw = single(query, PARAM.bboxCrs);
  if (bboxCrsRaw !== undefined && bboxRaw === undefined) throw new InvalidParameterError(PARAM.bboxCrs, 'bbox-crs is only meaningful together with bbox');
  const bboxCrs = chooseCrs(bboxCrsRaw, collection, PARAM.bboxCrs);
  const datetime = single(query, PARAM.datetime);
  const crs = chooseCrs(single(query, PARAM.crs), collection, PARAM.crs);

  const equalities: PropertyEquality[] = [];
  const conditions: FilterCondition[] = [];
  for (const [name, queryable] of filters) {
    const raw = single(query, name);
    if (raw === undefined) continue;
    const coerced = coerce(name, queryable, raw);
    if ('kind' in coerced) conditions.push(coerced);
    else equalities.push(coerced);
  }
  const order = parseSortby(single(query, PARAM.sortby), queryables);
  const output: FeatureOutput = { ...geometryOutput(crs), properties: parseProperties(single(query, PARAM.properties), collection) };

  return {
    selection: {
      collectionKey: collection.key,
      envelopes: bboxRaw === undefined ? [] : parseBbox(bboxRaw, bboxCrs),
      time: datetime === undefined ? null : parseDatetime(datetime),
      equalities,
      filter: allOf([parseFilterParameters(query, collection, queryables), ...conditions]),
    },
    order,
    position: position(query, order),
    limit: parseLimit(single(query, PARAM.limit)),
    output,
    crs,
  };
}

export interface FeatureRequest {
  readonly crs: CrsRef;
  readonly output: FeatureOutput;
}

export function parseFeatureRequest(query: RawQuery, collection: Collection): FeatureRequest {
  rejectUnknown(query, new Set(FEATURE_PARAMETERS));
  const crs = chooseCrs(single(query, PARAM.crs), collection, PARAM.crs);
  return { crs, output: { ...geometryOutput(crs), properties: parseProperties(single(query, PARAM.properties), collection) } };
}
