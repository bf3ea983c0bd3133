import pg from 'pg';
import type { Config } from '../config/env.js';
import type { Logger } from '../logger.js';
import { createDatabase, type Database } from './database.js';
import type { EmbeddedPostgis } from './embedded-postgis.js';
import { sessionSql } from './sql/session-sql.js';

export interface OpenedDatabase {
  readonly db: Database;
  readonly embedded: EmbeddedPostgis | null;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts (or joins) the embedded PostGIS when none is configured. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'poolSize' | 'statementTimeoutMs'>, logger: Logger, applicationName = 'placelink'): Promise<OpenedDatabase> {
  // Loaded only when used: PGlite and its PostGIS bundle weigh tens of megabytes in every process.
  const embedded = config.databaseUrl ? null : await (await import('./embedded-postgis.js')).startEmbeddedPostgis(config.dataDir, logger);
  // DATABASE_URL may name an embedded PostGIS another process serves: it needs the same care.
  const onPglite = embedded !== null || (await servedByPglite(config.databaseUrl!));
  const db = createDatabase(
    {
      connectionString: config.databaseUrl ?? embedded!.connectionString,
      // PGlite executes one statement at a time: more connections would only queue.
      poolSize: onPglite ? 1 : config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      applicationName,
      pglite: onPglite,
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

/** Whether the server is PGlite behind its socket (its version() says so); false when it cannot be reached now. */
async function servedByPglite(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>(sessionSql.serverVersion().text);
    return /\bPGlite\b/.test(rows[0]?.v ?? '');
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
