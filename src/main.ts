import type { AddressInfo } from 'node:net';
import { composeApi, ROOT_ERRORS, startFederation, startNotifications } from './compose.js';
import { redactedConfig, type Config } from './config/env.js';
import { loadMappings, type LoadedMapping } from './config/mappings-loader.js';
import { migrate } from './db/migrate.js';
import { openDatabase, type OpenedDatabase } from './db/open-database.js';
import { createStore } from './db/store.js';
import { DatabaseUnavailableError } from './domain/errors.js';
import { createHttpServer } from './http/server.js';
import { startHarvestScheduler, type HarvestScheduler } from './ingest/harvest-scheduler.js';
import type { MqttSource } from './domain/mapping.js';
import { startMqttFeed, type MqttFeed } from './ingest/mqtt/mqtt-subscriber.js';
import type { Logger } from './logger.js';
import { createChangeFeed } from './services/change-feed.js';
import { loadDemoData } from './services/features/demo-data.js';
import type { Registration } from './ngsild/federation/registration.js';
import type { Notifier } from './ngsild/subscriptions/notifier.js';
import type { Store } from './services/ports/store.js';
import { sensorMappings } from './services/sensors/sensor-registry.js';
import { sensorService, type SensorService } from './services/sensors/sensor-service.js';

export interface RunningService {
  readonly url: string;
  readonly store: Store;
  readonly mappings: readonly LoadedMapping[];
  readonly sensors: SensorService;
  /** Resolves once migrations (and the demo data, when enabled) are in place. */
  readonly prepared: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Migrates the schema (and loads the demo data), retrying while the database is unreachable so a
 * service started before its database comes up serves /healthz and a failing /readyz meanwhile.
 */
async function prepareDatabase(opened: OpenedDatabase, store: Store, config: Config, logger: Logger, stopping: () => boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(opened.db, logger);
      if (config.demo) await loadDemoData(store, logger);
      return;
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError) || stopping()) throw error;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      logger.warn({ attempt, retryInMs: delay }, 'database not reachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  logger.info({ config: redactedConfig(config) }, 'starting placelink');
  // Misconfigured mappings stop the start with every file, line and field named.
  const mappings = config.mappingsPath ? await loadMappings(config.mappingsPath) : [];
  if (config.mappingsPath) logger.info({ path: config.mappingsPath, mappings: mappings.map((m) => m.mapping.id) }, 'mappings loaded');
  const opened = await openDatabase(config, logger);
  const changes = createChangeFeed(logger);
  const store = await createStore(opened.db, { observationPartition: config.observationPartition, changes });
  const sensors = sensorService(store, sensorMappings(mappings.map((m) => m.mapping)), logger, { maxFutureMs: config.observationsFutureSkewMs, changes });
  if (config.ngsiLdAnonymousWrites) {
    logger.warn(
      { host: config.host, variable: 'PLACELINK_NGSILD_ANONYMOUS_WRITES' },
      'ANONYMOUS NGSI-LD WRITES ARE ON: anyone who reaches this loopback address can create, change and delete NGSI-LD entities of types no mapping declares, without an API key',
    );
  }
  const mappedEntityTypes = mappings.flatMap(({ mapping }) => (mapping.ngsiLd ? [{ mappingId: mapping.id, type: mapping.ngsiLd.type, context: mapping.ngsiLd.context }] : []));
  const app = composeApi(store, { ...config, mappedEntityTypes }, logger, sensors);
  let stopping = false;
  let scheduler: HarvestScheduler | null = null;
  const feeds: MqttFeed[] = [];
  let notifier: Notifier | null = null;
  let registration: Registration | null = null;
  let maintenance: NodeJS.Timeout | null = null;
  let maintaining: Promise<unknown> = Promise.resolve();
  const maintain = () => {
    const history = store.history.maintain(new Date(), config.historyRetentionMs).then(
      ({ dropped, expired }) => {
        if (dropped.length || expired) logger.info({ dropped, expired }, 'history past its retention removed');
      },
      (error: unknown) => logger.warn({ err: error }, 'history maintenance failed; it runs again at the next interval'),
    );
    maintaining = Promise.all([
      sensors.maintain().catch((error: unknown) => logger.warn({ err: error }, 'sensor maintenance failed; it runs again at the next interval')),
      history,
    ])
      .finally(() => {
        if (!stopping) {
          maintenance = setTimeout(maintain, config.sensorMaintenanceMs);
          maintenance.unref();
        }
      });
  };
  const prepared = prepareDatabase(opened, store, config, logger, () => stopping).then(async () => {
    if (stopping) return;
    await sensors.prepare();
    if (config.sensorFeeds) {
      for (const mapping of sensors.mappings) {
        if (mapping.source.type !== 'mqtt') continue;
        const feed = startMqttFeed(mapping as typeof mapping & { source: MqttSource }, sensors, logger);
        feeds.push(feed);
        sensors.registerFeed(() => feed.status());
      }
    }
    maintain();
    if (!stopping) notifier = await startNotifications(store, changes, config, logger);
    if (!stopping) registration = await startFederation(store, mappings.map((m) => m.mapping), config, logger);
    if (config.harvestSchedule && mappings.some((m) => m.mapping.schedule?.enabled) && !stopping) scheduler = await startHarvestScheduler(store, mappings, logger);
  });

  const server = createHttpServer(app, ROOT_ERRORS, logger);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url }, 'listening');

  return {
    url,
    store,
    mappings,
    sensors,
    prepared,
    async stop() {
      stopping = true;
      logger.info('shutting down');
      await prepared.catch(() => {});
      // A running harvest is rolled back (its run is recorded as failed) before the pool ends.
      await (scheduler as HarvestScheduler | null)?.stop();
      // Feeds store and acknowledge what they received before the pool ends; the rest the broker keeps.
      await Promise.all(feeds.map((feed) => feed.stop().catch((error: unknown) => logger.warn({ err: error }, 'MQTT feed did not stop cleanly'))));
      if (maintenance) clearTimeout(maintenance);
      await maintaining;
      await (registration as Registration | null)?.stop();
      // Deliveries under way finish; what is not delivered stays in the outbox for the next start.
      await (notifier as Notifier | null)?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
      await closed;
      clearTimeout(deadline);
      await prepared.catch(() => {});
      await opened.close();
      logger.info('stopped');
    },
  };
}
