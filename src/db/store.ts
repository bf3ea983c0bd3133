import type { FeaturePageQuery } from '../domain/query.js';
import type { PageChunk, Repositories, Store } from '../services/ports.js';
import { collectionRepository } from './collection-repository.js';
import type { Database, SqlExecutor, TransactionExecutor } from './database.js';
import { featureRepository } from './feature-repository.js';
import { openHarvestSession } from './harvest-session.js';
import { runRepository } from './run-repository.js';
import { sensorRepository } from './sensor-repository.js';
import { migrationsCurrent, readMigrations } from './migrate.js';
import { featureSql } from './sql/feature-sql.js';

/** Chunks per fetch when streaming a page (about 0.5 MB of point features). */
const PAGE_BATCH = 8;

/** On a transaction's connection (`copyFrom`), first fills bulk load with COPY. */
function repositories(executor: SqlExecutor & Partial<Pick<TransactionExecutor, 'copyFrom'>>, pglite: boolean): Repositories {
  return { collections: collectionRepository(executor), features: featureRepository(executor, { freshInsert: !pglite }) };
}

/** The PostGIS implementation of the services' Store port. */
export async function createStore(db: Database, options: { observationPartition?: 'day' | 'week' | 'month' } = {}): Promise<Store> {
  const migrations = await readMigrations();
  return {
    ...repositories(db, db.pglite),
    runs: runRepository(db),
    sensors: sensorRepository(db, { partitionGrain: options.observationPartition ?? 'month' }),
    concurrentWrites: db.poolSize > 1,
    harvest: (collectionId, work) => db.transaction(async (tx) => work(await openHarvestSession(tx, collectionId, repositories(tx, db.pglite)))),
    // Pages of up to one batch are read in a single round trip; longer ones stream batch by batch.
    streamPage: (query: FeaturePageQuery) => db.stream<PageChunk>(featureSql.page(query), PAGE_BATCH, featureSql.pageChunkCount(query.limit)),
    async countFeatures(selection, cap, budgetMs) {
      const rows = await db.queryWithin<{ n: number }>(featureSql.cappedCount(selection, cap), budgetMs);
      const n = rows?.[0]?.n ?? 0;
      return rows === null || n > cap ? null : n;
    },
    async snapshot(collectionKey: number) {
      const [row] = await db.query<{ total: string; version: string }>(featureSql.snapshot(collectionKey));
      return row ? { total: Number(row.total), version: Number(row.version) } : null;
    },
    transaction: (work) => db.transaction((tx) => work(repositories(tx, db.pglite))),
    async ready() {
      try {
        return await migrationsCurrent(db, migrations);
      } catch {
        return false;
      }
    },
  };
}
