import type { Config } from '../config/env.js';
import type { Logger } from '../logger.js';
import { createDatabase, type Database } from './database.js';
import type { EmbeddedPostgis } from './embedded-postgis.js';

export interface OpenedDatabase {
  readonly db: Database;
  readonly embedded: EmbeddedPostgis | null;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts (or joins) the embedded PostGIS when none is configured. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'poolSize' | 'statementTimeoutMs'>, logger: Logger, applicationName = 'placelink'): Promise<OpenedDatabase> {
  // Loaded only when used: PGlite and its PostGIS bundle weigh tens of megabytes in every process.
  const embedded = config.databaseUrl ? null : await (await import('./embedded-postgis.js')).startEmbeddedPostgis(config.dataDir, logger);
  const db = createDatabase(
    {
      connectionString: config.databaseUrl ?? embedded!.connectionString,
      // PGlite executes one statement at a time: more connections would only queue.
      poolSize: embedded ? 1 : config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      applicationName,
      copyFromStdin: !embedded,
      preparedStatements: !embedded,
    },
    logger,
  );
  return {
    db,
    embedded,
    async close() {
      await db.close();
      await embedded?.stop();
    },
  };
}
