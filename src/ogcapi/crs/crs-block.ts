import type { FeaturesExtension } from '../features/features-block.js';
import type { ContributedParameter } from '../features/feature-request.js';
import { CONFORMANCE } from '../vocabulary.js';
import { bboxCrsParameter, crsParameter } from './crs-parameters.js';

/**
 * OGC API – Features Part 2 (CRS by reference): `crs` on items and single features, `bbox-crs` on
 * items, each collection's `crs` list and `storageCrs`, the `Content-Crs` header.
 */
export const CRS_PARAMETERS: readonly ContributedParameter[] = [
  { parameter: crsParameter, resources: ['items', 'feature'] },
  { parameter: bboxCrsParameter, resources: ['items'] },
];

export function crsBlock(): FeaturesExtension {
  return {
    name: 'Coordinate reference systems',
    conformance: [CONFORMANCE.crs],
    routes: [],
    parameters: CRS_PARAMETERS,
    openapi: () => ({}),
  };
}
