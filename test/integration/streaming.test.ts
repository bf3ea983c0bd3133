import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.js';
import { createStore } from '../../src/db/store.js';
import type { Store } from '../../src/services/ports/store.js';
import { isEmbedded, testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const big = uniqueId('stream');
const COUNT = 6000;
let db: Database;
let store: Store;
let server: TestServer;

beforeAll(async () => {
  db = testDatabase(2);
  store = await testStore(db);
  await createCollection(store, { id: big }, pointGrid(COUNT, 5, 45, 0.0005));
  server = await startTestServer(store);
});

afterAll(async () => {
  await server?.close();
  await store.collections.remove(big);
  await db?.close();
});

/** Starts a request and destroys the socket as soon as the first body bytes arrive. */
function abortAfterFirstBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, (response) => {
      response.once('data', (chunk: Buffer) => {
        request.destroy();
        resolve(chunk.length);
      });
    });
    request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(0) : reject(error)));
  });
}

describe('streamed pages', () => {
  it('streams a page longer than one database fetch, in order, with nothing lost', async () => {
    const response = await fetch(`${server.url}/collections/${big}/items?limit=${COUNT}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const body = (await response.json()) as { features: Array<{ id: string }>; numberReturned: number; numberMatched: number; links: Array<{ rel: string }> };
    expect(body.numberReturned).toBe(COUNT);
    expect(body.numberMatched).toBe(COUNT);
    expect(body.features.map((f) => f.id)).toEqual(Array.from({ length: COUNT }, (_, n) => `P-${String(n).padStart(4, '0')}`));
    expect(body.links.some((l) => l.rel === 'next')).toBe(false);
  });

  it('pages forward and back in pages of several chunks (and with a bbox), losing and repeating nothing', async () => {
    const ids = Array.from({ length: COUNT }, (_, n) => `P-${String(n).padStart(4, '0')}`);
    type Page = { features: Array<{ id: string }>; links: Array<{ rel: string; href: string }> };
    const read = async (url: string) => (await (await fetch(url)).json()) as Page;
    const link = (page: Page, rel: string) => page.links.find((l) => l.rel === rel)?.href;
    for (const query of ['limit=700', 'limit=260&bbox=4.9,44.9,6,46']) {
      const pages: string[][] = [];
      let page = await read(`${server.url}/collections/${big}/items?${query}`);
      pages.push(page.features.map((f) => f.id));
      for (let next = link(page, 'next'); next; next = link(page, 'next')) {
        page = await read(next);
        pages.push(page.features.map((f) => f.id));
      }
      expect(pages.flat()).toEqual(ids);
      const back: string[][] = [];
      for (let prev = link(page, 'prev'); prev; prev = link(page, 'prev')) {
        page = await read(prev);
        back.unshift(page.features.map((f) => f.id));
      }
      expect(back).toEqual(pages.slice(0, -1));
    }
  });

  it('sends short pages in one piece with a Content-Length', async () => {
    const response = await fetch(`${server.url}/collections/${big}/items?limit=5`);
    expect(response.headers.get('content-length')).not.toBeNull();
    expect(((await response.json()) as { features: unknown[] }).features).toHaveLength(5);
  });

  it('gives the connection back when clients disconnect mid-stream', async () => {
    for (let i = 0; i < 12; i++) {
      expect(await abortAfterFirstBytes(`${server.url}/collections/${big}/items?limit=${COUNT}`)).toBeGreaterThanOrEqual(0);
    }
    // The pool has two connections: leaked ones would make these requests hang.
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${server.url}/collections/${big}/items?limit=3`, { signal: AbortSignal.timeout(5000) });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    if (!isEmbedded()) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const busy = await db.query<{ n: number }>({
        text: "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'placelink-test' AND datname = current_database() AND state NOT IN ('idle') AND pid <> pg_backend_pid()",
        values: [],
      });
      expect(busy[0]!.n).toBe(0);
    }
  });
});

describe('database unavailable', () => {
  let down: Database;
  let downServer: TestServer;

  beforeAll(async () => {
    down = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:9/none', poolSize: 1, statementTimeoutMs: 1000 }, testLogger);
    downServer = await startTestServer(await createStore(down));
  });
  afterAll(async () => {
    await downServer?.close();
    await down?.close();
  });

  it('answers 503 problems, fails readiness, stays alive', async () => {
    const collections = await fetch(`${downServer.url}/collections`);
    expect(collections.status).toBe(503);
    expect(collections.headers.get('content-type')).toBe('application/problem+json');
    expect(collections.headers.get('retry-after')).toBe('5');
    const problem = (await collections.json()) as { detail: string };
    expect(problem.detail).toBe('The database is not reachable');
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
    expect((await fetch(`${downServer.url}/collections/x/items`)).status).toBe(503);
    expect((await fetch(`${downServer.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${downServer.url}/healthz`)).status).toBe(200);
  });
});
