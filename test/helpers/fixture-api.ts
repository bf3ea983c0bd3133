import type { ApiConfig } from '../../src/compose.js';
import type { CollectionDefinition } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from './database.js';
import { createCollection } from './fixtures.js';
import { startTestServer, type TestServer } from './http-server.js';

export interface FixtureCollection {
  /** Prefix of the collection id; a random suffix keeps test files from colliding. */
  readonly prefix: string;
  readonly definition?: Partial<CollectionDefinition>;
  readonly records: readonly FeatureRecord[];
}

export interface FixtureApi {
  readonly url: string;
  readonly store: Store;
  /** The unique collection id made for each prefix. */
  readonly ids: Readonly<Record<string, string>>;
  /** Another server on the same data, e.g. with a different configuration. */
  startServer(config?: Partial<ApiConfig>): Promise<TestServer>;
  /** Stops the servers, removes the collections and closes the pool. */
  close(): Promise<void>;
}

/** Loads collections into the test database and serves them on a loopback port. */
export async function startFixtureApi(collections: readonly FixtureCollection[], config: Partial<ApiConfig> = {}): Promise<FixtureApi> {
  const db: Database = testDatabase();
  const store = await testStore(db);
  const ids: Record<string, string> = {};
  const servers: TestServer[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const id of Object.values(ids)) await store.collections.remove(id);
    await db.close();
  };
  try {
    for (const { prefix, definition, records } of collections) {
      const id = uniqueId(prefix);
      ids[prefix] = id;
      await createCollection(store, { ...definition, id }, [...records]);
    }
    const server = await startTestServer(store, config);
    servers.push(server);
    return {
      url: server.url,
      store,
      ids,
      startServer: async (overrides = {}) => {
        const another = await startTestServer(store, overrides);
        servers.push(another);
        return another;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
