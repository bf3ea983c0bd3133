import type { Collection, Queryable } from '../../domain/collection.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { FilterCondition } from '../../domain/filter.js';
import { chooseCrs } from '../crs/collection-crs.js';
import { single, type RawQuery } from '../params/query-values.js';
import { FILTER_LANG, PARAM } from '../vocabulary.js';
import { parseCql2Json } from './cql2/cql2-json.js';
import { resolveCql2 } from './cql2/cql2-resolve.js';
import { parseCql2Text } from './cql2/cql2-text.js';

/**
 * `filter`, `filter-lang` and `filter-crs` (OGC API Features Part 3) as a typed condition on the
 * collection's queryables, or null without a filter.
 */
export function parseFilterParameters(query: RawQuery, collection: Collection, queryables: ReadonlyMap<string, Queryable>): FilterCondition | null {
  const text = single(query, PARAM.filter);
  const lang = single(query, PARAM.filterLang);
  const crsRaw = single(query, PARAM.filterCrs);
  if (lang !== undefined && lang !== FILTER_LANG.text && lang !== FILTER_LANG.json) {
    throw new InvalidParameterError(PARAM.filterLang, `filter-lang must be ${FILTER_LANG.text} (the default) or ${FILTER_LANG.json}, got '${lang.slice(0, 40)}'`);
  }
  if (text === undefined) {
    if (lang !== undefined) throw new InvalidParameterError(PARAM.filterLang, 'filter-lang is only meaningful together with filter');
    if (crsRaw !== undefined) throw new InvalidParameterError(PARAM.filterCrs, 'filter-crs is only meaningful together with filter');
    return null;
  }
  const crs = chooseCrs(crsRaw, collection, PARAM.filterCrs);
  const parsed = lang === FILTER_LANG.json ? parseCql2Json(text) : parseCql2Text(text);
  return resolveCql2(parsed, { queryables, crs });
}
