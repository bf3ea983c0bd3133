import { queryParameter } from '../../api/parameter.js';
import { integerValue, single } from '../../api/query-values.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { LIMIT, PARAM } from '../vocabulary.js';

/** `limit`: a positive integer; values above the maximum are reduced to it (/req/core/fc-limit-response). */
export function parseLimit(raw: string | undefined): number {
  return integerValue(PARAM.limit, raw, { minimum: LIMIT.minimum, maximum: LIMIT.maximum, fallback: LIMIT.default, clamp: true });
}

export const limitParameter: FeatureParameter = {
  names: [PARAM.limit],
  openapi: {
    [PARAM.limit]: queryParameter(PARAM.limit, `Page size. Values above ${LIMIT.maximum} are reduced to ${LIMIT.maximum}.`, { type: 'integer', minimum: LIMIT.minimum, maximum: LIMIT.maximum, default: LIMIT.default }),
  },
  read(query, _collection, draft) {
    draft.limit = parseLimit(single(query, PARAM.limit));
  },
};
