import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { featureSql } from '../../src/db/sql/feature-sql.js';
import { harvestFeatures } from '../../src/services/features/harvest-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';

/**
 * Paging plans depend on statistics of the collection's partition (a missing one for retired_at made
 * the planner read and sort whole collections for one page): every bulk write path refreshes them.
 */
let db: Database;
let store: Store;
const imported = uniqueId('stats-import');
const harvested = uniqueId('stats-harvest');

async function statisticsOf(collectionId: string): Promise<string[]> {
  const collection = await store.collections.get(collectionId);
  const rows = await db.query<{ attname: string }>({ text: 'SELECT attname FROM pg_stats WHERE tablename = $1 ORDER BY attname', values: [`feature_c${collection!.key}`] });
  return rows.map((r) => r.attname);
}

async function firstPagePlan(collectionId: string): Promise<string> {
  const collection = await store.collections.get(collectionId);
  const query = featureSql.page({
    collectionKey: collection!.key,
    envelopes: [],
    time: null,
    equalities: [],
    filter: null,
    order: [],
    position: { kind: 'start' },
    limit: 10,
    output: { srid: 4326, swapAxes: false, decimals: 8, properties: null },
  });
  const rows = await db.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN ${query.text}`, values: query.values });
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: imported }, pointGrid(3000));
  const records = pointGrid(3000);
  await harvestFeatures(store, { collection: { id: harvested, title: harvested, sourceSrid: 4326 }, deletePolicy: { mode: 'retire', maxFraction: 0.5 }, repairInvalid: true, maxRejections: null }, async (sink) => {
    for (let start = 0; start < records.length; start += 1000) await sink.write({ records: records.slice(start, start + 1000), rejections: [] });
    return { expected: null, unverified: null };
  });
});

afterAll(async () => {
  await store.collections.remove(imported);
  await store.collections.remove(harvested);
  await db?.close();
});

describe('planner statistics after bulk writes', () => {
  it.each([
    ['an import', () => imported],
    ['a harvest', () => harvested],
  ])('exist after %s, so a first page walks the keyset index instead of sorting the collection', async (_label, id) => {
    expect(await statisticsOf(id())).toEqual(expect.arrayContaining(['geom', 'retired_at', 'seq', 'time_start']));
    const plan = await firstPagePlan(id());
    expect(plan).toMatch(/Index Scan using feature_c\d+_collection_key_seq_idx/);
    expect(plan).not.toMatch(/Sort Key: f\.seq/);
  });
});
