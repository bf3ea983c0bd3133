import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { MigrationError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { sessionSql } from './sql/session-sql.js';
import { migrationSql } from './sql/migration-sql.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) throw new MigrationError(`Migration file name '${name}' does not match NNNN_name.sql`);
    const sql = await readFile(path.join(dir, name), 'utf8');
    const version = Number(match[1]);
    if (files.some((f) => f.version === version)) throw new MigrationError(`Two migration files have version ${version}`);
    files.push({ version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies pending migrations in order, each in its own transaction, under a session advisory
 * lock so two instances starting together do not both migrate. A changed applied file stops it.
 */
export async function migrate(db: Database, logger: Logger, dir = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const files = await readMigrations(dir);
  return db.withConnection(async (connection) => {
    await connection.query(migrationSql.lock());
    try {
      await connection.query(migrationSql.createTable());
      const applied = new Map((await connection.query<AppliedRow>(migrationSql.listApplied())).map((row) => [row.version, row]));
      for (const [version, row] of applied) {
        const file = files.find((f) => f.version === version);
        if (!file) throw new MigrationError(`Migration ${row.name} is applied in the database but its file is missing`);
        if (file.checksum !== row.checksum) {
          throw new MigrationError(`Migration ${file.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`);
        }
      }
      const done: string[] = [];
      for (const file of files.filter((f) => !applied.has(f.version))) {
        const started = Date.now();
        await connection.query(sessionSql.begin());
        try {
          await connection.query({ text: file.sql, values: [] });
          await connection.query(migrationSql.record(file.version, file.name, file.checksum));
          await connection.query(sessionSql.commit());
        } catch (error) {
          await connection.query(sessionSql.rollback());
          throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`, { cause: error });
        }
        logger.info({ migration: file.name, ms: Date.now() - started }, 'migration applied');
        done.push(file.name);
      }
      return { applied: done };
    } finally {
      await connection.query(migrationSql.unlock());
    }
  });
}

/** True when every migration file is applied with its current checksum (for /readyz). */
export async function migrationsCurrent(db: Database, files: readonly MigrationFile[]): Promise<boolean> {
  const rows = await db.query<AppliedRow>(migrationSql.listApplied());
  return files.every((f) => rows.some((r) => r.version === f.version && r.checksum === f.checksum));
}
