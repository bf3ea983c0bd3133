import type { FeaturesExtension } from '../features/features-block.js';
import type { ContributedParameter } from '../features/feature-request.js';
import { CONFORMANCE } from '../vocabulary.js';
import { propertiesParameter } from './properties.js';

/** OGC API – Features Part 6 (property selection, draft): `properties` on items and single features. */
export const PROPERTIES_PARAMETERS: readonly ContributedParameter[] = [{ parameter: propertiesParameter, resources: ['items', 'feature'] }];

export function propertiesBlock(): FeaturesExtension {
  return {
    name: 'Property selection',
    conformance: [CONFORMANCE.properties, CONFORMANCE.propertiesFeatures],
    routes: [],
    parameters: PROPERTIES_PARAMETERS,
    openapi: () => ({}),
  };
}
