import { queryParameter } from '../../api/parameter.js';
import { single } from '../../api/query-values.js';
import { InvalidParameterError } from '../../domain/errors.js';
import { chooseCrs } from '../crs/collection-crs.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { FILTER_LANG, PARAM } from '../vocabulary.js';
import { parseCql2Json } from './cql2/cql2-json.js';
import { resolveCql2 } from './cql2/cql2-resolve.js';
import { parseCql2Text } from './cql2/cql2-text.js';

/**
 * `filter`, `filter-lang` and `filter-crs` (OGC API Features Part 3): a CQL2 filter as a typed
 * condition on the collection's queryables, ANDed with the other parameters.
 */
export const filterParameters: FeatureParameter = {
  names: [PARAM.filter, PARAM.filterLang, PARAM.filterCrs],
  openapi: {
    [PARAM.filter]: queryParameter(
      PARAM.filter,
      "A CQL2 filter (OGC 21-065r2) on the collection's queryables (see `/collections/{collectionId}/queryables`), in the encoding `filter-lang` names. Combined with the other parameters by AND. String comparisons use binary (code point) order.",
      { type: 'string' },
    ),
    [PARAM.filterLang]: queryParameter(PARAM.filterLang, 'Encoding of `filter`: CQL2 Text or CQL2 JSON.', { type: 'string', enum: [FILTER_LANG.text, FILTER_LANG.json], default: FILTER_LANG.text }),
    [PARAM.filterCrs]: queryParameter(PARAM.filterCrs, "CRS of the geometry literals in `filter` (a URI from the collection's `crs` list), coordinates in its axis order. Default CRS84.", { type: 'string', format: 'uri-reference' }),
  },
  read(query, collection, draft) {
    const text = single(query, PARAM.filter);
    const lang = single(query, PARAM.filterLang);
    const crsRaw = single(query, PARAM.filterCrs);
    if (lang !== undefined && lang !== FILTER_LANG.text && lang !== FILTER_LANG.json) {
      throw new InvalidParameterError(PARAM.filterLang, `filter-lang must be ${FILTER_LANG.text} (the default) or ${FILTER_LANG.json}, got '${lang.slice(0, 40)}'`);
    }
    if (text === undefined) {
      if (lang !== undefined) throw new InvalidParameterError(PARAM.filterLang, 'filter-lang is only meaningful together with filter');
      if (crsRaw !== undefined) throw new InvalidParameterError(PARAM.filterCrs, 'filter-crs is only meaningful together with filter');
      return;
    }
    const crs = chooseCrs(crsRaw, collection, PARAM.filterCrs);
    const parsed = lang === FILTER_LANG.json ? parseCql2Json(text) : parseCql2Text(text);
    draft.conditions.push(resolveCql2(parsed, { queryables: draft.queryables, crs }));
  },
};
