import type { AddressInfo } from 'node:net';
import { composeApi } from './compose.js';
import { redactedConfig, type Config } from './config/env.js';
import { loadMappings, type LoadedMapping } from './config/mappings-loader.js';
import { migrate } from './db/migrate.js';
import { openDatabase, type OpenedDatabase } from './db/open-database.js';
import { createStore } from './db/store.js';
import { DatabaseUnavailableError } from './domain/errors.js';
import { createHttpServer } from './http/server.js';
import { startHarvestScheduler, type HarvestScheduler } from './ingest/harvest-scheduler.js';
import type { Logger } from './logger.js';
import { loadDemoData } from './services/demo-data.js';
import type { Store } from './services/ports.js';

export interface RunningService {
  readonly url: string;
  readonly store: Store;
  readonly mappings: readonly LoadedMapping[];
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
  const store = await createStore(opened.db);
  const app = composeApi(store, config, logger);
  let stopping = false;
  let scheduler: HarvestScheduler | null = null;
  const prepared = prepareDatabase(opened, store, config, logger, () => stopping).then(async () => {
    if (config.harvestSchedule && mappings.some((m) => m.mapping.schedule?.enabled) && !stopping) scheduler = await startHarvestScheduler(store, mappings, logger);
  });

  const server = createHttpServer(app);
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
    prepared,
    async stop() {
      stopping = true;
      logger.info('shutting down');
      await prepared.catch(() => {});
      // A running harvest is rolled back (its run is recorded as failed) before the pool ends.
      await (scheduler as HarvestScheduler | null)?.stop();
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
