import type { Api, ApiContext, BuildingBlock } from '../api/building-block.js';
import type { ServiceInfo } from '../api/service-info.js';
import { CRS_PARAMETERS, crsBlock } from './crs/crs-block.js';
import type { FeaturesApiDeps } from './features/deps.js';
import { featuresBlock, type FeaturesExtension } from './features/features-block.js';
import { featureParameters, type ContributedParameter, type FeatureParameters } from './features/feature-request.js';
import { FILTER_PARAMETERS, filterBlock } from './filter/filter-block.js';
import type { Link } from './links.js';
import { datetimeParameter } from './params/datetime.js';
import { bboxParameter } from './params/bbox.js';
import { formatParameter } from './params/format.js';
import { limitParameter } from './params/limit.js';
import { pagingParameter } from './params/paging.js';
import { OGC_PROBLEMS } from './problems.js';
import { PROPERTIES_PARAMETERS, propertiesBlock } from './properties/properties-block.js';
import { SORTING_PARAMETERS, sortingBlock } from './sorting/sorting-block.js';

/**
 * The public face of the OGC API: what the composition root and other APIs (INSPIRE data sets) use.
 * Everything else under src/ogcapi is internal to it.
 */

/** The parameters of the core (Part 1) resources. */
const CORE_PARAMETERS: readonly ContributedParameter[] = [
  { parameter: formatParameter, resources: ['items', 'feature'] },
  { parameter: bboxParameter, resources: ['items'] },
  { parameter: datetimeParameter, resources: ['items'] },
  { parameter: pagingParameter, resources: ['items'] },
  { parameter: limitParameter, resources: ['items'] },
];

/** The parameters of the core resources with those of every standard extension, as a standard API reads them. */
export function standardParameters(): FeatureParameters {
  return featureParameters([...CORE_PARAMETERS, ...CRS_PARAMETERS, ...FILTER_PARAMETERS, ...SORTING_PARAMETERS, ...PROPERTIES_PARAMETERS]);
}

/** Parts 2, 3 (with CQL2), 6 and 8: every extension placelink implements. */
export function standardExtensions(deps: FeaturesApiDeps): FeaturesExtension[] {
  return [crsBlock(), filterBlock(deps), sortingBlock(deps), propertiesBlock()];
}

export interface OgcFeaturesApiOptions {
  readonly info: ServiceInfo;
  /** Where the API is mounted: '' for the root, '/datasets/x' for a data set's API. */
  readonly mount: string;
  readonly deps: FeaturesApiDeps;
  /** Default: standardExtensions(deps). */
  readonly extensions?: readonly FeaturesExtension[];
  /** Blocks of other APIs that its landing page, /conformance and /api describe too. */
  readonly alongside?: () => readonly BuildingBlock[];
  /** Links of the landing page to the entry points of other APIs. */
  readonly related?: (ctx: ApiContext) => Link[];
}

/** OGC API – Features over a set of collections, with its own service description, mountable under a path. */
export function ogcFeaturesApi(options: OgcFeaturesApiOptions): Api {
  const extensions = options.extensions ?? standardExtensions(options.deps);
  const parameters = featureParameters([...CORE_PARAMETERS, ...extensions.flatMap((e) => e.parameters)]);
  const blocks: BuildingBlock[] = [];
  const landingLinks = (ctx: ApiContext): Link[] => [...extensions.flatMap((e) => e.landingLinks?.(ctx) ?? []), ...(options.related?.(ctx) ?? [])];
  blocks.push(featuresBlock({ info: options.info, deps: options.deps, parameters, described: () => [...blocks, ...(options.alongside?.() ?? [])], landingLinks }), ...extensions);
  return { name: 'OGC API – Features', mount: options.mount, errors: OGC_PROBLEMS, blocks };
}

export { collectionPath, listedCollectionDocument } from './features/collection-document.js';

/** The URL of a feature as an item of the API at `apiBase`. */
export function itemUrl(apiBase: string, collectionId: string, featureId: string): string {
  return `${apiBase}/collections/${encodeURIComponent(collectionId)}/items/${encodeURIComponent(featureId)}`;
}
export { requireCollection, type CollectionLink, type FeaturesApiDeps } from './features/deps.js';
export { parseLimit } from './params/limit.js';
export { parseOffset } from './params/paging.js';
export { MEDIA, PARAM, REL } from './vocabulary.js';
