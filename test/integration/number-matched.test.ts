/**
 * numberMatched is exact or absent, never a guess: filtered counts are bounded in rows
 * (PLACELINK_COUNT_LIMIT) and in time (PLACELINK_COUNT_BUDGET_MS, a statement timeout of its own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { isEmbedded, testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';
import { announceSkip } from '../helpers/environment.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

interface Page {
  numberReturned: number;
  numberMatched?: number;
}

const noTimeouts = announceSkip('number-matched.test.ts (time budget)', isEmbedded() ? 'the embedded PGlite has no statement timeouts, so the count time budget does not apply there' : null);

let db: Database;
let store: Store;
const grid = uniqueId('counted');
const GRID = pointGrid(20_000);
const servers: TestServer[] = [];

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: grid }, GRID);
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await store.collections.remove(grid);
  await db?.close();
});

async function page(config: { countLimit?: number; countBudgetMs?: number }, query: string): Promise<Page> {
  const server = await startTestServer(store, config);
  servers.push(server);
  const response = await fetch(`${server.url}/collections/${grid}/items?${query}`, { headers: { Accept: 'application/geo+json' } });
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

// Every point of the grid but the last rows: the first page of 10 is not the last, so the count is needed.
const MOST = 'bbox=9.69,52.29,9.9,52.5&filter=' + encodeURIComponent("kind <> 'x' AND n >= 0");

describe('numberMatched of a filtered request', () => {
  it('is counted exactly within the limits', async () => {
    const body = await page({ countLimit: 100_000, countBudgetMs: 60_000 }, MOST);
    expect(body.numberReturned).toBe(10);
    expect(body.numberMatched).toBe(GRID.length);
  });

  it('is omitted when there are more matches than PLACELINK_COUNT_LIMIT, and exact below it', async () => {
    const over = await page({ countLimit: 100 }, MOST);
    expect(over.numberReturned).toBe(10);
    expect(over).not.toHaveProperty('numberMatched');
    const under = await page({ countLimit: 100 }, `limit=10&filter=${encodeURIComponent('n < 50')}`);
    expect(under.numberReturned).toBe(10);
    expect(under.numberMatched).toBe(50);
  });

  it.skipIf(noTimeouts)('is omitted when counting takes longer than PLACELINK_COUNT_BUDGET_MS, and the page is still served', async () => {
    const body = await page({ countLimit: 100_000, countBudgetMs: 1 }, MOST);
    expect(body.numberReturned).toBe(10);
    expect(body).not.toHaveProperty('numberMatched');
  });
});

describe.skipIf(noTimeouts)('a statement with a time budget', () => {
  it('gives null when cancelled, and leaves the connection without that timeout', async () => {
    expect(await db.queryWithin({ text: 'SELECT pg_sleep(0.3)', values: [] }, 20)).toBeNull();
    const rows = await db.queryWithin<{ ok: number }>({ text: 'SELECT 1 AS ok FROM pg_sleep(0.05)', values: [] }, 5000);
    expect(rows).toEqual([{ ok: 1 }]);
    const [setting] = await db.query<{ timeout: string }>({ text: "SELECT current_setting('statement_timeout') AS timeout", values: [] });
    expect(setting!.timeout).toBe('1min');
  });
});
