import type { SqlQuery } from './sql-query.js';

// Arbitrary constant shared by every placelink instance: the advisory lock key for migrations.
const MIGRATION_LOCK_KEY = 7_301_552_001;

export const migrationSql = {
  lock: (): SqlQuery => ({ text: 'SELECT pg_advisory_lock($1)', values: [MIGRATION_LOCK_KEY] }),
  unlock: (): SqlQuery => ({ text: 'SELECT pg_advisory_unlock($1)', values: [MIGRATION_LOCK_KEY] }),
  createTable: (): SqlQuery => ({
    text: `CREATE TABLE IF NOT EXISTS schema_migration (
             version integer PRIMARY KEY,
             name text NOT NULL,
             checksum text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())`,
    values: [],
  }),
  listApplied: (): SqlQuery => ({ text: 'SELECT version, name, checksum FROM schema_migration ORDER BY version', values: [] }),
  record: (version: number, name: string, checksum: string): SqlQuery => ({
    text: 'INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)',
    values: [version, name, checksum],
  }),
};
