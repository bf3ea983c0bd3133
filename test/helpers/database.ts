import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.js';
import { createStore } from '../../src/db/store.js';
import { createLogger } from '../../src/logger.js';
import type { Store } from '../../src/services/ports/store.js';

export const testLogger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');

export function isEmbedded(): boolean {
  return inject('databaseKind') === 'embedded';
}

/** A connection pool on the run's migrated test database. */
export function testDatabase(poolSize = isEmbedded() ? 1 : 4): Database {
  return createDatabase({ connectionString: inject('databaseUrl'), poolSize, statementTimeoutMs: 60_000, applicationName: 'placelink-test', pglite: isEmbedded() }, testLogger);
}

export async function testStore(db: Database): Promise<Store> {
  return createStore(db);
}

/** Collections are shared by all test files in the database: each test makes its own ids. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
