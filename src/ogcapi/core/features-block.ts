import type { BuildingBlock } from '../building-block.js';
import { CONFORMANCE } from '../vocabulary.js';
import { collectionHandler, collectionsHandler } from './collections.js';
import { coreOpenApi } from './core-openapi.js';
import type { FeaturesApiDeps } from './deps.js';
import { featureHandler } from './feature.js';
import { itemsHandler } from './items.js';
import { apiHandler, apiHtmlHandler, conformanceHandler, landingHandler, type BlockList } from './service-routes.js';
import type { ServiceInfo } from './service-info.js';

/**
 * OGC API – Features Part 1 (core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS by reference):
 * the landing page, conformance, API definition, collections, items and single features.
 */
export function featuresBlock(info: ServiceInfo, deps: FeaturesApiDeps, blocks: BlockList): BuildingBlock {
  return {
    name: 'OGC API – Features',
    conformance: [CONFORMANCE.core, CONFORMANCE.oas30, CONFORMANCE.html, CONFORMANCE.geojson, CONFORMANCE.crs],
    routes: [
      { method: 'GET', path: '/', handler: landingHandler(info) },
      { method: 'GET', path: '/conformance', handler: conformanceHandler(blocks) },
      { method: 'GET', path: '/api', handler: apiHandler(info, deps, blocks) },
      { method: 'GET', path: '/api.html', handler: apiHtmlHandler(info, deps, blocks) },
      { method: 'GET', path: '/collections', handler: collectionsHandler(deps) },
      { method: 'GET', path: '/collections/:collectionId', handler: collectionHandler(deps) },
      { method: 'GET', path: '/collections/:collectionId/items', handler: itemsHandler(deps) },
      { method: 'GET', path: '/collections/:collectionId/items/:featureId', handler: featureHandler(deps) },
    ],
    openapi: coreOpenApi,
  };
}
