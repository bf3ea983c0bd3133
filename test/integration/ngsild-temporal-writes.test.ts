/**
 * Writing the temporal evolution of an entity of a type no mapping declares: a temporal
 * representation in, its instances out of the temporal API in order, its newest values out of the
 * entity API; instances changed and removed one by one; the entity and its history removed together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const run = uniqueId('twrite');
const id = `urn:ngsi-ld:Vehicle:${run}`;
const KEY = 'temporal-writes-test-key-0123456789';

let db: Database;
let store: Store;
let server: TestServer;

interface Instance {
  readonly type: string;
  readonly value: unknown;
  readonly observedAt?: string;
  readonly instanceId: string;
}

const speeds = [
  { type: 'Property', value: 80, observedAt: '2020-08-01T12:05:00Z' },
  { type: 'Property', value: 120, observedAt: '2020-08-01T12:03:00Z' },
  { type: 'Property', value: 100, observedAt: '2020-08-01T13:07:00Z' },
];
const fuel = [
  { type: 'Property', value: 67, observedAt: '2020-08-01T12:03:00Z' },
  { type: 'Property', value: 53, observedAt: '2020-08-01T13:05:00Z' },
];

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  server = await startTestServer(store, { ngsiLdApiKey: KEY });
});

afterAll(async () => {
  await server?.close();
  const collections = await db.query<{ id: string }>({ text: `SELECT DISTINCT c.id FROM collection c JOIN feature f USING (collection_key) WHERE f.ngsi_ld_id = $1`, values: [id] });
  for (const { id: collection } of collections) await store.collections.remove(collection);
  await db.close();
});

async function call(method: string, path: string, body?: unknown, key: string | null = KEY): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${server.url}/ngsi-ld/v1${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(key ? { 'X-API-Key': key } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

const temporal = async (query = '') => (await call('GET', `/temporal/entities/${encodeURIComponent(id)}${query}`)).body as Record<string, Instance[]>;

describe('temporal provision', () => {
  it('refuses a write without credentials and stores nothing', async () => {
    const refused = await call('POST', '/temporal/entities', { id, type: 'Vehicle', speed: speeds }, null);
    expect(refused.status).toBe(401);
    expect((await call('GET', `/entities/${encodeURIComponent(id)}`)).status).toBe(404);
  });

  it('creates the entity from a temporal representation: every instance in its history, oldest first, the newest as its current value', async () => {
    const created = await call('POST', '/temporal/entities', { id, type: 'Vehicle', speed: speeds, fuelLevel: fuel });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${server.url}/ngsi-ld/v1/temporal/entities/${id}`);
    const history = await temporal();
    expect(history['speed']!.map((i) => [i.value, i.observedAt])).toEqual([
      [120, '2020-08-01T12:03:00Z'],
      [80, '2020-08-01T12:05:00Z'],
      [100, '2020-08-01T13:07:00Z'],
    ]);
    expect(history['fuelLevel']!.map((i) => i.value)).toEqual([67, 53]);
    const current = (await call('GET', `/entities/${encodeURIComponent(id)}`)).body as Record<string, unknown>;
    expect(current['speed']).toEqual({ type: 'Property', value: 100, observedAt: '2020-08-01T13:07:00Z' });
    expect(current['fuelLevel']).toEqual({ type: 'Property', value: 53, observedAt: '2020-08-01T13:05:00Z' });
  });

  it('adds instances to an existing entity (204) and aggregates them per hour', async () => {
    const more = await call('POST', '/temporal/entities', { id, type: 'Vehicle', speed: [{ type: 'Property', value: 90, observedAt: '2020-08-01T13:30:00Z' }] });
    expect(more.status).toBe(204);
    const added = await call('POST', `/temporal/entities/${encodeURIComponent(id)}/attrs`, { fuelLevel: [{ type: 'Property', value: 40, observedAt: '2020-08-01T14:07:00Z' }] });
    expect(added.status).toBe(204);
    const aggregated = (await call('GET', `/temporal/entities/${encodeURIComponent(id)}?options=aggregatedValues&aggrMethods=avg,max,totalCount&aggrPeriodDuration=PT1H`)).body as Record<string, Record<string, unknown[]>>;
    // Periods from the first instance (12:03): 12:03–13:03 holds 120 and 80, 13:03–14:03 holds 100 and 90.
    expect(aggregated['speed']!['avg']).toEqual([
      [100, '2020-08-01T12:03:00Z', '2020-08-01T13:03:00Z'],
      [95, '2020-08-01T13:03:00Z', '2020-08-01T14:03:00Z'],
    ]);
    expect(aggregated['speed']!['max']).toEqual([
      [120, '2020-08-01T12:03:00Z', '2020-08-01T13:03:00Z'],
      [100, '2020-08-01T13:03:00Z', '2020-08-01T14:03:00Z'],
    ]);
    expect(aggregated['fuelLevel']!['totalCount']).toEqual([
      [1, '2020-08-01T12:03:00Z', '2020-08-01T13:03:00Z'],
      [1, '2020-08-01T13:03:00Z', '2020-08-01T14:03:00Z'],
      [1, '2020-08-01T14:03:00Z', '2020-08-01T15:03:00Z'],
    ]);
  });

  it('modifies one instance in place: its value changes, its instanceId stays', async () => {
    const before = (await temporal())['speed']![0]!;
    const patched = await call('PATCH', `/temporal/entities/${encodeURIComponent(id)}/attrs/speed/${encodeURIComponent(before.instanceId)}`, { type: 'Property', value: 129, observedAt: '2020-08-01T12:03:00Z' });
    expect(patched.status).toBe(204);
    const after = (await temporal())['speed']![0]!;
    expect(after).toMatchObject({ value: 129, observedAt: '2020-08-01T12:03:00Z', instanceId: before.instanceId });
    const missing = await call('PATCH', `/temporal/entities/${encodeURIComponent(id)}/attrs/speed/urn:ngsi-ld:instance:none`, { type: 'Property', value: 1 });
    expect(missing.status).toBe(404);
  });

  it('deletes one instance, then a whole attribute with its history and current value', async () => {
    const second = (await temporal())['speed']![1]!;
    expect((await call('DELETE', `/temporal/entities/${encodeURIComponent(id)}/attrs/speed/${encodeURIComponent(second.instanceId)}`)).status).toBe(204);
    expect((await temporal())['speed']!.map((i) => i.value)).toEqual([129, 100, 90]);
    expect((await call('DELETE', `/temporal/entities/${encodeURIComponent(id)}/attrs/fuelLevel`)).status).toBe(204);
    expect(await temporal()).not.toHaveProperty('fuelLevel');
    expect((await call('GET', `/entities/${encodeURIComponent(id)}`)).body).not.toHaveProperty('fuelLevel');
    expect((await call('DELETE', `/temporal/entities/${encodeURIComponent(id)}/attrs/fuelLevel`)).status).toBe(404);
  });

  it('deletes the entity with its history', async () => {
    expect((await call('DELETE', `/temporal/entities/${encodeURIComponent(id)}`)).status).toBe(204);
    expect((await call('GET', `/temporal/entities/${encodeURIComponent(id)}`)).status).toBe(404);
    const left = await db.query<{ n: number }>({ text: `SELECT count(*)::integer AS n FROM attribute_instance i WHERE i.instance ->> 'observedAt' LIKE '2020-08-01%' AND NOT EXISTS (SELECT 1 FROM feature f WHERE f.collection_key = i.collection_key AND f.id = i.id)`, values: [] });
    expect(left[0]!.n).toBe(0);
  });

  it('answers bad temporal writes with the NGSI-LD error and stores nothing', async () => {
    const noType = await call('POST', '/temporal/entities', { id: `${id}:x`, speed: speeds });
    expect(noType.status).toBe(400);
    const badInstance = await call('POST', '/temporal/entities', { id: `${id}:x`, type: 'Vehicle', speed: [{ type: 'Property', observedAt: 'yesterday', value: 1 }] });
    expect(badInstance.status).toBe(400);
    expect(badInstance.body).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData' });
    expect((await call('GET', `/temporal/entities/${encodeURIComponent(`${id}:x`)}`)).status).toBe(404);
  });
});

describe('paths with an empty id segment', () => {
  it('the empty id at the end of a path is the collection path: 405 where it has no such method', async () => {
    expect((await call('DELETE', '/temporal/entities/')).status).toBe(405);
  });

  it.each([
    ['DELETE', '/temporal/entities//attrs/speed/urn:ngsi-ld:instance:x'],
    ['DELETE', '/entities//attrs/speed'],
    ['DELETE', `/temporal/entities/${encodeURIComponent(id)}/attrs//urn:ngsi-ld:instance:x`],
  ])('%s %s is 400 BadRequestData, not an unknown route', async (method, path) => {
    const answer = await call(method, path);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData' });
  });
});
