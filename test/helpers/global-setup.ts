import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgis, type EmbeddedPostgis } from '../../src/db/embedded-postgis.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: 'postgresql' | 'embedded';
  }
}

const DEFAULT_URL = 'postgres://root@127.0.0.1:5432/placelink_test';

/** Creates the test database on a reachable PostgreSQL server; false when there is none, or it has no PostGIS (unless TEST_DATABASE_URL insists on it). */
async function preparePostgres(url: string): Promise<boolean> {
  const target = new URL(url);
  const database = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rows.length === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    const { rows: available } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'");
    if (available.length === 0) {
      if (process.env['TEST_DATABASE_URL']) throw new Error(`PostgreSQL at ${admin.host} has no PostGIS; install it (apt-get install postgresql-15-postgis-3) or unset TEST_DATABASE_URL`);
      process.stderr.write(`PostgreSQL at ${admin.host} has no PostGIS (apt-get install postgresql-15-postgis-3 to use it): `);
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

/**
 * One migrated database for the whole run: TEST_DATABASE_URL (default: the local server), or the
 * embedded PostGIS in a temporary folder when no PostgreSQL is reachable.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = createLogger('warn');
  const url = process.env['TEST_DATABASE_URL'] ?? DEFAULT_URL;
  let embedded: EmbeddedPostgis | null = null;
  let dataDir: string | null = null;
  let connectionString = url;
  if (!(await preparePostgres(url))) {
    if (process.env['TEST_DATABASE_URL']) throw new Error(`TEST_DATABASE_URL=${url} is not reachable`);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-test-'));
    process.stderr.write(`no PostgreSQL with PostGIS at ${new URL(url).host}: running the database tests on the embedded PostGIS (PGlite) in ${dataDir}\n`);
    embedded = await startEmbeddedPostgis(dataDir, logger);
    connectionString = embedded.connectionString;
  }
  const db = createDatabase({ connectionString, poolSize: 1, statementTimeoutMs: 60_000, pglite: embedded !== null }, logger);
  await migrate(db, logger);
  await db.close();
  project.provide('databaseUrl', connectionString);
  project.provide('databaseKind', embedded ? 'embedded' : 'postgresql');
  return async () => {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
