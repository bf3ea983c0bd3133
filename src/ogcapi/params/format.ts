import { queryParameter } from '../../api/parameter.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';

/** `f`: the representation. Content negotiation reads it (negotiation.ts); this module declares it. */
export const formatParameter: FeatureParameter = {
  names: [PARAM.format],
  openapi: { [PARAM.format]: queryParameter(PARAM.format, 'Representation: `json` (GeoJSON for features) or `html`. Overrides the Accept header.', { type: 'string', enum: ['json', 'html'] }) },
  read: () => {},
};
