import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore } from './database.js';
import { startTestServer, type TestServer } from './http-server.js';

/**
 * What a harvest test file shares: the test database, the upstream it harvests from (started before
 * the file's tests, closed after them) and the collections to remove after them.
 */
export interface UpstreamBench<Upstream> {
  db: Database;
  store: Store;
  upstream: Upstream;
  readonly collections: string[];
}

/** Sets the bench up before the file's tests and removes what they made after them. */
export function upstreamBench<Upstream extends { close(): Promise<void> }>(start: (bench: UpstreamBench<Upstream>) => Promise<Upstream>): UpstreamBench<Upstream> {
  const bench = { collections: [] as string[] } as unknown as UpstreamBench<Upstream>;
  beforeAll(async () => {
    bench.db = testDatabase();
    bench.store = await testStore(bench.db);
    bench.upstream = await start(bench);
  });
  afterAll(async () => {
    for (const id of bench.collections) await bench.store?.collections.remove(id);
    await bench.upstream?.close();
    await bench.db?.close();
  });
  return bench;
}

/** A harvest bench whose "upstream" is placelink's own API on the store, with a folder for mapping and source files. */
export interface HarvestBench extends UpstreamBench<TestServer> {
  /** placelink's API on the test store. */
  readonly server: TestServer;
  directory: string;
}

export function harvestBench(prefix: string): HarvestBench {
  const bench = upstreamBench<TestServer>((b) => startTestServer(b.store)) as HarvestBench;
  Object.defineProperty(bench, 'server', { get: () => bench.upstream });
  beforeAll(async () => {
    bench.directory = await mkdtemp(path.join(os.tmpdir(), `placelink-${prefix}-`));
  });
  afterAll(async () => {
    if (bench.directory) await rm(bench.directory, { recursive: true, force: true });
  });
  return bench;
}
