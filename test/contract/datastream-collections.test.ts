import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { sensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip, missingPath } from '../helpers/environment.js';
import { getJson, linkOf, type Link } from '../helpers/http-json.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { loadOgcSchemas, PART1, PART1_DIR, PART2, PART2_DIR, type SchemaSet } from '../helpers/ogc-schemas.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

const skipped = announceSkip(
  'test/contract/datastream-collections.test.ts',
  missingPath(PART1_DIR(), 'OGC API – Features Part 1 1.0.1 schemas') ?? missingPath(PART2_DIR(), 'OGC API – Features Part 2 1.0.1 schemas'),
);

const KEY = 'datastream-contract-key-012345';
const run = uniqueId('dscontract');
let db: Database;
let store: Store;
let server: TestServer;
let schemas: SchemaSet;

describe.skipIf(skipped)('datastream collections validate against the official OGC API – Features schemas', () => {
  beforeAll(async () => {
    schemas = loadOgcSchemas();
    db = testDatabase();
    store = await testStore(db);
    const mapping = await sensorMapping(`
id: ${run}
source: { type: http-push }
target: { collection: ${run}, title: Contract station, license: https://creativecommons.org/publicdomain/zero/1.0/ }
datastreams:
  - { id: "${run}-t", name: Temperature, unit: { symbol: "°C" }, resultType: number, location: [4.9, 52.37] }
  - { id: "${run}-q", name: Quality flag, resultType: string }
`);
    const sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 300_000 });
    await sensors.prepare();
    server = await startTestServer(store, { observationsApiKey: KEY }, sensors);
    await fetch(`${server.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY },
      body: JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ datastream: `${run}-t`, phenomenonTime: new Date(Date.UTC(2024, 2, 1, i)).toISOString(), result: 10 + i }))),
    });
  });

  afterAll(async () => {
    await server?.close();
    await store?.collections.remove(run);
    await db?.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    await db?.close();
  });

  it('the list of datastream collections (as /collections), and each datastream collection (Part 1 and Part 2)', async () => {
    const { status, body } = await getJson<{ collections: { id: string; links: Link[] }[] }>(`${server.url}/collections/${run}/datastreams`);
    expect(status).toBe(200);
    schemas.assertValid(PART1, 'collections.yaml', body, `GET /collections/${run}/datastreams`);
    schemas.assertValid(PART2, 'collections.yaml', body, `GET /collections/${run}/datastreams`);
    expect(body.collections).toHaveLength(2);
    for (const listed of body.collections) {
      const one = await getJson<{ id: string }>(linkOf(listed, 'self')!.href);
      expect(one.status).toBe(200);
      schemas.assertValid(PART1, 'collection.yaml', one.body, `GET /collections/${listed.id}`);
      schemas.assertValid(PART2, 'collection.yaml', one.body, `GET /collections/${listed.id}`);
      expect(one.body.id).toBe(listed.id);
    }
    const source = await getJson(`${server.url}/collections/${run}`);
    schemas.assertValid(PART1, 'collection.yaml', source.body, `GET /collections/${run}`);
  });

  it("a datastream collection's items pages and single features", async () => {
    const id = encodeURIComponent(`${run}:${run}-t`);
    const first = await getJson<{ features: { id: string }[]; links: Link[] }>(`${server.url}/collections/${id}/items?limit=5`, 'application/geo+json');
    schemas.assertValid(PART1, 'featureCollectionGeoJSON.yaml', first.body, `GET /collections/${id}/items?limit=5`);
    const next = await getJson(linkOf(first.body, 'next')!.href, 'application/geo+json');
    schemas.assertValid(PART1, 'featureCollectionGeoJSON.yaml', next.body, 'its next page');
    const item = await getJson(`${server.url}/collections/${id}/items/${encodeURIComponent(first.body.features[0]!.id)}`, 'application/geo+json');
    expect(item.status).toBe(200);
    schemas.assertValid(PART1, 'featureGeoJSON.yaml', item.body, 'a single observation');
    const empty = await getJson(`${server.url}/collections/${encodeURIComponent(`${run}:${run}-q`)}/items`, 'application/geo+json');
    schemas.assertValid(PART1, 'featureCollectionGeoJSON.yaml', empty.body, 'an empty datastream');
  });
});
