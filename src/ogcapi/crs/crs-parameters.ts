import { queryParameter } from '../../api/parameter.js';
import { single } from '../../api/query-values.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';
import { chooseCrs } from './collection-crs.js';

/** `crs` (Part 2): the CRS of the returned geometries, one the collection offers. */
export const crsParameter: FeatureParameter = {
  names: [PARAM.crs],
  openapi: { [PARAM.crs]: queryParameter(PARAM.crs, "CRS of the returned geometries (a URI from the collection's `crs` list). Default CRS84.", { type: 'string', format: 'uri' }) },
  read(query, collection, draft) {
    draft.crs = chooseCrs(single(query, PARAM.crs), collection, PARAM.crs);
  },
};

/** `bbox-crs` (Part 2): the CRS `bbox` is written in. */
export const bboxCrsParameter: FeatureParameter = {
  names: [PARAM.bboxCrs],
  openapi: { [PARAM.bboxCrs]: queryParameter(PARAM.bboxCrs, "CRS of `bbox` (a URI from the collection's `crs` list). Default CRS84.", { type: 'string', format: 'uri' }) },
  read(query, collection, draft) {
    const raw = single(query, PARAM.bboxCrs);
    if (raw === undefined) return;
    if (single(query, PARAM.bbox) === undefined) throw new InvalidParameterError(PARAM.bboxCrs, 'bbox-crs is only meaningful together with bbox');
    draft.bboxCrs = chooseCrs(raw, collection, PARAM.bboxCrs);
  },
};
