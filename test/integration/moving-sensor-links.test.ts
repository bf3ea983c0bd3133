import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings, type LoadedMapping } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { isSensorMapping } from '../../src/services/sensors/sensor-registry.js';
import { sensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, feature } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { mappingFolder } from '../helpers/sensor-mappings.js';
import { startSensorThingsServer, type SensorThingsServer } from '../helpers/sensorthings-server.js';

/**
 * A bike with a temperature sensor, pulled from a SensorThings service, rides past three poles
 * (about 680 m apart). Its links follow its HistoricalLocations in time, and each pole's time
 * series holds the bike's observations only while the bike was linked to it.
 */
const run = uniqueId('moving');
const POLES = `${run}-poles`;
const LAT = 52.37;
const place = (lon: number) => ({ encodingType: 'application/geo+json', location: { type: 'Point', coordinates: [lon + 0.00002, LAT] } });
const at = (hour: number) => `2024-06-01T${String(hour).padStart(2, '0')}:00:00Z`;

let db: Database;
let store: Store;
let sta: SensorThingsServer;
let api: TestServer;
let loaded: LoadedMapping;
/** What the service has: places (time, longitude) and hourly observations. */
const places: [number, number][] = [
  [0, 9.7],
  [2, 9.71],
];
const observations = [0, 1, 2, 3].map((h) => ({ '@iot.id': `t-${h}`, phenomenonTime: at(h), result: h }));

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: POLES }, [
    feature('P-A', { type: 'Point', coordinates: [9.7, LAT] }),
    feature('P-B', { type: 'Point', coordinates: [9.71, LAT] }),
    feature('P-C', { type: 'Point', coordinates: [9.72, LAT] }),
  ]);
  sta = await startSensorThingsServer('/sta/v1.1', (url, base) => {
    const path = decodeURIComponent(url.pathname).slice('/sta/v1.1'.length);
    if (path === '/Datastreams') {
      return {
        status: 200,
        body: {
          value: [
            {
              '@iot.id': 7,
              '@iot.selfLink': `${base}/Datastreams(7)`,
              name: 'Bike temperature',
              unitOfMeasurement: { name: 'degree Celsius', symbol: '°C' },
              observationType: 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement',
              Thing: { '@iot.id': 9, '@iot.selfLink': `${base}/Things(9)`, name: 'Bike', Locations: [place(places.at(-1)![1])] },
            },
          ],
        },
      };
    }
    if (path === '/Things(9)/HistoricalLocations') return { status: 200, body: { value: places.map(([hour, lon]) => ({ time: at(hour), Locations: [place(lon)] })) } };
    if (path === '/Datastreams(7)/Observations') {
      const after = /^phenomenonTime gt (\S+)$/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      return { status: 200, body: { value: observations.filter((o) => after === undefined || Date.parse(o.phenomenonTime) > Date.parse(after)) } };
    }
    return null;
  });
  const directory = await mappingFolder({
    [`${run}.yaml`]: `
id: ${run}
source: { type: sensorthings, url: ${sta.base}, resultFormat: json, http: { retries: { attempts: 1 } } }
target: { collection: ${run} }
links:
  - { rule: nearest, name: nearest-pole, collection: ${POLES}, maxDistance: 50 }
`,
  });
  loaded = (await loadMappings(directory))[0]!;
  if (!isSensorMapping(loaded.mapping)) throw new Error('not a sensor mapping');
  const sensors = sensorService(store, [loaded.mapping], testLogger, { maxFutureMs: 300_000 });
  api = await startTestServer(store, {}, sensors);
});

afterAll(async () => {
  await api?.close();
  await sta?.close();
  for (const id of [run, POLES]) await store.collections.remove(id);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
  await db.close();
});

async function links(): Promise<[string, string, string | null][]> {
  const rows = await db.query<{ asset: string; from: string; to: string | null }>({
    text: `SELECT l.asset_id AS asset, placelink_rfc3339(l.valid_from) AS from, placelink_rfc3339(l.valid_to) AS to
           FROM asset_link l JOIN datastream d USING (datastream_key) WHERE d.id = $1 ORDER BY l.valid_from`,
    values: [`${run}:7`],
  });
  return rows.map((r) => [r.asset, r.from, r.to]);
}

async function series(pole: string, datetime = `${at(0)}/2024-06-02T00:00:00Z`): Promise<unknown[]> {
  const response = await fetch(`${api.url}/collections/${POLES}/items/${pole}/timeseries?datetime=${datetime}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { datastreams: { id: string; values: { time: string; value: unknown }[] }[] };
  return body.datastreams.flatMap((d) => d.values.map((v) => v.value));
}

describe('a pulled moving sensor', () => {
  it('is linked place by place at the times of its HistoricalLocations', async () => {
    const first = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(first.status).toBe('succeeded');
    expect(await links()).toEqual([
      ['P-A', at(0), at(2)],
      ['P-B', at(2), null],
    ]);
    expect(await series('P-A')).toEqual([0, 1]);
    expect(await series('P-B')).toEqual([2, 3]);
    expect(await series('P-C')).toEqual([]);
  });

  it('moves on at the next pull: the old link closes when the sensor left, not when the pull ran', async () => {
    places.push([5, 9.72]);
    observations.push(...[4, 5, 6].map((h) => ({ '@iot.id': `t-${h}`, phenomenonTime: at(h), result: h })));
    const second = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(second.status).toBe('succeeded');
    expect(await links()).toEqual([
      ['P-A', at(0), at(2)],
      ['P-B', at(2), at(5)],
      ['P-C', at(5), null],
    ]);
    expect(await series('P-A')).toEqual([0, 1]);
    expect(await series('P-B')).toEqual([2, 3, 4]);
    expect(await series('P-C')).toEqual([5, 6]);
    // The interval and the link both bound the series.
    expect(await series('P-B', `${at(3)}/${at(23)}`)).toEqual([3, 4]);
    expect(await series('P-A', `${at(3)}/${at(23)}`)).toEqual([]);
    // Latest values show on the pole the bike is at now only.
    const items = (await fetch(`${api.url}/collections/${POLES}/items`).then((r) => r.json())) as { features: { id: string; properties: Record<string, unknown> }[] };
    expect(items.features.filter((f) => f.properties['sensors']).map((f) => f.id)).toEqual(['P-C']);
  });

  it('changes nothing when pulled again with no news', async () => {
    const third = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(third.counts).toMatchObject({ read: 0, inserted: 0 });
    expect(await links()).toHaveLength(3);
  });
});
