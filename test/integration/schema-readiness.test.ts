import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrate, MIGRATIONS_DIR, readMigrations, type MigrationFile } from '../../src/db/migrate.js';
import { createStore } from '../../src/db/store.js';
import { runCli } from '../helpers/cli.js';
import { isEmbedded, testLogger } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

/**
 * A database of its own, migrated up to all but the last file: /readyz fails while a migration is
 * pending or an applied file no longer matches its recorded checksum, and `placelink migrate`
 * brings the schema to current (exit 0), then finds nothing to do (exit 0 again).
 */
describe.skipIf(isEmbedded())('readiness and `placelink migrate` on a schema that is not current', () => {
  const databaseUrl = new URL(inject('databaseUrl'));
  const name = `${databaseUrl.pathname.slice(1)}_schema`;
  const scratchUrl = Object.assign(new URL(databaseUrl), { pathname: `/${name}` }).toString();
  const adminUrl = Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).toString();
  let admin: Database;
  let scratch: Database;
  let server: TestServer;
  let files: MigrationFile[];
  let partial: string;

  const dropScratch = () => admin.query({ text: `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, values: [] });
  const readiness = async () => {
    const response = await fetch(`${server.url}/readyz`);
    return { status: response.status, body: (await response.json()) as { status: string } };
  };

  beforeAll(async () => {
    admin = createDatabase({ connectionString: adminUrl, poolSize: 1, statementTimeoutMs: 60_000 }, testLogger);
    await dropScratch();
    await admin.query({ text: `CREATE DATABASE "${name}"`, values: [] });
    files = await readMigrations(MIGRATIONS_DIR);
    partial = await mkdtemp(path.join(os.tmpdir(), 'placelink-partial-migrations-'));
    for (const file of files.slice(0, -1)) await cp(path.join(MIGRATIONS_DIR, file.name), path.join(partial, file.name));
    scratch = createDatabase({ connectionString: scratchUrl, poolSize: 2, statementTimeoutMs: 60_000 }, testLogger);
    await migrate(scratch, testLogger, partial);
    server = await startTestServer(await createStore(scratch));
  });

  afterAll(async () => {
    await server?.close();
    await scratch?.close();
    if (admin) {
      await dropScratch();
      await admin.close();
    }
    if (partial) await rm(partial, { recursive: true, force: true });
  });

  it('/readyz is 503 while a migration is pending; `placelink migrate` applies it with exit 0, and a second run does nothing, with exit 0', async () => {
    expect(await readiness()).toEqual({ status: 503, body: expect.objectContaining({ status: 'not ready' }) });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const first = await runCli(['migrate'], { DATABASE_URL: scratchUrl, LOG_LEVEL: 'silent' });
    expect(first).toMatchObject({ code: 0, stdout: `applied: ${files.at(-1)!.name}\n` });
    expect(await readiness()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready' }) });

    const second = await runCli(['migrate'], { DATABASE_URL: scratchUrl, LOG_LEVEL: 'silent' });
    expect(second).toMatchObject({ code: 0, stdout: 'schema is current\n' });
    const recorded = await scratch.query<{ version: number; checksum: string }>({ text: 'SELECT version, checksum FROM schema_migration ORDER BY version', values: [] });
    expect(recorded).toEqual(files.map((f) => ({ version: f.version, checksum: f.checksum })));
  });

  it('/readyz is 503 when an applied file no longer matches its checksum, and migrate refuses to run', async () => {
    const first = files[0]!;
    const setChecksum = (checksum: string) => scratch.query({ text: 'UPDATE schema_migration SET checksum = $1 WHERE version = $2', values: [checksum, first.version] });
    await setChecksum('0'.repeat(64));
    try {
      expect((await readiness()).status).toBe(503);
      const refused = await runCli(['migrate'], { DATABASE_URL: scratchUrl, LOG_LEVEL: 'silent' });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(new RegExp(`Migration ${first.name} was changed after it was applied`));
    } finally {
      await setChecksum(first.checksum);
    }
    expect((await readiness()).status).toBe(200);
  });
});
