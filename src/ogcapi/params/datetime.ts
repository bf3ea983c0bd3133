import { parseDatetime } from '../../api/datetime.js';
import { queryParameter } from '../../api/parameter.js';
import { single } from '../../api/query-values.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';

export const datetimeParameter: FeatureParameter = {
  names: [PARAM.datetime],
  openapi: {
    [PARAM.datetime]: queryParameter(
      PARAM.datetime,
      'Only features whose time intersects this instant or interval (RFC 3339; `..` or empty for an open end). Features without time always match.',
      { type: 'string' },
    ),
  },
  read(query, _collection, draft) {
    const raw = single(query, PARAM.datetime);
    if (raw !== undefined) draft.time = parseDatetime(raw, PARAM.datetime);
  },
};
