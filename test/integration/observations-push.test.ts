import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { sensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

const KEY = 'test-key-0123456789abcdef';
const MAX_BYTES = 64 * 1024;
let db: Database;
let store: Store;
let server: TestServer;
const run = uniqueId('push');
const ds = (name: string) => `${run}-${name}`;

interface BatchResult {
  accepted: number;
  rejected: number;
  inserted: number;
  duplicates: number;
  items: { index: number; pointer: string; datastream: string | null; status: number; reason: string }[];
}

async function post(body: unknown, headers: Record<string, string> = { 'X-API-Key': KEY }): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}/observations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(path.startsWith('http') ? path : `${server.url}${path}`, { headers: { Accept: 'application/geo+json' } });
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  const mapping = await sensorMapping(`
id: ${run}
source: { type: http-push }
target: { collection: ${run}, title: Pushed observations }
observations: { withoutZone: reject }
datastreams:
  - { id: "${ds('no2')}", name: NO2, unit: { symbol: "µg/m³" }, resultType: number, location: [9.7320, 52.3760] }
  - { id: "${ds('door')}", name: Door open, resultType: boolean, location: [9.7330, 52.3770] }
`);
  const sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 60_000 });
  await sensors.prepare();
  server = await startTestServer(store, { observationsApiKey: KEY, observationsMaxBytes: MAX_BYTES, observationsFutureSkewMs: 60_000 }, sensors);
});

afterAll(async () => {
  await server?.close();
  await store.collections.remove(run);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
  await db.close();
});

describe('POST /observations', () => {
  it('answers 401 problems without a key or with a wrong one', async () => {
    for (const headers of [{}, { 'X-API-Key': 'wrong-key-0123456789' }, { Authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const response = await post([{ datastream: ds('no2'), phenomenonTime: '2024-01-01T00:00:00Z', result: 1 }], headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.body['title']).toBe('Unauthorized');
    }
    const bearer = await post([{ datastream: ds('no2'), phenomenonTime: '2024-01-01T00:00:00Z', result: 1 }], { Authorization: `Bearer ${KEY}` });
    expect(bearer.status).toBe(202);
  });

  it('accepts a batch item by item: unknown datastreams are 404 in the result, bad items 422 with a reason', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const { status, body } = await post([
      { datastream: ds('no2'), phenomenonTime: '2024-01-01T01:00:00Z', result: 21.5 },
      { datastream: ds('no2'), phenomenonTime: '2024-01-01T02:00:00Z', result: 'high' },
      { datastream: 'no-such-datastream', phenomenonTime: '2024-01-01T02:00:00Z', result: 3 },
      { datastream: ds('no2'), phenomenonTime: future, result: 22 },
      { datastream: ds('no2'), phenomenonTime: '2024-01-01T03:00:00', result: 23 },
      { datastream: ds('door'), phenomenonTime: '2024-01-01T03:00:00+01:00', result: true },
      { phenomenonTime: '2024-01-01T03:00:00Z', result: 1 },
      'not an object',
    ]);
    expect(status).toBe(202);
    const result = body as unknown as BatchResult;
    expect(result).toMatchObject({ accepted: 2, rejected: 6, inserted: 2, duplicates: 0 });
    expect(result.items.map((i) => [i.index, i.status])).toEqual([
      [1, 422],
      [2, 404],
      [3, 422],
      [4, 422],
      [6, 422],
      [7, 422],
    ]);
    expect(result.items[0]!.reason).toBe('result "high" is not a number (the datastream\'s results are numbers)');
    expect(result.items[1]).toMatchObject({ datastream: 'no-such-datastream', reason: "datastream 'no-such-datastream' does not exist" });
    expect(result.items[2]!.reason).toMatch(/is more than 60 s in the future$/);
    expect(result.items[3]!.reason).toMatch(/has no time zone/);
    expect(result.items[4]!.reason).toBe('names no datastream ("datastream": "<id>")');
  });

  it('takes the SensorThings dataArray form and counts a resent batch as duplicates', async () => {
    const body = [
      {
        Datastream: { '@iot.id': ds('no2') },
        components: ['phenomenonTime', 'result', 'resultTime'],
        'dataArray@iot.count': 3,
        dataArray: [
          ['2024-01-02T00:00:00Z', 30, '2024-01-02T00:00:10Z'],
          ['2024-01-02T01:00:00-0700', 31, null],
          ['2024-01-02T02:00:00Z', null, null],
        ],
      },
    ];
    const first = (await post(body)).body as unknown as BatchResult;
    expect(first).toMatchObject({ accepted: 2, inserted: 2, rejected: 1 });
    expect(first.items[0]).toMatchObject({ pointer: '/0/dataArray/2', status: 422 });
    const again = (await post(body)).body as unknown as BatchResult;
    expect(again).toMatchObject({ accepted: 2, inserted: 0, duplicates: 2, rejected: 1 });
    const [stored] = await db.query<{ t: string }>({
      text: `SELECT placelink_rfc3339(o.phenomenon_time) AS t FROM observation o JOIN datastream d USING (datastream_key) WHERE d.id = $1 AND o.result_number = 31`,
      values: [ds('no2')],
    });
    expect(stored!.t).toBe('2024-01-02T08:00:00Z');
  });

  it('refuses bodies over the limit (413), other media types (415) and broken JSON (400), never a 500', async () => {
    const big = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ datastream: ds('no2'), phenomenonTime: new Date(Date.UTC(2023, 0, 1, 0, i)).toISOString(), result: i })));
    expect(big.length).toBeGreaterThan(MAX_BYTES);
    const tooBig = await post(big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body['detail']).toBe(`The request body is larger than ${MAX_BYTES} bytes; send smaller batches`);
    const text = await fetch(`${server.url}/observations`, { method: 'POST', headers: { 'Content-Type': 'text/csv', 'X-API-Key': KEY }, body: 'a,b' });
    expect(text.status).toBe(415);
    const broken = await post('[{"datastream": ', { 'X-API-Key': KEY });
    expect(broken.status).toBe(400);
    const notArray = await post({ datastream: ds('no2') });
    expect(notArray.status).toBe(400);
  });
});

describe('observations as OGC API Features', () => {
  interface FeatureCollection {
    features: { id: string; geometry: { coordinates: number[] }; properties: Record<string, unknown> }[];
    numberMatched?: number;
    numberReturned: number;
    links: { rel: string; href: string }[];
  }

  it('serves each observation as a point feature at the sensor, filtered by datastream and datetime', async () => {
    const all = await getJson<FeatureCollection>(`/collections/${run}/items?datastream=${ds('no2')}&limit=100`);
    expect(all.status).toBe(200);
    expect(all.body.features.map((f) => f.properties['result'])).toEqual([1, 21.5, 30, 31]);
    expect(all.body.numberMatched).toBe(4);
    const first = all.body.features[1]!;
    expect(first.geometry.coordinates).toEqual([9.732, 52.376]);
    expect(first.properties).toMatchObject({ datastream: ds('no2'), datastreamName: 'NO2', phenomenonTime: '2024-01-01T01:00:00Z', unit: 'µg/m³', result: 21.5 });

    const day = await getJson<FeatureCollection>(`/collections/${run}/items?datastream=${ds('no2')}&datetime=2024-01-02T00:00:00Z/2024-01-02T09:00:00Z`);
    expect(day.body.features.map((f) => f.properties['result'])).toEqual([30, 31]);
    expect(day.body.numberMatched).toBe(2);

    const one = await getJson<{ id: string; properties: Record<string, unknown> }>(`/collections/${run}/items/${encodeURIComponent(first.id)}`);
    expect(one.status).toBe(200);
    expect(one.body.properties['result']).toBe(21.5);
    const missing = await getJson<{ status: number }>(`/collections/${run}/items/1.2.3.4`);
    expect(missing.status).toBe(404);
  });

  it('pages with cursors in (datastream, time) order', async () => {
    const seen: unknown[] = [];
    let url: string | undefined = `/collections/${run}/items?limit=2`;
    let pages = 0;
    while (url && pages < 10) {
      const page: { body: FeatureCollection } = await getJson<FeatureCollection>(url);
      seen.push(...page.body.features.map((f) => `${String(f.properties['datastream'])}@${String(f.properties['phenomenonTime'])}`));
      url = page.body.links.find((l) => l.rel === 'next')?.href;
      pages++;
    }
    expect(seen.length).toBe(5);
    expect(new Set(seen).size).toBe(5);
    const bad = await getJson<{ status: number }>(`/collections/${run}/items?cursor=${Buffer.from(JSON.stringify({ d: 'a', s: '12', n: 0, v: 0 })).toString('base64url')}`);
    expect(bad.status).toBe(400);
  });

  it('declares POST /observations and the time series in the API definition', async () => {
    const api = await fetch(`${server.url}/api`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>);
    expect(Object.keys(api.paths['/observations']!)).toEqual(['post']);
    expect(api.paths['/collections/{collectionId}/items/{featureId}/timeseries']).toBeDefined();
    expect(api.paths['/admin/links/explain']).toBeDefined();
  });
});
