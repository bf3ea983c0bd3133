import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore } from './database.js';
import { startTestServer, type TestServer } from './http-server.js';

/** What harvest tests share: the test database, a served API, a folder for mapping and source files, and the collections to remove after. */
export interface HarvestBench {
  db: Database;
  store: Store;
  server: TestServer;
  directory: string;
  readonly collections: string[];
}

/** Sets the bench up before the file's tests and removes what they made after them. */
export function harvestBench(prefix: string): HarvestBench {
  const bench = { collections: [] as string[] } as unknown as HarvestBench;
  beforeAll(async () => {
    bench.db = testDatabase();
    bench.store = await testStore(bench.db);
    bench.server = await startTestServer(bench.store);
    bench.directory = await mkdtemp(path.join(os.tmpdir(), `placelink-${prefix}-`));
  });
  afterAll(async () => {
    for (const id of bench.collections) await bench.store?.collections.remove(id);
    await bench.server?.close();
    await bench.db?.close();
    if (bench.directory) await rm(bench.directory, { recursive: true, force: true });
  });
  return bench;
}
