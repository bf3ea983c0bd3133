import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings, type LoadedMapping } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { datastreamEntryOf, featureOfInterestOf, locationGeometry, observationsOf } from '../../src/ingest/sensorthings/sensorthings-reader.js';
import { checkObservation } from '../../src/domain/observation.js';
import { swappedPlaces } from '../../src/geo/swapped-places.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFolder } from '../helpers/sensor-mappings.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { EXAMIND_BASE, filterAfter, fixtureJson, startSensorThingsServer, type SensorThingsServer } from '../helpers/sensorthings-server.js';
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

describe.skipIf(!haveFixtures)('every recorded SensorThings body', () => {
  const ETS = fixture('sensorthings', 'etssta10-post-bodies');
  /** An ETS request body; templates get their $PLACEHOLDER ids filled in. */
  const etsBody = (file: string) => JSON.parse(readFileSync(path.join(ETS, file), 'utf8').replace(/\$[A-Z][A-Z_-]*/g, '1')) as Record<string, unknown> | Record<string, unknown>[];
  const etsFiles = readdirSync(ETS).filter((f) => f.endsWith('.json')).sort();
  const bodiesOf = (prefix: string) => etsFiles.filter((f) => f.startsWith(prefix)).map((f) => [f, etsBody(f)] as const);
  const point = (g: ReturnType<typeof locationGeometry>) => ('geometry' in g ? g.geometry.type : g.problem);

  it('reads the 75 ETS 1.0 request bodies (28 of them templates): observations, locations, features of interest, datastreams', () => {
    expect(etsFiles).toHaveLength(75);
    expect(etsFiles.filter((f) => readFileSync(path.join(ETS, f), 'utf8').includes('$'))).toHaveLength(28);
    for (const file of etsFiles) expect(() => etsBody(file), file).not.toThrow();

    const observations = bodiesOf('observations_').flatMap(([file, body]) => observationsOf({ value: Array.isArray(body) ? body : [body] }).map((input) => ({ file, input })));
    expect(observations).toHaveLength(23);
    const checked = observations.map(({ file, input }) => ({ file, checked: checkObservation(1, input, { rules: { withoutZone: 'reject', oddOffsets: 'normalise' }, resultType: 'any', maxFutureMs: 1e12, now: Date.now() }) }));
    expect(checked.filter((c) => 'problem' in c.checked).map((c) => c.file)).toEqual(['observations_observationWithoutPTime.json', 'observations_observationWithoutPTimeValid.json']);
    const dataArray = checked.filter((c) => c.file === 'observations_dataArray.json').map((c) => ('value' in c.checked ? c.checked.value.phenomenonTime : null));
    expect(dataArray).toEqual(['2010-12-23T10:20:00-07:00', '2010-12-23T10:21:00-07:00']);

    expect(bodiesOf('locations_').map(([file, body]) => [file, point(locationGeometry(body as Record<string, unknown>)).split(':')[0]])).toEqual([
      ['locations_2.json', 'Point'],
      ['locations_3.json', 'invalid GeoJSON geometry'],
      ['locations_4.json', 'invalid GeoJSON geometry'],
      ['locations_cuba-point.json', 'Point'],
      ['locations_location.json', 'Point'],
      ['locations_southern-alberta-polygon.json', 'invalid GeoJSON geometry'],
    ]);
    // Request bodies carry no @iot.id, so they are no FeatureOfInterest a pull could store; their geometries read all the same.
    const fois = bodiesOf('foi_').map(([, body]) => body as Record<string, unknown>);
    expect(fois.map((body) => featureOfInterestOf(body))).toEqual(fois.map(() => ({ problem: 'has no @iot.id' })));
    expect(fois.map((body) => point(locationGeometry(body)))).toEqual(['Point', 'Point', 'LineString', 'Point', 'Point']);
    expect(locationGeometry(fois[2]!)).toMatchObject({ geometry: { coordinates: expect.arrayContaining([[-114.0008100209295, 51.1757956397664, 0]]) } });

    const things = bodiesOf('thing_').flatMap(([, body]) => ((body as Record<string, unknown>)['Locations'] as Record<string, unknown>[] | undefined) ?? []);
    expect(things.map((location) => point(locationGeometry(location)))).toEqual(Array(9).fill('Point'));

    const datastreams = bodiesOf('datastreams_').map(([, body]) => datastreamEntryOf('ets', 'http://example.org/v1.0', body as Record<string, unknown>).record);
    expect(datastreams).toHaveLength(19);
    expect(datastreams.filter((d) => d.resultType === 'number')).toHaveLength(13);
    expect(datastreams.filter((d) => d.resultType === 'any').map((d) => d.observationType)).toEqual(Array(6).fill('http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation'));
    expect(datastreams[0]!.unit).toMatchObject({ symbol: 'degC' });
  });

  it('reads every Examind v1.1 and OGC building-block response: pages, datastreams, features of interest, locations', () => {
    const examind = (file: string) => JSON.parse(readFileSync(sta(`examind-sts-v11/${file}`), 'utf8')) as Record<string, unknown>;
    const items = (body: Record<string, unknown>) => (Array.isArray(body['value']) ? (body['value'] as Record<string, unknown>[]) : [body]);
    const counts = Object.fromEntries(
      ['ds-data-array-parameter.json', 'ds-data-array-quality.json', 'ds-data-array.json', 'mds-data-array.json', 'obs-exp.json', 'obs-filter-1.json', 'obs-top-ct.json', 'obs.json'].map((file) => [file, observationsOf({ value: items(examind(file)) }).length]),
    );
    expect(counts).toEqual({ 'ds-data-array-parameter.json': 9, 'ds-data-array-quality.json': 5, 'ds-data-array.json': 5, 'mds-data-array.json': 5, 'obs-exp.json': 1, 'obs-filter-1.json': 10, 'obs-top-ct.json': 2, 'obs.json': 1 });

    const datastreams = ['ds-bbox.json', 'ds-exp.json', 'ds-top-ct.json', 'ds.json', 'mds.json', 'th-ds-filter.json'].flatMap((file) => items(examind(file)).map((entity) => datastreamEntryOf('ex', EXAMIND_BASE, entity)));
    expect(datastreams.map((d) => d.record.resultType)).toEqual(['number', 'number', 'number', 'number', 'number', 'any', 'number', 'number']);
    const expanded = datastreams[1]!;
    expect(expanded.record).toMatchObject({ upstreamId: 'urn:ogc:object:observation:template:GEOM:8-3', unit: { symbol: '°C' }, sensor: { name: 'GEOM 8' }, observedProperty: { name: 'Temperature', properties: { 'phen-category': 'biological' } } });
    // Examind's Thing navigation link names the plural entity set.
    expect(expanded.thingUrl).toBe(`${EXAMIND_BASE}/Datastreams(urn:ogc:object:observation:template:GEOM:8-3)/Things`);
    // mds.json: Examind writes a MultiDatastream's units as an array under unitOfMeasurement.
    expect(datastreams[5]!.record.unit).toBeNull();

    const fois = [...items(examind('foi-top-ct.json')), examind('foi.json'), examind('obs-exp.json')['FeatureOfInterest'] as Record<string, unknown>].map((entity) => featureOfInterestOf(entity));
    expect(fois.map((f) => ('record' in f ? [f.record.upstreamId, f.record.geometry] : f.problem))).toEqual([
      ['station-001', { type: 'Point', coordinates: [-4.144984627896042, 42.38798858151254] }],
      ['station-002', { type: 'Point', coordinates: [5.0, 10.0] }],
      ['station-001', { type: 'Point', coordinates: [-4.144984627896042, 42.38798858151254] }],
      ['station-001', { type: 'Point', coordinates: [-4.144984627896042, 42.38798858151254] }],
    ]);
    expect(fois[1]).toMatchObject({ record: { name: '10972X0137-PLOUF', encodingType: 'application/vnd.geo+json', properties: { commune: ['Beziers', 'Maraussan'] } }, problem: null });
    const spec = featureOfInterestOf(JSON.parse(readFileSync(sta('bblocks-sta-examples/FeatureOfInterest__FeatureOfInterest.json'), 'utf8')) as Record<string, unknown>);
    expect(spec).toEqual({ record: { upstreamId: '1', name: 'Weather Station YYC.', description: 'This is a weather station located at the Calgary Airport.', encodingType: 'application/geo+json', properties: {}, geometry: { type: 'Point', coordinates: [-114.06, 51.05] } }, problem: null });

    const history = examind('hloc-exp.json');
    expect(locationGeometry((history['Locations'] as Record<string, unknown>[])[0]!)).toEqual({ geometry: { type: 'Point', coordinates: [22.000000000075165, 13.000000001902016] } });
    expect(locationGeometry((examind('th-loc-exp.json')['Locations'] as Record<string, unknown>[])[0]!)).toEqual({ geometry: { type: 'Point', coordinates: [-3.9999999934154027, 42.00000000005155] } });
    expect(observationsOf(examind('empty-count.json'))).toEqual([]);
    expect(observationsOf(examind('empty.json'))).toEqual([]);
    expect((examind('root.json')['serverSettings'] as { conformance: string[] }).conformance).toContain('http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array');
  });

  it('finds the Locations that look latitude/longitude swapped among the Examind ones', () => {
    const all = JSON.parse(readFileSync(sta('examind-sts-v11/loc-all.json'), 'utf8')) as { value: Record<string, unknown>[] };
    const places = all.value.map((location) => {
      const read = locationGeometry(location) as { geometry: { coordinates: number[] } };
      return { id: String(location['@iot.id']), lon: read.geometry.coordinates[0]!, lat: read.geometry.coordinates[1]! };
    });
    expect(swappedPlaces(places).map((p) => p.id)).toEqual(['urn:ogc:object:sensor:GEOM:13', 'urn:ogc:object:sensor:GEOM:18', 'urn:ogc:object:sensor:GEOM:19', 'urn:ogc:object:sensor:GEOM:3']);
    expect(swappedPlaces(places.slice(0, 3))).toEqual([]);
  });
});

describe.skipIf(!haveFixtures)('SensorThings pull against a local server', () => {
  let db: Database;
  let store: Store;
  let server: SensorThingsServer;
  let api: TestServer;
  let loaded: LoadedMapping;
  const run = uniqueId('sta');
  const GEOM = (id: string) => `urn:ogc:object:observation:template:GEOM:${id}`;
  /** The server's own moving datastream: observations in pages of two, the first two of a route (a FeatureOfInterest). */
  const route = { '@iot.id': 'route-1', name: 'Route 1', encodingType: 'application/geo+json', feature: { type: 'LineString', coordinates: [[9.7, 52.37], [9.75, 52.38]] } };
  const own: Record<string, unknown>[] = [0, 1, 2, 3, 4, 5].map((i) => ({ '@iot.id': `o-${i}`, phenomenonTime: `2024-06-01T0${i}:00:00Z`, result: 10 + i, ...(i < 2 ? { FeatureOfInterest: route } : {}) }));

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    const examind = (file: string, base: string) => fixtureJson(sta(`examind-sts-v11/${file}`), base) as Record<string, unknown>;
    server = await startSensorThingsServer('/sta/v1.1', (url, base) => {
      const path = decodeURIComponent(url.pathname).slice('/sta/v1.1'.length);
      const skip = url.searchParams.get('$skip');
      if (path === '') return { status: 200, body: examind('root.json', base) };
      if (path === '/Datastreams' && skip === '2') {
        return {
          status: 200,
          body: {
            value: [
              {
                '@iot.id': 'da',
                name: 'Water level (dataArray with FeaturesOfInterest)',
                observationType: 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement',
                Thing: { '@iot.id': 'T-da', name: 'Gauge', Locations: [(examind('loc-all.json', base)['value'] as unknown[])[0]] },
              },
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
              // GET Datastreams(…GEOM:8-3)?$expand=Sensors,ObservedProperties,Observations, as a server that also expands the Thing would answer.
              { ...examind('ds-exp.json', base), Thing: examind('th-loc-exp.json', base) },
            ],
            '@iot.nextLink': `${base}/Datastreams?$skip=5&$top=2&$count=true`,
          },
        };
      }
      // The last page: empty, with the recorded "{count}" placeholder as its @iot.count.
      if (path === '/Datastreams' && skip === '5') return { status: 200, body: examind('empty-count.json', base) };
      if (path === '/Datastreams') return { status: 200, body: examind('ds-top-ct.json', base) };
      if (path === `/Datastreams(${GEOM('10-2')})/Things/HistoricalLocations`) return { status: 200, body: { value: [examind('hloc-exp.json', base)] } };
      if (path === `/Datastreams(${GEOM('12-2')})/Things/HistoricalLocations`) return { status: 200, body: { value: [{ time: '2001-01-01T00:00:00Z', Locations: examind('loc-bbox-top.json', base)['value'] }] } };
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
      if (path === "/Datastreams('da')/Observations") {
        const rows = [
          ['da-1', '2024-05-01T00:00:00Z', 1.5, 'station-002'],
          ['da-2', '2024-05-01T01:00:00Z', 2.5, 'station-002'],
          ['da-3', '2024-05-01T02:00:00Z', 3.5, 'nowhere'],
        ];
        return { status: 200, body: filterAfter({ value: [{ components: ['id', 'phenomenonTime', 'result', 'FeatureOfInterest/id'], dataArray: rows }] }, url) };
      }
      if (path === "/FeaturesOfInterest('station-002')") return { status: 200, body: (examind('foi-top-ct.json', base)['value'] as unknown[])[1] };
      if (/^\/Observations\(urn:ogc:object:observation:GEOM:7001-\d-1\)\/FeaturesOfInterest$/.test(path)) return { status: 200, body: examind('foi.json', base) };
      if (path === '/Datastreams(42)/Observations') {
        if (url.searchParams.get('$resultFormat') === 'dataArray') return { status: 400, body: { code: 400, message: 'dataArray is not supported' } };
        const filtered = filterAfter({ value: own }, url)['value'] as typeof own;
        const skip = Number(url.searchParams.get('$skip') ?? 0);
        const page = filtered.slice(skip, skip + 2);
        const next = skip + 2 < filtered.length ? `${base}/Datastreams(42)/Observations?$skip=${skip + 2}&$top=2&$orderby=phenomenonTime%20asc${url.searchParams.has('$filter') ? `&$filter=${encodeURIComponent(url.searchParams.get('$filter')!)}` : ''}` : undefined;
        return { status: 200, body: { value: page, ...(next ? { '@iot.nextLink': next } : {}) } };
      }
      if (path === `/Datastreams(${GEOM('10-2')})/Observations`) return { status: 200, body: filterAfter(examind('ds-data-array.json', base), url) };
      if (path === `/Datastreams(${GEOM('12-2')})/Observations`) return { status: 200, body: filterAfter(examind('obs-top-ct.json', base), url) };
      // obs-top-ct.json's nextLink: the recorded server had more; this one ends there.
      if (path === '/Observations') return { status: 200, body: { value: [] } };
      // GET Observations(…304-2-1)?$expand=FeaturesOfInterest,Datastreams, as the one observation of GEOM:8-3.
      if (path === `/Datastreams(${GEOM('8-3')})/Observations`) return { status: 200, body: filterAfter({ value: [examind('obs-exp.json', base)] }, url) };
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
    api = await startTestServer(store);
  });

  afterAll(async () => {
    await api?.close();
    await server?.close();
    await store.collections.remove(run);
    await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    await db.close();
  });

  const countOf = async (id: string) =>
    (await db.query<{ n: number }>({ text: 'SELECT count(*)::integer AS n FROM observation o JOIN datastream d USING (datastream_key) WHERE d.id = $1', values: [id] }))[0]!.n;

  interface Item {
    geometry: { type: string; coordinates: unknown };
    properties: Record<string, unknown>;
  }
  const rounded = (coordinates: readonly number[]) => coordinates.map((c) => Math.round(c * 1e6) / 1e6);
  const items = async (query: string) => ((await fetch(`${api.url}/collections/${run}/items?${query}`).then((r) => r.json())) as { features: Item[] }).features;

  it('follows @iot.nextLink, expands Thing/Sensor/ObservedProperty, reads dataArray and falls back to JSON', async () => {
    const result = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(result.error).toBeNull();
    expect(result.status).toBe('succeeded');
    expect(server.requests[0]).toBe('/sta/v1.1/Datastreams?$top=100&$expand=Thing($expand=Locations),Sensor,ObservedProperty');
    expect(server.requests).toContain('/sta/v1.1/Datastreams?$skip=2&$top=2&$count=true');
    expect(server.requests).toContain('/sta/v1.1/Datastreams?$skip=5&$top=2&$count=true');
    // The root lists the data array extension among its conformance classes: dataArray is asked for.
    expect(server.requests).toContain('/sta/v1.1');
    expect(server.requests.some((r) => r.includes('GEOM:10-2)/Observations?$orderby=phenomenonTime asc&$top=100&$resultFormat=dataArray'))).toBe(true);
    expect(server.requests).toContain('/sta/v1.1/Datastreams(42)/Observations?$orderby=phenomenonTime asc&$top=100&$expand=FeatureOfInterest');
    expect(await countOf(`${run}:${GEOM('10-2')}`)).toBe(5);
    expect(await countOf(`${run}:42`)).toBe(6);
    expect(await countOf(`${run}:da`)).toBe(3);
    expect(await countOf(`${run}:${GEOM('8-3')}`)).toBe(1);
    // OM_Measurement datastream: the boolean and the string result are refused with reasons.
    expect(await countOf(`${run}:${GEOM('12-2')}`)).toBe(0);
    expect(result.counts).toMatchObject({ read: 17, inserted: 15, rejected: 2 });
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

  it('places datastreams from HistoricalLocations and expanded Things, and reports the one that looks latitude/longitude swapped', async () => {
    const place = async (id: string) => {
      const detail = (await store.sensors.datastreamDetail(`${run}:${id}`))!;
      return { at: rounded((detail.geometry as { coordinates: number[] }).coordinates), since: detail.locationTime, thing: detail.thing?.['name'] };
    };
    expect(await place(GEOM('10-2'))).toEqual({ at: [22, 13], since: '2000-11-30T23:00:00Z', thing: undefined });
    expect(await place(GEOM('12-2'))).toEqual({ at: [40, -3], since: '2001-01-01T00:00:00Z', thing: undefined });
    // No HistoricalLocations at the Thing's selfLink (404): its expanded Locations (th-loc-exp) place it.
    expect(await place(GEOM('8-3'))).toEqual({ at: [-4, 42], since: '1970-01-01T00:00:00Z', thing: 'Sensor 2' });
    expect(await place('da')).toEqual({ at: [-4.144985, 42.387989], since: '1970-01-01T00:00:00Z', thing: 'Gauge' });
    const run1 = (await store.runs.list({ mappingId: run, limit: 1 }))[0]!;
    const full = (await store.runs.get(run1.runId))!;
    expect(full.warnings).toContainEqual({
      location: `Datastream ${run}:${GEOM('12-2')}`,
      message: "its place (40, -3) looks like latitude and longitude swapped: (-3, 40) lies with the source's other places; stored as given (correct it upstream)",
    });
    expect(full.warnings.filter((w) => /swapped/.test(w.message))).toHaveLength(1);
  });

  it('stores FeaturesOfInterest (expanded, by dataArray id, by navigation link) and serves observations at them', async () => {
    const fois = await db.query<{ id: string; name: string | null; type: string | null; region: string | null }>({
      text: `SELECT f.upstream_id AS id, f.name, GeometryType(f.geom) AS type, f.properties->>'region' AS region
             FROM feature_of_interest f JOIN sensor_source s USING (source_key) WHERE s.id = $1 ORDER BY 1`,
      values: [run],
    });
    expect(fois).toEqual([
      { id: 'route-1', name: 'Route 1', type: 'LINESTRING', region: null },
      { id: 'station-001', name: '10972X0137-PONT', type: 'POINT', region: 'Occitanie' },
      { id: 'station-002', name: '10972X0137-PLOUF', type: 'POINT', region: null },
    ]);
    // Read once for the two rows that name it; the unknown one is a warning, not a failure.
    expect(server.requests.filter((r) => r === "/sta/v1.1/FeaturesOfInterest('station-002')")).toHaveLength(1);
    expect(server.requests).toContain("/sta/v1.1/FeaturesOfInterest('nowhere')");

    const bike = await items(`datastream=${encodeURIComponent(`${run}:42`)}&limit=10`);
    expect(bike[0]!.geometry).toEqual({ type: 'LineString', coordinates: [[9.7, 52.37], [9.75, 52.38]] });
    expect(bike[0]!.properties['featureOfInterest']).toEqual({ id: 'route-1', name: 'Route 1' });
    // Without a FeatureOfInterest: where the sensor was at the time.
    expect(bike.map((f) => f.geometry.coordinates)).toEqual([expect.any(Array), expect.any(Array), [9.7, 52.37], [9.75, 52.38], [9.75, 52.38], [9.75, 52.38]]);
    expect(bike[2]!.properties['featureOfInterest']).toBeUndefined();
    const gauge = await items(`datastream=${encodeURIComponent(`${run}:da`)}`);
    expect(gauge.map((f) => rounded(f.geometry.coordinates as number[]))).toEqual([[5, 10], [5, 10], [-4.144985, 42.387989]]);
    const expanded = await items(`datastream=${encodeURIComponent(`${run}:${GEOM('8-3')}`)}`);
    expect(expanded.map((f) => [f.geometry.type, rounded(f.geometry.coordinates as number[])])).toEqual([['Point', [-4.144985, 42.387989]]]);
    expect(expanded[0]!.properties).toMatchObject({ phenomenonTime: '2007-05-01T00:59:00Z', result: 6.56, featureOfInterest: { id: 'station-001', name: '10972X0137-PONT' } });
    // bbox meets the FeatureOfInterest: only the two observations of station-002 lie around (5, 10).
    expect((await items('bbox=4.5,9.5,5.5,10.5&limit=100')).map((f) => f.properties['result'])).toEqual([1.5, 2.5]);
  });

  it('fetches only new observations on the second run', async () => {
    own.push({ '@iot.id': 'o-6', phenomenonTime: '2024-06-01T06:00:00Z', result: 16 }, { '@iot.id': 'o-7', phenomenonTime: '2024-06-01T07:00:00Z', result: 17 });
    server.requests.length = 0;
    const result = await runHarvest(store, loaded, testLogger, { trigger: 'cli' });
    expect(result.status).toBe('succeeded');
    expect(server.requests).toContain('/sta/v1.1/Datastreams(42)/Observations?$orderby=phenomenonTime asc&$top=100&$filter=phenomenonTime gt 2024-06-01T05:00:00Z&$expand=FeatureOfInterest');
    // The two observations refused on the first run are not fetched (and refused) again.
    expect(server.requests).toContain(`/sta/v1.1/Datastreams(${GEOM('12-2')})/Observations?$orderby=phenomenonTime asc&$top=100&$filter=phenomenonTime gt 1980-03-01T20:52:00Z&$resultFormat=dataArray`);
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
      // A 1.1 service that lists its conformance classes, without the data array extension.
      if (path === '') return { status: 200, body: { value: [], serverSettings: { conformance: ['http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel'] } } };
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
    // Its root says it has no data array extension: plain JSON is asked for at once.
    expect(server.requests.filter((r) => r.includes('/Observations'))).toEqual(['/sta/v1.1/Datastreams(1)/Observations?$orderby=phenomenonTime asc&$top=1000']);
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
