import type { FeaturePageQuery } from '../domain/query.js';
import type { FeatureRow, Repositories, Store } from '../services/ports.js';
import { collectionRepository } from './collection-repository.js';
import type { Database, SqlExecutor } from './database.js';
import { featureRepository } from './feature-repository.js';
import { openHarvestSession } from './harvest-session.js';
import { runRepository } from './run-repository.js';
import { migrationsCurrent, readMigrations } from './migrate.js';
import { featureSql } from './sql/feature-sql.js';

function repositories(executor: SqlExecutor): Repositories {
  return { collections: collectionRepository(executor), features: featureRepository(executor) };
}

/** The PostGIS implementation of the services' Store port. */
export async function createStore(db: Database): Promise<Store> {
  const migrations = await readMigrations();
  return {
    ...repositories(db),
    runs: runRepository(db),
    concurrentWrites: db.poolSize > 1,
    harvest: (collectionId, work) => db.transaction(async (tx) => work(await openHarvestSession(tx, collectionId, repositories(tx)))),
    streamPage: (query: FeaturePageQuery) => db.stream<FeatureRow>(featureSql.page(query), Math.min(query.fetch, 1000)),
    transaction: (work) => db.transaction((tx) => work(repositories(tx))),
    async ready() {
      try {
        return await migrationsCurrent(db, migrations);
      } catch {
        return false;
      }
    },
  };
}
