import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { sensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, feature } from '../helpers/fixtures.js';
import { getJson, linkOf, type Link } from '../helpers/http-json.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

/**
 * Each datastream's observations as a collection of its own: `/collections/{source}:{datastream}`,
 * resolved on request, listed page by page under `/collections/{source}/datastreams` and not in
 * /collections.
 */
const KEY = 'datastream-collections-key-0123';
const run = uniqueId('dscol');
const PLAIN = `${run}-plain`;
const ds = (name: string) => `${run}-${name}`;
const own = (name: string) => `${run}:${ds(name)}`;

let db: Database;
let store: Store;
let server: TestServer;

interface FeatureCollection {
  features: { id: string; geometry: { coordinates: number[] }; properties: Record<string, unknown> }[];
  numberMatched?: number;
  numberReturned: number;
  links: Link[];
}

const get = <T>(path: string, accept = 'application/json') => getJson<T>(path.startsWith('http') ? path : `${server.url}${path}`, accept);
const encoded = (id: string) => encodeURIComponent(id);

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: PLAIN }, [feature('F-1', { type: 'Point', coordinates: [9.7, 52.3] })]);
  const mapping = await sensorMapping(`
id: ${run}
source: { type: http-push }
target: { collection: ${run}, title: Weather station }
datastreams:
  - { id: "${ds('a')}", name: Air temperature, unit: { symbol: "°C" }, observedProperty: { name: temperature }, resultType: number, location: [9.73, 52.37] }
  - { id: "${ds('b')}", name: Humidity, resultType: number, location: [9.74, 52.38] }
  - { id: "${ds('c')}", name: Silent, resultType: number }
`);
  const sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 300_000 });
  await sensors.prepare();
  server = await startTestServer(store, { observationsApiKey: KEY }, sensors);
  const pushed = await fetch(`${server.url}/observations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY },
    body: JSON.stringify([
      { datastream: ds('a'), phenomenonTime: '2024-01-01T00:00:00Z', result: 1.5 },
      { datastream: ds('a'), phenomenonTime: '2024-01-01T01:00:00Z', result: 2.5 },
      { datastream: ds('a'), phenomenonTime: '2024-01-01T02:00:00Z', result: 3.5 },
      { datastream: ds('b'), phenomenonTime: '2024-01-01T00:30:00Z', result: 80 },
      { datastream: ds('b'), phenomenonTime: '2024-01-01T01:30:00Z', result: 81 },
      // Sent again: a duplicate, which must not count.
      { datastream: ds('a'), phenomenonTime: '2024-01-01T00:00:00Z', result: 1.5 },
    ]),
  });
  expect(((await pushed.json()) as { inserted: number }).inserted).toBe(5);
});

afterAll(async () => {
  await server?.close();
  for (const id of [run, PLAIN]) await store.collections.remove(id);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
  await db.close();
});

describe('datastream collections', () => {
  it('are not listed in /collections; the source collection links to the list of them', async () => {
    const { body } = await get<{ collections: { id: string; links: Link[] }[] }>('/collections');
    const ids = body.collections.map((c) => c.id);
    expect(ids).toContain(run);
    expect(ids.filter((id) => id.startsWith(`${run}:`))).toEqual([]);
    const source = body.collections.find((c) => c.id === run)!;
    expect(linkOf(source, 'data')?.href).toBe(`${server.url}/collections/${run}/datastreams`);
    expect(linkOf(body.collections.find((c) => c.id === PLAIN)!, 'data')).toBeUndefined();
  });

  it('describe one datastream: title, extent from its place and observations, links to its items and up to the source', async () => {
    const { status, body } = await get<{ id: string; title: string; description: string; extent: unknown; links: Link[] }>(`/collections/${encoded(own('a'))}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: own('a'),
      title: 'Air temperature',
      extent: { spatial: { bbox: [[9.73, 52.37, 9.73, 52.37]] }, temporal: { interval: [['2024-01-01T00:00:00Z', '2024-01-01T02:00:00Z']] } },
    });
    expect(body.description).toBe(`Observations of the datastream '${ds('a')}' (temperature, °C) of Weather station, one point feature per observation.`);
    expect(linkOf(body, 'items', 'application/geo+json')?.href).toBe(`${server.url}/collections/${encoded(own('a'))}/items?f=json`);
    expect(linkOf(body, 'up')?.href).toBe(`${server.url}/collections/${run}`);
    const silent = await get<{ extent?: unknown }>(`/collections/${encoded(own('c'))}`);
    expect(silent.status).toBe(200);
    expect(silent.body.extent).toBeUndefined();
    for (const missing of [`${run}:nope`, `${PLAIN}:F-1`, `no-such-collection:x`]) expect((await get(`/collections/${encoded(missing)}`)).status, missing).toBe(404);
    const html = await fetch(`${server.url}/collections/${encoded(own('a'))}?f=html`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('Air temperature');
  });

  it("serve only that datastream's observations, counted by its own counter, with datetime, bbox and paging", async () => {
    const all = await get<FeatureCollection>(`/collections/${encoded(own('a'))}/items`, 'application/geo+json');
    expect(all.status).toBe(200);
    expect(all.body.features.map((f) => f.properties['result'])).toEqual([1.5, 2.5, 3.5]);
    expect(all.body.numberMatched).toBe(3);
    expect(all.body.features[0]!.geometry.coordinates).toEqual([9.73, 52.37]);
    const later = await get<FeatureCollection>(`/collections/${encoded(own('a'))}/items?datetime=2024-01-01T00:30:00Z/..`, 'application/geo+json');
    expect(later.body.features.map((f) => f.properties['result'])).toEqual([2.5, 3.5]);
    expect(later.body.numberMatched).toBe(2);
    const elsewhere = await get<FeatureCollection>(`/collections/${encoded(own('a'))}/items?bbox=9.735,52.375,9.745,52.385`, 'application/geo+json');
    expect(elsewhere.body.features).toEqual([]);
    const first = await get<FeatureCollection>(`/collections/${encoded(own('b'))}/items?limit=1`, 'application/geo+json');
    expect(first.body).toMatchObject({ numberMatched: 2, numberReturned: 1 });
    const second = await get<FeatureCollection>(linkOf(first.body, 'next')!.href, 'application/geo+json');
    expect(second.body.features.map((f) => f.properties['result'])).toEqual([81]);
    expect(linkOf(second.body, 'next')).toBeUndefined();
    const empty = await get<FeatureCollection>(`/collections/${encoded(own('c'))}/items`, 'application/geo+json');
    expect(empty.body).toMatchObject({ numberMatched: 0, numberReturned: 0 });
    // datastream= selects in the source's collection; here there is nothing to select.
    expect((await get(`/collections/${encoded(own('a'))}/items?datastream=${ds('b')}`)).status).toBe(400);
  });

  it('serve single observations of that datastream only', async () => {
    const [a] = (await get<FeatureCollection>(`/collections/${encoded(own('a'))}/items?limit=1`, 'application/geo+json')).body.features;
    const [b] = (await get<FeatureCollection>(`/collections/${encoded(own('b'))}/items?limit=1`, 'application/geo+json')).body.features;
    expect((await get(`/collections/${encoded(own('a'))}/items/${encoded(a!.id)}`, 'application/geo+json')).status).toBe(200);
    expect((await get(`/collections/${encoded(own('a'))}/items/${encoded(b!.id)}`, 'application/geo+json')).status).toBe(404);
    expect((await get(`/collections/${run}/items/${encoded(b!.id)}`, 'application/geo+json')).status).toBe(200);
  });

  it('are listed a page at a time under the source collection', async () => {
    const first = await get<{ collections: { id: string; links: Link[] }[]; numberMatched: number; numberReturned: number; links: Link[] }>(`/collections/${run}/datastreams?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.collections.map((c) => c.id)).toEqual([own('a'), own('b')]);
    expect(first.body).toMatchObject({ numberMatched: 3, numberReturned: 2 });
    expect(linkOf(first.body.collections[0]!, 'up')?.href).toBe(`${server.url}/collections/${run}`);
    const second = await get<{ collections: { id: string }[]; links: Link[] }>(linkOf(first.body, 'next')!.href);
    expect(second.body.collections.map((c) => c.id)).toEqual([own('c')]);
    expect(linkOf(second.body, 'next')).toBeUndefined();
    expect(linkOf(second.body, 'prev')?.href).toBe(`${server.url}/collections/${run}/datastreams?limit=2&offset=0`);
    expect((await get(`/collections/${PLAIN}/datastreams`)).status).toBe(404);
    expect((await get(`/collections/${run}/datastreams?f=html`)).status).toBe(400);
    expect((await get(`/collections/${run}/datastreams?bbox=1,2,3,4`)).status).toBe(400);
  });

  it('keep their counts through duplicates and retention', async () => {
    const count = async () => (await db.query<{ n: string }>({ text: 'SELECT t.observation_count::text AS n FROM datastream d JOIN datastream_tally t USING (datastream_key) WHERE d.id = $1', values: [ds('a')] }))[0]!.n;
    expect(await count()).toBe('3');
    const source = (await store.sensors.sources()).find((s) => s.id === run)!;
    expect(await store.sensors.expireObservations(source.key, '2024-01-01T00:45:00Z')).toBe(2);
    expect(await count()).toBe('2');
    expect((await get<FeatureCollection>(`/collections/${encoded(own('a'))}/items`, 'application/geo+json')).body.numberMatched).toBe(2);
  });

  it('are declared in the API definition', async () => {
    const api = (await get<{ paths: Record<string, unknown> }>('/api')).body;
    expect(api.paths['/collections/{collectionId}/datastreams']).toBeDefined();
  });
});
