import type Koa from 'koa';
import { ADMIN_PROBLEMS } from './admin/problems.js';
import { healthBlock } from './admin/health-block.js';
import { runsBlock } from './admin/runs-block.js';
import { sensorsAdminBlock } from './admin/sensors-admin-block.js';
import { mountedBlocks, type Api, type BuildingBlock } from './api/building-block.js';
import { SERVICE_INFO } from './api/service-info.js';
import { buildApp } from './app.js';
import type { Config } from './config/env.js';
import type { Mapping } from './domain/mapping.js';
import { createLogger, type Logger } from './logger.js';
import type { HtmlOptions } from './ogcapi/html/layout.js';
import { ngsiLdApi, startNgsiLdNotifier, startNgsiLdRegistration } from './ngsild/ngsild.js';
import { syncPushes } from './ngsild/federation/push-subscriptions.js';
import type { Registration } from './ngsild/federation/registration.js';
import type { Notifier } from './ngsild/subscriptions/notifier.js';
import type { MappedEntityType } from './ngsild/write-access.js';
import { itemUrl, ogcFeaturesApi } from './ogcapi/ogcapi.js';
import { datastreamCollectionLinks, datastreamsBlock } from './sensors-api/datastreams-block.js';
import { assetLinkTemplates } from './sensors-api/asset-links.js';
import { observationsBlock } from './sensors-api/observations-block.js';
import { SENSOR_PROBLEMS } from './sensors-api/problems.js';
import { timeseriesBlock } from './sensors-api/timeseries-block.js';
import { collectionQueryService } from './services/collection-queries.js';
import { entityProvision } from './services/entities/entity-provision.js';
import { entityService } from './services/entities/entity-service.js';
import { cachedCatalog } from './services/features/collection-catalog.js';
import type { ChangeFeed } from './services/ports/changes.js';
import { storedContextService } from './services/ld-contexts/stored-contexts.js';
import type { Store } from './services/ports/store.js';
import { datastreamCatalog } from './services/sensors/datastream-collections.js';
import { sensorReads } from './services/sensors/sensor-reads.js';
import { sensorService, type SensorService } from './services/sensors/sensor-service.js';

/**
 * The composition root: the one place that knows every implementation. It wires the ports the
 * store implements to the services, and the services to the APIs (main.ts and cli.ts open the
 * store and call these).
 */

export type ApiConfig = Pick<Config, 'baseUrl' | 'trustProxy' | 'countLimit' | 'catalogTtlMs'> &
  Partial<
    Pick<
      Config,
      'countBudgetMs' | 'observationsApiKey' | 'observationsMaxBytes' | 'observationsFutureSkewMs' | 'ngsiLdContextsAllow' | 'ngsiLdContextTimeoutMs' | 'ngsiLdMaxBytes' | 'ngsiLdTemporalLimit' | 'ngsiLdApiKey' | 'ngsiLdAnonymousWrites'
    >
  > & {
    readonly html?: HtmlOptions;
    /** The entity types the loaded mappings declare (anonymous NGSI-LD writes may not write them). */
    readonly mappedEntityTypes?: readonly MappedEntityType[];
  };

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_COUNT_BUDGET_MS = 250;
const DEFAULT_FUTURE_SKEW_MS = 300_000;
const DEFAULT_CONTEXT_TIMEOUT_MS = 5000;
const DEFAULT_NGSI_LD_MAX_BYTES = 1024 * 1024;
const DEFAULT_TEMPORAL_LIMIT = 10_000;

/** The sensor service of an API without loaded sensor mappings (observation collections in the database are still served). */
function defaultSensors(store: Store, config: ApiConfig, logger: Logger): SensorService {
  return sensorService(store, [], logger, { maxFutureMs: config.observationsFutureSkewMs ?? DEFAULT_FUTURE_SKEW_MS });
}

/**
 * The APIs of the service, root API first: OGC API Features, placelink's sensor endpoints and the
 * operators' endpoints at the root, NGSI-LD under /ngsi-ld/v1.
 */
export function composeApis(store: Store, config: ApiConfig, sensors: SensorService = defaultSensors(store, config, createLogger('silent'))): [Api, ...Api[]] {
  const reads = sensorReads(store, sensors);
  const catalog = cachedCatalog(store.collections, config.catalogTtlMs);
  const collections = datastreamCatalog(catalog, store, sensors, config.catalogTtlMs);
  const queries = collectionQueryService(
    { features: store.pages, links: store.sensors.links, sensors, reads },
    { countLimit: config.countLimit, countBudgetMs: config.countBudgetMs ?? DEFAULT_COUNT_BUDGET_MS, linkedTtlMs: Math.max(config.catalogTtlMs, 1000) },
  );
  const sensorsApi: Api = {
    name: 'Sensors',
    mount: '',
    errors: SENSOR_PROBLEMS,
    blocks: [
      timeseriesBlock(collections, reads),
      datastreamsBlock(collections, reads),
      observationsBlock(sensors, { apiKey: config.observationsApiKey, maxBytes: config.observationsMaxBytes ?? DEFAULT_MAX_BYTES }),
    ],
  };
  const adminApi: Api = { name: 'Administration', mount: '', errors: ADMIN_PROBLEMS, blocks: [sensorsAdminBlock(sensors), healthBlock(store), runsBlock(store.runs)] };
  const provision = entityProvision(store);
  const ngsiLd = ngsiLdApi({
    collections: catalog,
    entities: entityService(store),
    // What this process wrote is read back at once, not after the catalog's cache time.
    provision: { apply: (changes, names, caller) => provision.apply(changes, names, caller).finally(() => collections.invalidate()) },
    writes: { apiKey: config.ngsiLdApiKey, anonymousWrites: config.ngsiLdAnonymousWrites ?? false, mappedTypes: config.mappedEntityTypes ?? [] },
    contextsAllow: config.ngsiLdContextsAllow ?? [],
    contextTimeoutMs: config.ngsiLdContextTimeoutMs ?? DEFAULT_CONTEXT_TIMEOUT_MS,
    storedContexts: storedContextService(store.ldContexts),
    subscriptions: store.subscriptions,
    maxBodyBytes: config.ngsiLdMaxBytes ?? DEFAULT_NGSI_LD_MAX_BYTES,
    itemUrl: (ctx) => (collectionId, featureId) => itemUrl(ctx.state.baseUrl, collectionId, featureId),
    history: store.history,
    temporalLimit: config.ngsiLdTemporalLimit ?? DEFAULT_TEMPORAL_LIMIT,
  });
  const ogc = ogcFeaturesApi({
    info: SERVICE_INFO,
    mount: '',
    deps: { collections, queries, html: config.html ?? {}, collectionLinks: datastreamCollectionLinks(sensors), assetLinks: (ctx) => assetLinkTemplates(ctx.state.apiBase) },
    // The service's one API definition covers every endpoint, NGSI-LD's under its mount path.
    alongside: () => [...sensorsApi.blocks, ...adminApi.blocks, ...mountedBlocks(ngsiLd)],
    related: (ctx) => [{ href: `${ctx.state.baseUrl}${ngsiLd.mount}/types`, rel: 'related', type: 'application/json', title: 'The same places as NGSI-LD entities: entity types (NGSI-LD API)' }],
  });
  return [ogc, sensorsApi, adminApi, ngsiLd];
}

/** Every building block of every API, with routes and API definition paths as seen from the service root. */
export function buildingBlocks(store: Store, config: ApiConfig, sensors?: SensorService): BuildingBlock[] {
  return composeApis(store, config, sensors).flatMap(mountedBlocks);
}

/** Wires the services and APIs on a store into the HTTP application. */
export function composeApi(store: Store, config: ApiConfig, logger: Logger, sensors: SensorService = defaultSensors(store, config, logger)): Koa {
  return buildApp({ logger, apis: composeApis(store, config, sensors), baseUrl: config.baseUrl, trustProxy: config.trustProxy });
}

export type NotifierConfig = Pick<
  Config,
  'ngsiLdContextsAllow' | 'ngsiLdContextTimeoutMs' | 'ngsiLdNotifyTimeoutMs' | 'ngsiLdNotifyBackoffMaxMs' | 'ngsiLdNotifyConcurrency' | 'ngsiLdNotifyBatch' | 'ngsiLdNotifyPollMs'
>;

/**
 * Delivers the notifications of NGSI-LD subscriptions from the store's change log (every serving
 * process runs one; they share the work); `changes` is the process's feed of committed changes.
 */
export function startNotifications(store: Store, changes: ChangeFeed, config: NotifierConfig, logger: Logger): Promise<Notifier> {
  return startNgsiLdNotifier({
    collections: store.collections,
    entities: entityService(store),
    subscriptions: store.subscriptions,
    changes,
    storedContexts: storedContextService(store.ldContexts),
    contextsAllow: config.ngsiLdContextsAllow,
    contextTimeoutMs: config.ngsiLdContextTimeoutMs,
    timeoutMs: config.ngsiLdNotifyTimeoutMs,
    backoffMaxMs: config.ngsiLdNotifyBackoffMaxMs,
    concurrency: config.ngsiLdNotifyConcurrency,
    batchSize: config.ngsiLdNotifyBatch,
    pollMs: config.ngsiLdNotifyPollMs,
    logger,
  });
}

export type FederationConfig = Pick<Config, 'ngsiLdContextsAllow' | 'ngsiLdContextTimeoutMs' | 'ngsiLdNotifyTimeoutMs' | 'ngsiLdRegisterAt' | 'ngsiLdRegisterIntervalMs' | 'baseUrl'>;

/**
 * Federation with other NGSI-LD brokers: the push subscriptions of the mappings that push (delivered
 * by the notifier), and the Context Source registration when PLACELINK_NGSILD_REGISTER_AT names a broker.
 */
export async function startFederation(store: Store, mappings: readonly Mapping[], config: FederationConfig, logger: Logger): Promise<Registration | null> {
  await syncPushes(store.subscriptions.pushes, mappings, logger);
  if (!config.ngsiLdRegisterAt || !config.baseUrl) return null;
  return startNgsiLdRegistration({
    collections: store.collections,
    entities: entityService(store),
    storedContexts: storedContextService(store.ldContexts),
    contextsAllow: config.ngsiLdContextsAllow,
    contextTimeoutMs: config.ngsiLdContextTimeoutMs,
    brokerBase: config.ngsiLdRegisterAt,
    endpoint: config.baseUrl,
    intervalMs: config.ngsiLdRegisterIntervalMs,
    timeoutMs: config.ngsiLdNotifyTimeoutMs,
    logger,
  });
}

/** How requests too broken to tell which API they were for are answered (the root API's format). */
export { OGC_PROBLEMS as ROOT_ERRORS } from './ogcapi/problems.js';
