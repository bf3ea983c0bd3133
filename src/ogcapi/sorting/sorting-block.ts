import type { FeaturesApiDeps } from '../features/deps.js';
import type { FeaturesExtension } from '../features/features-block.js';
import type { ContributedParameter } from '../features/feature-request.js';
import { schemaOperation, sortablesHandler } from '../features/property-schemas.js';

import { CONFORMANCE } from '../vocabulary.js';
import { sortbyParameter } from './sortby.js';

/** OGC API – Features Part 8 (sorting, draft): `sortby` on items and the sortables of each collection. */
export const SORTING_PARAMETERS: readonly ContributedParameter[] = [{ parameter: sortbyParameter, resources: ['items'] }];

export function sortingBlock(deps: FeaturesApiDeps): FeaturesExtension {
  return {
    name: 'Sorting',
    conformance: [CONFORMANCE.sortables, CONFORMANCE.sorting, CONFORMANCE.featuresSorting],
    routes: [{ method: 'GET', path: '/collections/:collectionId/sortables', handler: sortablesHandler(deps) }],
    parameters: SORTING_PARAMETERS,
    openapi: () => ({
      paths: { '/collections/{collectionId}/sortables': schemaOperation('getSortables', 'Sortables of the collection', 'The properties `sortby` may use.', 'Sorting') },
    }),
  };
}
