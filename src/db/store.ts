import type { ChangePublisher } from '../services/ports/changes.js';
import type { Repositories } from '../services/ports/feature-ports.js';
import type { Store } from '../services/ports/store.js';
import { collectionRepository } from './collection-repository.js';
import type { Database, SqlExecutor, TransactionExecutor } from './database.js';
import { entityRepository } from './entity-repository.js';
import { historyRepository } from './history-repository.js';
import { entityWriteRepository } from './entity-write-repository.js';
import { countedWrites } from './feature-changes.js';
import { featurePages } from './feature-pages.js';
import { featureRepository } from './feature-repository.js';
import { ldContextRepository } from './ld-context-repository.js';
import { openHarvestSession } from './harvest-session.js';
import { migrationsCurrent, readMigrations } from './migrate.js';
import { runRepository } from './run-repository.js';
import { sensorRepository } from './sensor-repository.js';
import { subscriptionStore } from './subscription-repository.js';

/** On a transaction's connection (`copyFrom`), first fills bulk load with COPY. */
function repositories(executor: SqlExecutor & Partial<Pick<TransactionExecutor, 'copyFrom'>>, pglite: boolean): Repositories {
  return { collections: collectionRepository(executor), features: featureRepository(executor, { freshInsert: !pglite }) };
}

const NO_CHANGES: ChangePublisher = { publish: async () => {} };

export interface StoreOptions {
  readonly observationPartition?: 'day' | 'week' | 'month';
  /** Where committed changes are announced. */
  readonly changes?: ChangePublisher;
}

/** The PostGIS implementation of the services' Store port. */
export async function createStore(db: Database, options: StoreOptions = {}): Promise<Store> {
  const migrations = await readMigrations();
  const changes = options.changes ?? NO_CHANGES;

  /** Runs `work` in a transaction whose feature writes are counted, and announces them after the commit. */
  async function announced<R extends Repositories, T>(open: (tx: TransactionExecutor) => Promise<R>, work: (repositories: R) => Promise<T>): Promise<T> {
    let events: Awaited<ReturnType<ReturnType<typeof countedWrites>['changes']>> = [];
    const result = await db.transaction(async (tx) => {
      const counted = countedWrites(await open(tx));
      const value = await work(counted.repositories);
      events = await counted.changes();
      return value;
    });
    for (const event of events) await changes.publish(event);
    return result;
  }

  return {
    ...repositories(db, db.pglite),
    runs: runRepository(db),
    sensors: sensorRepository(db, { partitionGrain: options.observationPartition ?? 'month', changes }),
    concurrentWrites: db.poolSize > 1,
    harvest: (collectionId, work) => announced((tx) => openHarvestSession(tx, collectionId, repositories(tx, db.pglite)), work),
    transaction: (work) => announced(async (tx) => repositories(tx, db.pglite), work),
    entityTransaction: (work) => announced(async (tx) => ({ ...repositories(tx, db.pglite), entityRows: entityWriteRepository(tx) }), work),
    pages: featurePages(db),
    entities: entityRepository(db),
    history: historyRepository(db),
    ldContexts: ldContextRepository(db),
    subscriptions: subscriptionStore(db),
    async ready() {
      try {
        return await migrationsCurrent(db, migrations);
      } catch {
        return false;
      }
    },
  };
}
