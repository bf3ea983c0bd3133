import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings, type LoadedMapping } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { locationGeometry, observationsOf } from '../../src/ingest/sensorthings/sensorthings-reader.js';
import type { Store } from '../../src/services/ports.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFolder } from '../helpers/sensor-mappings.js';
import { filterAfter, fixtureJson, startSensorThingsServer, type SensorThingsServer } from '../helpers/sensorthings-server.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';

const sta = (file: string) => fixture('sensorthings', file);

describe.skipIf(!haveFixtures)('SensorThings payloads (recorded responses)', () => {
  it('reads dataArray pages, resultQuality and parameters rows, and MultiDatastream array results', () => {
    const plain = observationsOf(JSON.parse(readFileSync(sta('examind-sts-v11/ds-data-array.json'), 'utf8')));
    expect(plain).toHaveLength(5);
    expect(plain[0]).toMatchObject({ upstreamId: 'urn:ogc:object:observation:GEOM:507-2-1', phenomenonTime: '2007-05-01T10:59:00Z', resultTime: '2007-05-01T10:59:00Z', result: 6.56, resultQuality: [], parameters: {} });
    const quality = observationsOf(JSON.parse(readFileSync(sta('examind-sts-v11/ds-data-array-quality.json'), 'utf8')));
    expect(quality[1]!.resultQuality).toEqual([{ nameOfMeasure: 'qflag', DQ_Result: { code: 'ko' } }, { nameOfMeasure: 'qres', DQ_Result: { code: 3.2 } }]);
    const parameters = observationsOf(JSON.parse(readFileSync(sta('examind-sts-v11/ds-data-array-parameter.json'), 'utf8')));
    expect(parameters[3]!.parameters).toEqual({ age_slice: 1.0, age_param: 'teenager' });
    const multi = observationsOf(JSON.parse(readFileSync(sta('examind-sts-v11/mds-data-array.json'), 'utf8')));
    expect(multi.map((o) => o.result)).toEqual([[6.56, 12], [6.56, 13], [6.56, 14], [6.56, 15], [6.56, 16]]);
  });

  it('reads plain Observation pages with results of any JSON type', () => {
    const mixed = observationsOf(JSON.parse(readFileSync(sta('examind-sts-v11/obs-top-ct.json'), 'utf8')));
    expect(mixed.map((o) => o.result)).toEqual([false, 'blue']);
    const jellyfish = observationsOf(JSON.parse(readFileSync(sta('bblocks-sta-examples/Datastream_Datastream-Values-ObsCollection__pnsc-sta.json'), 'utf8')));
    expect(jellyfish[0]).toMatchObject({ phenomenonTime: '2024-03-30T11:35:00', upstreamId: '5c9828ee2b0cb39ae13fc06dd238960f' });
    expect((jellyfish[0]!.result as Record<string, unknown>)['individualCount']).toBe('6-50');
  });

  it('takes Locations as GeoJSON Features or bare geometries and refuses invalid ones with a reason', () => {
    const all = JSON.parse(readFileSync(sta('examind-sts-v11/loc-all.json'), 'utf8')) as { value: Record<string, unknown>[] };
    const geometries = all.value.map((l) => locationGeometry(l));
    expect(geometries.every((g) => 'geometry' in g)).toBe(true);
    expect(geometries[0]).toEqual({ geometry: { type: 'Point', coordinates: expect.any(Array) } });
    const broken = JSON.parse(readFileSync(sta('etssta10-post-bodies/locations_southern-alberta-polygon.json'), 'utf8')) as Record<string, unknown>;
    expect(locationGeometry(broken)).toEqual({ problem: expect.stringMatching(/^invalid GeoJSON geometry: /) });
    expect(locationGeometry({ encodingType: 'application/pdf', location: { type: 'Point', coordinates: [1, 2] } })).toEqual({ problem: "encodingType 'application/pdf' is not GeoJSON" });
  });
});

describe.skipIf(!haveFixtures)('SensorThings pull against a local server', () => {
  let db: Database;
  let store: Store;
  let server: SensorThingsServer;
  let loaded: LoadedMapping;
  const run = uniqueId('sta');
  /** The server's own datastream: a moving sensor whose observations come in pages of two. */
  const own = [0, 1, 2, 3, 4, 5].map((i) => ({ '@iot.id': `o-${i}`, phenomenonTime: `2024-06-01T0${i}:00:00Z`, result: 10 + i }));

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    server = await startSensorThingsServer('/sta/v1.1', (url, base) => {
      const path = decodeURIComponent(url.pathname).slice('/sta/v1.1'.length);
      if (path === '/Datastreams' && url.searchParams.has('$skip')) {
        return {
          status: 200,
          body: {
            value: [
              {
                '@iot.id': 42,
                '@iot.selfLink': `${base}/Datastreams(42)`,
                name: 'Bike sensor temperature',
                unitOfMeasurement: { name: 'degree Celsius', symbol: '°C', definition: 'http://unitsofmeasure.org/ucum.html#para-30' },
                observationType: 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement',
                Thing: { '@iot.id': 7, '@iot.selfLink': `${base}/Things(7)`, name: 'Cargo bike', properties: { fleetId: 'B-7' }, Locations: [{ encodingType: 'application/geo+json', location: { type: 'Point', coordinates: [9.75, 52.38] } }] },
                Sensor: { '@iot.id': 3, name: 'DS18B20', encodingType: 'application/pdf', metadata: 'https://example.org/ds18b20.pdf' },
                ObservedProperty: { '@iot.id': 1, name: 'Air temperature', definition: 'http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023/' },
              },
            ],
          },
        };
      }
      if (path === '/Datastreams') return { status: 200, body: fixtureJson(sta('examind-sts-v11/ds-top-ct.json'), base) };
      if (path === '/Things(7)/HistoricalLocations') {
        return {
          status: 200,
          body: {
            value: [
              { time: '2024-06-01T00:00:00Z', Locations: [{ encodingType: 'application/geo+json', location: { type: 'Feature', geometry: { type: 'Point', coordinates: [9.7, 52.37] }, properties: {} } }] },
              { time: '2024-06-01T03:00:00Z', Locations: [{ encodingType: 'application/geo+json', location: { type: 'Point', coordinates: [9.75, 52.38] } }] },
            ],
          },
        };
      }
      if (path === '/Datastreams(42)/Observations') {
        if (url.searchParams.get('$resultFormat') === 'dataArray') return { status: 400, body: { code: 400, message: 'dataArray is not supported' } };
        const filtered = filterAfter({ value: own }, url)['value'] as typeof own;
        const skip = Number(url.searchParams.get('$skip') ?? 0);
        const page = filtered.slice(skip, skip + 2);
        const next = skip + 2 < filtered.length ? `${base}/Datastreams(42)/Observations?$skip=${skip + 2}&$top=2&$orderby=phenomenonTime%20asc${url.searchParams.has('$filter') ? `&$filter=${encodeURIComponent(url.searchParams.get('$filter')!)}` : ''}` : undefined;
        return { status: 200, body: { value: page, ...(next ? { '@iot.nextLink': next } : {}) } };
      }
      if (path.includes('GEOM:10-2)/Observations')) return { status: 200, body: filterAfter(fixtureJson(sta('examind-sts-v11/ds-data-array.json'), base) as Record<string, unknown>, url) };
      if (path.includes('GEOM:12-2)/Observations')) return { status: 200, body: filterAfter(fixtureJson(sta('examind-sts-v11/obs-top-ct.json'), base) as Record<string, unknown>, url) };
      if (path === '/Observations') return { status: 200, body: { value: [] } };
      return null;
    });
    const directory = await mappingFolder({
      [`${run}.yaml`]: `
id: ${run}
source:
  type: sensorthings
  url: ${server.base}
  pageSize: 100
  http: { retries: { attempts: 1 } }
target: { collection: ${run} }
observations: { withoutZone: reject }
`,
    });
    loaded = (await loadMappings(directory))[0]!;
  });

  afterAll(async () => {
    await server?.close();
    await store.collections.remove(run);
    await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    await db.close();
  });

  const countOf = async (id: string) =>
    (await db.query<{ n: number }>({ text: 'SELECT count(*)::integer AS n FROM observation o JOIN datastream d USING (datastream_key) WHERE d.id = $1', values: [id] }))[0]!.n;

  it('follows @iot.nextLink, expands Thing/Sensor/ObservedProperty, reads dataArray and falls back to JSON', async () => {
    const result = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(result.status).toBe('succeeded');
    expect(server.requests[0]).toBe('/sta/v1.1/Datastreams?$top=100&$expand=Thing($expand=Locations),Sensor,ObservedProperty');
    expect(server.requests).toContain('/sta/v1.1/Datastreams?$skip=2&$top=2&$count=true');
    expect(server.requests.some((r) => r.includes('GEOM:10-2)/Observations?$orderby=phenomenonTime asc&$top=100&$resultFormat=dataArray'))).toBe(true);
    expect(server.requests).toContain('/sta/v1.1/Datastreams(42)/Observations?$orderby=phenomenonTime asc&$top=100');
    expect(await countOf(`${run}:urn:ogc:object:observation:template:GEOM:10-2`)).toBe(5);
    expect(await countOf(`${run}:42`)).toBe(6);
    // OM_Measurement datastream: the boolean and the string result are refused with reasons.
    expect(await countOf(`${run}:urn:ogc:object:observation:template:GEOM:12-2`)).toBe(0);
    expect(result.counts).toMatchObject({ read: 13, inserted: 11, rejected: 2 });
    expect(result.rejections.map((r) => r.reason)).toEqual(['result false is not a number (the datastream\'s results are numbers)', 'result "blue" is not a number (the datastream\'s results are numbers)']);
    const bike = await store.sensors.datastreamDetail(`${run}:42`);
    expect(bike).toMatchObject({ name: 'Bike sensor temperature', unit: { symbol: '°C' }, geometry: { type: 'Point', coordinates: [9.75, 52.38] }, locationTime: '2024-06-01T03:00:00Z' });
    expect(bike!.thing).toMatchObject({ name: 'Cargo bike', properties: { fleetId: 'B-7' } });
    const history = await db.query<{ from: string; to: string | null; x: number }>({
      text: `SELECT placelink_rfc3339(valid_from) AS from, placelink_rfc3339(valid_to) AS to, ST_X(geom) AS x FROM datastream_location WHERE datastream_key = $1 ORDER BY valid_from`,
      values: [bike!.key],
    });
    expect(history).toEqual([
      { from: '2024-06-01T00:00:00Z', to: '2024-06-01T03:00:00Z', x: 9.7 },
      { from: '2024-06-01T03:00:00Z', to: null, x: 9.75 },
    ]);
  });

  it('fetches only new observations on the second run', async () => {
    own.push({ '@iot.id': 'o-6', phenomenonTime: '2024-06-01T06:00:00Z', result: 16 }, { '@iot.id': 'o-7', phenomenonTime: '2024-06-01T07:00:00Z', result: 17 });
    server.requests.length = 0;
    const result = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(result.status).toBe('succeeded');
    expect(server.requests).toContain('/sta/v1.1/Datastreams(42)/Observations?$orderby=phenomenonTime asc&$top=100&$filter=phenomenonTime gt 2024-06-01T05:00:00Z');
    // The two observations refused on the first run are not fetched (and refused) again.
    expect(server.requests).toContain('/sta/v1.1/Datastreams(urn:ogc:object:observation:template:GEOM:12-2)/Observations?$orderby=phenomenonTime asc&$top=100&$filter=phenomenonTime gt 1980-03-01T20:52:00Z&$resultFormat=dataArray');
    expect(result.counts).toMatchObject({ read: 2, inserted: 2, rejected: 0 });
    expect(await countOf(`${run}:42`)).toBe(8);
  });
});

describe('incremental pulls of zone-less times', () => {
  let db: Database;
  let store: Store;
  let server: SensorThingsServer;
  let loaded: LoadedMapping;
  const run = uniqueId('sta-zone');
  /** Local times of a server in UTC+01:00 that writes no zone; the last one's result is refused. */
  const observations: { '@iot.id': string; phenomenonTime: string; result: unknown }[] = [
    { '@iot.id': 'z-1', phenomenonTime: '2024-03-30T10:00:00', result: 1 },
    { '@iot.id': 'z-2', phenomenonTime: '2024-03-30T11:00:00', result: 2 },
    { '@iot.id': 'z-3', phenomenonTime: '2024-03-30T11:30:00', result: 'broken' },
  ];
  const utc = (local: string) => Date.parse(`${local}+01:00`);

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    server = await startSensorThingsServer('/sta/v1.1', (url, base) => {
      const path = decodeURIComponent(url.pathname).slice('/sta/v1.1'.length);
      if (path === '/Datastreams') {
        return {
          status: 200,
          body: { value: [{ '@iot.id': 1, '@iot.selfLink': `${base}/Datastreams(1)`, name: 'Local time', observationType: 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement' }] },
        };
      }
      if (path === '/Datastreams(1)/Observations') {
        if (url.searchParams.has('$resultFormat')) return { status: 400, body: { message: 'no dataArray here' } };
        // The server compares in its own zone, as a real one would.
        const after = /^phenomenonTime gt (\S+)$/.exec(url.searchParams.get('$filter') ?? '')?.[1];
        return { status: 200, body: { value: observations.filter((o) => after === undefined || utc(o.phenomenonTime) > Date.parse(after)) } };
      }
      return null;
    });
    const directory = await mappingFolder({
      [`${run}.yaml`]: `
id: ${run}
source: { type: sensorthings, url: ${server.base}, expand: false, historicalLocations: false, http: { retries: { attempts: 1 } } }
target: { collection: ${run} }
observations: { withoutZone: "+01:00" }
`,
    });
    loaded = (await loadMappings(directory))[0]!;
  });

  afterAll(async () => {
    await server?.close();
    await store.collections.remove(run);
    await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    await db.close();
  });

  it('continues after the normalised time of the newest observation, refused ones included', async () => {
    const first = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(first.counts).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    const detail = await store.sensors.datastreamDetail(`${run}:1`);
    // 11:30 at +01:00 (the refused observation): not 11:30 read in the database session's zone.
    expect(detail!.harvestedUntil).toBe('2024-03-30T10:30:00Z');

    observations.push({ '@iot.id': 'z-4', phenomenonTime: '2024-03-30T12:00:00', result: 4 });
    server.requests.length = 0;
    const second = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(server.requests).toContain('/sta/v1.1/Datastreams(1)/Observations?$orderby=phenomenonTime asc&$top=1000&$filter=phenomenonTime gt 2024-03-30T10:30:00Z');
    expect(second.counts).toMatchObject({ read: 1, inserted: 1, rejected: 0 });
    const [row] = await db.query<{ t: string }>({
      text: `SELECT placelink_rfc3339(max(o.phenomenon_time)) AS t FROM observation o JOIN datastream d USING (datastream_key) WHERE d.id = $1`,
      values: [`${run}:1`],
    });
    expect(row!.t).toBe('2024-03-30T11:00:00Z');
  });
});
