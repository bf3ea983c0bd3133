import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { migrate, MIGRATIONS_DIR, readMigrations } from '../../src/db/migrate.js';
import { MigrationError } from '../../src/domain/errors.js';
import { isEmbedded, testDatabase, testLogger } from '../helpers/database.js';

describe('migrations', () => {
  let db: Database;
  let dir: string;

  beforeAll(async () => {
    db = testDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'placelink-migrations-'));
  });
  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the numbered files in order, the first enabling PostGIS', async () => {
    const files = await readMigrations(MIGRATIONS_DIR);
    expect(files.map((f) => f.version)).toEqual([...files.map((f) => f.version)].sort((a, b) => a - b));
    expect(files[0]!.sql).toMatch(/CREATE EXTENSION IF NOT EXISTS postgis/);
  });

  it('is a no-op on a current schema and records every file with its checksum', async () => {
    const { applied } = await migrate(db, testLogger);
    expect(applied).toEqual([]);
    const files = await readMigrations(MIGRATIONS_DIR);
    const rows = await db.query<{ version: number; checksum: string }>({ text: 'SELECT version, checksum FROM schema_migration ORDER BY version', values: [] });
    for (const file of files) expect(rows.find((r) => r.version === file.version)?.checksum).toBe(file.checksum);
  });

  it('refuses to run when an applied file was changed', async () => {
    const files = await readMigrations(MIGRATIONS_DIR);
    for (const file of files) await writeFile(path.join(dir, file.name), file.sql);
    const first = files[0]!;
    await writeFile(path.join(dir, first.name), `${first.sql}\n-- edited after it was applied\n`);
    await expect(migrate(db, testLogger, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(db, testLogger, dir)).rejects.toThrow(/was changed after it was applied/);
  });

  it('rejects badly named files', async () => {
    await writeFile(path.join(dir, 'add-stuff.sql'), 'SELECT 1;');
    await expect(readMigrations(dir)).rejects.toThrow(/does not match NNNN_name\.sql/);
    await rm(path.join(dir, 'add-stuff.sql'));
  });

  it.skipIf(isEmbedded())('lets only one of two concurrent instances migrate (advisory lock), both succeed', async () => {
    const other = testDatabase(2);
    try {
      const results = await Promise.all([migrate(db, testLogger), migrate(other, testLogger)]);
      expect(results.map((r) => r.applied)).toEqual([[], []]);
    } finally {
      await other.close();
    }
  });

  it('applies a new file in its own transaction and rolls back a failing one', async () => {
    const files = await readMigrations(MIGRATIONS_DIR);
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'placelink-migrations-'));
    try {
      for (const file of files) await writeFile(path.join(scratch, file.name), file.sql);
      await writeFile(path.join(scratch, '9998_broken.sql'), 'CREATE TABLE migration_probe_table (x int); SELECT no_such_function();');
      await expect(migrate(db, testLogger, scratch)).rejects.toThrow(/9998_broken\.sql failed/);
      const [probe] = await db.query<{ exists: boolean }>({ text: "SELECT to_regclass('migration_probe_table') IS NOT NULL AS exists", values: [] });
      expect(probe!.exists).toBe(false);
      const [recorded] = await db.query<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM schema_migration WHERE version = 9998', values: [] });
      expect(recorded!.n).toBe(0);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
