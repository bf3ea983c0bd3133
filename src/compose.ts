import type Koa from 'koa';
import { buildApp } from './app.js';
import type { Config } from './config/env.js';
import { healthBlock } from './http/health-block.js';
import { runsBlock } from './http/runs-block.js';
import type { Logger } from './logger.js';
import type { BuildingBlock } from './ogcapi/building-block.js';
import { featuresBlock } from './ogcapi/core/features-block.js';
import { SERVICE_INFO } from './ogcapi/core/service-info.js';
import type { HtmlOptions } from './ogcapi/html/layout.js';
import type { Store } from './services/ports.js';
import { cachedCatalog } from './services/collection-catalog.js';
import { featureQueryService } from './services/query-features.js';

export type ApiConfig = Pick<Config, 'baseUrl' | 'trustProxy' | 'countLimit' | 'catalogTtlMs'> & { readonly html?: HtmlOptions };

/** The building blocks the API is made of, wired to their services on a store. */
export function buildingBlocks(store: Store, config: ApiConfig): BuildingBlock[] {
  const queries = featureQueryService(store, { countLimit: config.countLimit });
  const deps = { collections: cachedCatalog(store.collections, config.catalogTtlMs), queries, html: config.html ?? {} };
  const blocks: BuildingBlock[] = [];
  blocks.push(featuresBlock(SERVICE_INFO, deps, () => blocks), healthBlock(store), runsBlock(store.runs));
  return blocks;
}

/** Wires the services and building blocks on a store into the HTTP application. */
export function composeApi(store: Store, config: ApiConfig, logger: Logger): Koa {
  return buildApp({ logger, blocks: buildingBlocks(store, config), baseUrl: config.baseUrl, trustProxy: config.trustProxy });
}
