import { queryParameter } from '../../api/parameter.js';
import { integerValue, single } from '../../api/query-values.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';
import { decodeCursor } from './cursor.js';

export function parseOffset(raw: string | undefined): number {
  return integerValue(PARAM.offset, raw, { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, fallback: 0 });
}

/** `offset` or `cursor`: where the page starts. A cursor belongs to one order, so `sortby` is read first. */
export const pagingParameter: FeatureParameter = {
  names: [PARAM.offset, PARAM.cursor],
  after: [PARAM.sortby],
  openapi: {
    [PARAM.offset]: queryParameter(PARAM.offset, 'Number of matching features to skip. Prefer following `next` links, which cost the same at any depth.', { type: 'integer', minimum: 0, default: 0 }),
    [PARAM.cursor]: queryParameter(PARAM.cursor, 'Opaque paging position issued in `next`/`prev` links.', { type: 'string' }),
  },
  read(query, _collection, draft) {
    const cursor = single(query, PARAM.cursor);
    const offset = single(query, PARAM.offset);
    if (cursor !== undefined && offset !== undefined) throw new InvalidParameterError(PARAM.offset, 'give either cursor or offset, not both');
    if (cursor !== undefined) {
      draft.position = decodeCursor(cursor, draft.order);
      return;
    }
    const value = parseOffset(offset);
    if (value > 0) draft.position = { kind: 'offset', offset: value };
  },
};
