import type Koa from 'koa';
import { buildApp } from './app.js';
import type { Config } from './config/env.js';
import { healthBlock } from './http/health-block.js';
import { runsBlock } from './http/runs-block.js';
import { createLogger, type Logger } from './logger.js';
import type { BuildingBlock } from './ogcapi/building-block.js';
import { featuresBlock } from './ogcapi/core/features-block.js';
import { filterBlock } from './ogcapi/filter/filter-block.js';
import { SERVICE_INFO } from './ogcapi/core/service-info.js';
import type { HtmlOptions } from './ogcapi/html/layout.js';
import type { Store } from './services/ports.js';
import { cachedCatalog } from './services/collection-catalog.js';
import { sensorAwareQueries } from './services/sensor-features.js';
import { sensorService, type SensorService } from './services/sensor-service.js';
import { observationsBlock } from './http/observations-block.js';
import { sensorsAdminBlock } from './http/sensors-admin-block.js';
import { timeseriesBlock } from './ogcapi/sensors/timeseries-block.js';
import { datastreamCollectionLinks, datastreamsBlock } from './ogcapi/sensors/datastreams-block.js';
import { datastreamCatalog } from './services/datastream-collections.js';

export type ApiConfig = Pick<Config, 'baseUrl' | 'trustProxy' | 'countLimit' | 'catalogTtlMs'> &
  Partial<Pick<Config, 'countBudgetMs' | 'observationsApiKey' | 'observationsMaxBytes' | 'observationsFutureSkewMs'>> & { readonly html?: HtmlOptions };

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_COUNT_BUDGET_MS = 250;
const DEFAULT_FUTURE_SKEW_MS = 300_000;

/** The sensor service of an API without loaded sensor mappings (observation collections in the database are still served). */
function defaultSensors(store: Store, config: ApiConfig, logger: Logger): SensorService {
  return sensorService(store, [], logger, { maxFutureMs: config.observationsFutureSkewMs ?? DEFAULT_FUTURE_SKEW_MS });
}

/** The building blocks the API is made of, wired to their services on a store. */
export function buildingBlocks(store: Store, config: ApiConfig, sensors: SensorService = defaultSensors(store, config, createLogger('silent'))): BuildingBlock[] {
  const queries = sensorAwareQueries(store, sensors, { countLimit: config.countLimit, countBudgetMs: config.countBudgetMs ?? DEFAULT_COUNT_BUDGET_MS, linkedTtlMs: Math.max(config.catalogTtlMs, 1000) });
  const deps = {
    collections: datastreamCatalog(cachedCatalog(store.collections, config.catalogTtlMs), store, sensors, config.catalogTtlMs),
    queries,
    html: config.html ?? {},
    collectionLinks: datastreamCollectionLinks(sensors),
  };
  const blocks: BuildingBlock[] = [];
  blocks.push(
    featuresBlock(SERVICE_INFO, deps, () => blocks),
    filterBlock(deps),
    timeseriesBlock(store, deps),
    datastreamsBlock(store, sensors, deps),
    observationsBlock(sensors, { apiKey: config.observationsApiKey, maxBytes: config.observationsMaxBytes ?? DEFAULT_MAX_BYTES }),
    sensorsAdminBlock(store, sensors),
    healthBlock(store),
    runsBlock(store.runs),
  );
  return blocks;
}

/** Wires the services and building blocks on a store into the HTTP application. */
export function composeApi(store: Store, config: ApiConfig, logger: Logger, sensors: SensorService = defaultSensors(store, config, logger)): Koa {
  return buildApp({ logger, blocks: buildingBlocks(store, config, sensors), baseUrl: config.baseUrl, trustProxy: config.trustProxy });
}
