import type { Collection, Queryable } from '../../domain/collection.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { PagePosition, PropertyEquality } from '../../domain/query.js';
import type { CrsRef } from '../../geo/crs-registry.js';
import type { PageRequest } from '../../services/query-features.js';
import { chooseCrs, geometryOutput } from '../crs/collection-crs.js';
import { parseBbox } from '../params/bbox.js';
import { decodeCursor } from '../params/cursor.js';
import { parseDatetime } from '../params/datetime.js';
import { parseLimit, parseOffset } from '../params/limit.js';
import { quoted, rejectUnknown, single, type RawQuery } from '../params/query-values.js';
import { PARAM } from '../vocabulary.js';

/** Parameters of /collections/{id}/items other than property filters. */
export const ITEMS_PARAMETERS: readonly string[] = [PARAM.format, PARAM.limit, PARAM.offset, PARAM.cursor, PARAM.bbox, PARAM.bboxCrs, PARAM.datetime, PARAM.crs];

export const FEATURE_PARAMETERS: readonly string[] = [PARAM.format, PARAM.crs];

/** Queryables usable as `name=value` parameters: those not shadowed by an API parameter. */
export function queryableParameters(collection: Collection): [string, Queryable][] {
  return Object.entries(collection.queryables).filter(([name]) => !ITEMS_PARAMETERS.includes(name));
}

function coerce(name: string, queryable: Queryable, raw: string): PropertyEquality {
  switch (queryable.type) {
    case 'string':
      return { name, value: raw };
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new InvalidParameterError(name, `${name} is a boolean property; use true or false, got ${quoted(raw)}`);
      return { name, value: raw === 'true' };
    case 'integer':
      if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new InvalidParameterError(name, `${name} is an integer property, got ${quoted(raw)}`);
      return { name, value: Number(raw) };
    case 'number':
      if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw new InvalidParameterError(name, `${name} is a numeric property, got ${quoted(raw)}`);
      return { name, value: Number(raw) };
  }
}

function position(query: RawQuery): PagePosition {
  const cursor = single(query, PARAM.cursor);
  const offset = single(query, PARAM.offset);
  if (cursor !== undefined && offset !== undefined) throw new InvalidParameterError(PARAM.offset, 'give either cursor or offset, not both');
  if (cursor !== undefined) return decodeCursor(cursor);
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

  const bboxRaw = single(query, PARAM.bbox);
  const bboxCrsRaw = single(query, PARAM.bboxCrs);
  if (bboxCrsRaw !== undefined && bboxRaw === undefined) throw new InvalidParameterError(PARAM.bboxCrs, 'bbox-crs is only meaningful together with bbox');
  const bboxCrs = chooseCrs(bboxCrsRaw, collection, PARAM.bboxCrs);
  const datetime = single(query, PARAM.datetime);
  const crs = chooseCrs(single(query, PARAM.crs), collection, PARAM.crs);

  const equalities: PropertyEquality[] = [];
  for (const [name, queryable] of filters) {
    const raw = single(query, name);
    if (raw !== undefined) equalities.push(coerce(name, queryable, raw));
  }

  return {
    selection: {
      collectionKey: collection.key,
      envelopes: bboxRaw === undefined ? [] : parseBbox(bboxRaw, bboxCrs),
      time: datetime === undefined ? null : parseDatetime(datetime),
      equalities,
    },
    position: position(query),
    limit: parseLimit(single(query, PARAM.limit)),
    output: geometryOutput(crs),
    crs,
  };
}

export function parseFeatureRequest(query: RawQuery, collection: Collection): CrsRef {
  rejectUnknown(query, new Set(FEATURE_PARAMETERS));
  return chooseCrs(single(query, PARAM.crs), collection, PARAM.crs);
}
