import type { ApiContext, BuildingBlock } from '../../api/building-block.js';
import type { ServiceInfo } from '../../api/service-info.js';
import type { Link } from '../links.js';
import { CONFORMANCE } from '../vocabulary.js';
import { collectionHandler, collectionsHandler } from './collections.js';
import { coreOpenApi } from './core-openapi.js';
import type { FeaturesApiDeps } from './deps.js';
import { featureHandler } from './feature.js';
import type { ContributedParameter, FeatureParameters } from './feature-request.js';
import { itemsHandler } from './items.js';
import { apiHandler, apiHtmlHandler, conformanceHandler, landingHandler, type BlockList } from './service-routes.js';

/**
 * A block that extends the features resources (CRS, filtering, sorting, property selection): its
 * own routes and conformance classes, the query parameters it adds to items and single features,
 * and the links it adds to the landing page.
 */
export interface FeaturesExtension extends BuildingBlock {
  readonly parameters: readonly ContributedParameter[];
  landingLinks?(ctx: ApiContext): Link[];
}

export interface FeaturesBlockOptions {
  readonly info: ServiceInfo;
  readonly deps: FeaturesApiDeps;
  readonly parameters: FeatureParameters;
  /** The blocks the landing page, /conformance and /api describe (this one among them). */
  readonly described: BlockList;
  readonly landingLinks: (ctx: ApiContext) => Link[];
}

/**
 * OGC API – Features Part 1 (core, GeoJSON, HTML, OpenAPI 3.0): the landing page, conformance, API
 * definition, collections, items and single features, with the query parameters the enabled
 * extensions contribute. Paths are relative to the API's mount path.
 */
export function featuresBlock(options: FeaturesBlockOptions): BuildingBlock {
  const { info, deps, parameters, described } = options;
  return {
    name: 'OGC API – Features',
    conformance: [CONFORMANCE.core, CONFORMANCE.oas30, CONFORMANCE.html, CONFORMANCE.geojson],
    routes: [
      { method: 'GET', path: '/', handler: landingHandler(info, options.landingLinks) },
      { method: 'GET', path: '/conformance', handler: conformanceHandler(described) },
      { method: 'GET', path: '/api', handler: apiHandler(info, deps, described) },
      { method: 'GET', path: '/api.html', handler: apiHtmlHandler(info, deps, described) },
      { method: 'GET', path: '/collections', handler: collectionsHandler(deps) },
      { method: 'GET', path: '/collections/:collectionId', handler: collectionHandler(deps) },
      { method: 'GET', path: '/collections/:collectionId/items', handler: itemsHandler(deps, parameters) },
      { method: 'GET', path: '/collections/:collectionId/items/:featureId', handler: featureHandler(deps, parameters) },
    ],
    openapi: (collections) => coreOpenApi(collections, parameters),
  };
}
