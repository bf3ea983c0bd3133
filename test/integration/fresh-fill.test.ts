import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { featureRepository } from '../../src/db/feature-repository.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import type { Store } from '../../src/services/ports/store.js';
import { isEmbedded, testDatabase, testStore, uniqueId } from '../helpers/database.js';

let db: Database;
let store: Store;
const copied = uniqueId('fresh-copy');
const inserted = uniqueId('fresh-insert');

/** Points a first fill bulk loads, with every kind of text COPY must escape. */
const records: FeatureRecord[] = [
  { id: 'a\ttab', namespace: 'ns\\1', localId: 'l\n1', versionId: 'v\r1', ngsiLdId: 'urn:ngsi-ld:T:a', geometry: { type: 'Point', coordinates: [9.7391234567891, 52.3744779] }, properties: { name: 'Straße \\ "quoted"\ttab\nline', n: 1.5e-7, nested: { list: [1, null, true] } }, timeStart: '2020-01-01T00:00:00.000Z', timeEnd: null },
  { id: 'b', namespace: 'ns', localId: 'b', versionId: null, ngsiLdId: null, geometry: { type: 'Point', coordinates: [-179.9999999, -89.5, 12.25] }, properties: {}, timeStart: '2020-01-01T00:00:00.000Z', timeEnd: '2021-06-30T12:00:00.000Z' },
  { id: 'c', namespace: 'ns', localId: 'c', versionId: '2', geometry: null, properties: { emoji: '📍' }, timeStart: null, timeEnd: null },
  { id: 'd', namespace: 'ns', localId: 'd', versionId: null, geometry: { type: 'Point', coordinates: [] }, properties: { big: 1e21 }, timeStart: null, timeEnd: null },
];

async function fill(collection: string, viaCopy: boolean): Promise<number> {
  const { key } = await store.collections.save({ id: collection, title: collection, sourceSrid: 4326 });
  await db.transaction(async (tx) => {
    expect(tx.copyFrom).not.toBeNull();
    let loads = 0;
    const executor = viaCopy ? { query: tx.query, copyFrom: (statement: string, rows: string) => (loads++, tx.copyFrom!(statement, rows)) } : { query: tx.query };
    const summary = await featureRepository(executor).upsertBatch(key, records, { fresh: true });
    expect(summary).toMatchObject({ inserted: records.length, rejected: [], repaired: [] });
    expect(loads).toBe(viaCopy ? 1 : 0);
  });
  return key;
}

const stored = (key: number) =>
  db.query({
    text: `SELECT id, namespace, local_id, version_id, ngsi_ld_id, ST_AsEWKT(geom) AS geom, properties::text AS properties, time_start::text, time_end::text,
                  encode(content_hash, 'hex') AS content_hash, geojson, geometry_repair, retired_at
           FROM feature WHERE collection_key = $1 ORDER BY seq`,
    values: [key],
  });

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
});

afterAll(async () => {
  for (const id of [copied, inserted]) await store.collections.remove(id);
  await db.close();
});

describe.skipIf(isEmbedded())('a first fill of points (bulk loaded with COPY on PostgreSQL)', () => {
  it('stores exactly what the insert statement stores, in source order', async () => {
    const viaCopy = await stored(await fill(copied, true));
    const viaInsert = await stored(await fill(inserted, false));
    expect(viaCopy).toEqual(viaInsert);
    expect(viaCopy.map((r) => r['id'])).toEqual(records.map((r) => r.id));
    expect(viaCopy[0]).toMatchObject({ id: 'a\ttab', local_id: 'l\n1', geom: 'SRID=4326;POINT(9.7391234567891 52.3744779)' });
    expect(viaCopy[1]!['geom']).toBe('SRID=4326;POINT(-179.9999999 -89.5 12.25)');
    expect(viaCopy[3]!['geom']).toBe('SRID=4326;POINT EMPTY');
  });

  it('falls back to the insert when a point repeats another feature’s inspireId, and names the clash', async () => {
    const collection = uniqueId('fresh-clash');
    const { key } = await store.collections.save({ id: collection, title: collection, sourceSrid: 4326 });
    try {
      const twice = [records[1]!, { ...records[1]!, id: 'b2' }];
      const summary = await db.transaction((tx) => featureRepository(tx).upsertBatch(key, twice, { fresh: true }));
      expect(summary.inserted).toBe(1);
      expect(summary.rejected).toEqual([{ id: 'b2', reason: 'its inspireId (namespace + localId) is already used by feature b' }]);
    } finally {
      await store.collections.remove(collection);
    }
  });
});
