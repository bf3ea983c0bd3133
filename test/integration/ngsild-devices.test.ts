/**
 * Sensors as NGSI-LD Devices (Smart Data Models): one per datastream, with its latest value (observedAt,
 * unitCode), its place and a Relationship to each asset it is linked to; the assets point back with
 * refDevice. The same links the OGC API items show as `sensors`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { NO_HARVEST_INFO } from '../../src/domain/collection.js';
import { importFeatures, inferQueryables } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { sensorService, type SensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { feature } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

const run = uniqueId('devices');
const POLES = `${run}-poles`;
const OBS = `${run}-obs`;
const DEVICE_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld';
const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const LINK = (url: string) => `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
const pole = (n: number) => `urn:ngsi-ld:Streetlight:${run}:P${n}`;
const device = (name: string) => `urn:ngsi-ld:Device:${run}-${name}`;

let db: Database;
let store: Store;
let sensors: SensorService;
let server: TestServer;

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  const poles = [1, 2].map((n) => ({ ...feature(`P${n}`, { type: 'Point', coordinates: [9.73 + (n - 1) * 0.001, 52.37] }, { name: `Pole ${n}` }), ngsiLdId: pole(n) }));
  await importFeatures(store, { id: POLES, title: POLES, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: 'Streetlight', ngsiLdContext: [STREETLIGHTING] } }, poles, inferQueryables(poles));
  const mapping = await sensorMapping(`
id: ${OBS}
source: { type: http-push }
target: { collection: ${OBS} }
links:
  - { rule: nearest, name: nearest-pole, collection: ${POLES}, maxDistance: 25 }
datastreams:
  - { id: "${run}-lux", name: Light at pole 1, unit: { symbol: lx }, observedProperty: { name: illuminance }, resultType: number, location: [9.73003, 52.37] }
  - { id: "${run}-air", name: Air far away, unit: { symbol: Cel }, observedProperty: { name: air temperature }, resultType: number, location: [9.8, 52.4] }
`);
  sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 300_000 });
  await sensors.prepare();
  await sensors.maintain();
  const lux = (await sensors.directory.byIds([`${run}-lux`])).get(`${run}-lux`)!;
  const air = (await sensors.directory.byIds([`${run}-air`])).get(`${run}-air`)!;
  await sensors.record([
    { index: 0, datastream: lux, datastreamRef: lux.id, input: { phenomenonTime: '2026-12-01T20:00:00Z', result: 3.5 } },
    { index: 1, datastream: lux, datastreamRef: lux.id, input: { phenomenonTime: '2026-12-01T21:00:00Z', result: 12.25 } },
    { index: 2, datastream: air, datastreamRef: air.id, input: { phenomenonTime: '2026-12-01T21:00:00Z', result: -1.5 } },
  ]);
  server = await startTestServer(store, {}, sensors);
});

afterAll(async () => {
  await server?.close();
  for (const id of [OBS, POLES]) await store.collections.remove(id);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [OBS] });
  await db.close();
});

async function get(path: string, context: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/ngsi-ld/v1${path}`, { headers: { Link: LINK(context) } });
  return { status: response.status, body: await response.json() };
}

describe('sensors as NGSI-LD Devices', () => {
  it('serves each datastream as a Device with its latest value, unit code, place and the asset it is linked to', async () => {
    const { status, body } = await get(`/entities/${encodeURIComponent(device('lux'))}`, DEVICE_CONTEXT);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: device('lux'),
      type: 'Device',
      name: { type: 'Property', value: 'Light at pole 1' },
      category: { type: 'Property', value: 'sensor' },
      controlledProperty: { type: 'Property', value: 'illuminance' },
      illuminance: { type: 'Property', value: 12.25, observedAt: '2026-12-01T21:00:00Z', unitCode: 'LUX' },
      controlledAsset: { type: 'Relationship', object: pole(1), rule: { type: 'Property', value: 'nearest-pole' }, distance: { type: 'Property', unitCode: 'MTR' } },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [9.73003, 52.37] } },
    });
    const distance = ((body as Record<string, { distance: { value: number } }>)['controlledAsset']!).distance.value;
    expect(distance).toBeGreaterThan(1.9);
    expect(distance).toBeLessThan(2.2);
  });

  it('names the measured attribute after the observed property and leaves controlledAsset out when nothing is linked', async () => {
    const { body } = await get(`/entities/${encodeURIComponent(device('air'))}`, DEVICE_CONTEXT);
    expect(body).toMatchObject({ airTemperature: { value: -1.5, unitCode: 'CEL' } });
    expect(body).not.toHaveProperty('controlledAsset');
  });

  it('gives the linked asset a refDevice Relationship to its Device, and none to the other asset', async () => {
    expect((await get(`/entities/${encodeURIComponent(pole(1))}`, STREETLIGHTING)).body).toMatchObject({ refDevice: { type: 'Relationship', object: device('lux') } });
    expect((await get(`/entities/${encodeURIComponent(pole(2))}`, STREETLIGHTING)).body).not.toHaveProperty('refDevice');
    const listed = (await get(`/entities?type=Streetlight&q=${encodeURIComponent(`name=="Pole 1"`)}`, STREETLIGHTING)).body as Record<string, unknown>[];
    expect(listed.filter((e) => e['id'] === pole(1)).map((e) => e['refDevice'])).toEqual([{ type: 'Relationship', object: device('lux') }]);
  });

  it('queries Devices with q and geo-queries like any entity, and lists the type', async () => {
    const ids = async (query: string) => ((await get(`/entities?type=Device&limit=1000&${query}`, DEVICE_CONTEXT)).body as { id: string }[]).map((e) => e.id).filter((id) => id.includes(run));
    expect(await ids(`q=${encodeURIComponent('illuminance>10')}`)).toEqual([device('lux')]);
    expect(await ids(`q=${encodeURIComponent(`controlledAsset==${pole(1)}`)}`)).toEqual([device('lux')]);
    expect(await ids(`georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=${encodeURIComponent('[9.8,52.4]')}`)).toEqual([device('air')]);
    expect(((await get('/types', DEVICE_CONTEXT)).body as { typeList: string[] }).typeList).toContain('Device');
  });
});
