/**
 * The NGSI-LD temporal API over the three histories: a Device's observations, the versions a
 * re-import leaves of a harvested feature, and the instances of an entity whose attributes are
 * written whole. Expected instances and aggregates are computed independently in SQL on the same rows.
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

const run = uniqueId('temporal');
const LAMPS = `${run}-lamps`;
const CARS = `${run}-cars`;
const OBS = `${run}-obs`;
const DEVICE_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld';
const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const LINK = (url: string) => `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
const lamp = (n: number) => `urn:ngsi-ld:Streetlight:${run}:L${n}`;
const car = `urn:ngsi-ld:Vehicle:${run}:C1`;
const temperature = `urn:ngsi-ld:Device:${run}-temp`;
/** Three days of readings every ten minutes: 432 values that repeat (distinctCount has something to count). */
const START = Date.parse('2026-11-01T00:05:00Z');
const READINGS = Array.from({ length: 432 }, (_, i) => ({ time: new Date(START + i * 600_000).toISOString(), value: Math.round(Math.sin(i / 20) * 100) / 10 }));

let db: Database;
let store: Store;
let sensors: SensorService;
let server: TestServer;
let small: TestServer;
let datastreamKey: number;

const lamps = (power: number, status: string, extra: Record<string, unknown> = {}) =>
  [1, 2].map((n) => ({ ...feature(`L${n}`, { type: 'Point', coordinates: [9.73 + n * 0.001, 52.37] }, { powerState: status, power: power + n, ...extra }), ngsiLdId: lamp(n) }));
const lampsCollection = { id: LAMPS, title: LAMPS, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: 'Streetlight', ngsiLdContext: [STREETLIGHTING] } };

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  // Three imports: power changes in the second, powerState in the third.
  for (const [power, status] of [[50, 'on'], [60, 'on'], [60, 'off']] as const) {
    const rows = lamps(power, status);
    await importFeatures(store, lampsCollection, rows, inferQueryables(rows));
  }
  const cars = [{ ...feature('C1', { type: 'Point', coordinates: [9.74, 52.38] }, { speed: 80 }), ngsiLdId: car }];
  await importFeatures(store, { id: CARS, title: CARS, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: 'Vehicle', ngsiLdContext: [], ngsiLdWritable: true } }, cars, inferQueryables(cars));
  // Attributes written whole, as NGSI-LD writes store them: two writes of speed, one of which keeps fuelLevel.
  for (const [speed, at] of [[80, '2026-11-02T10:00:00Z'], [95, '2026-11-02T11:00:00Z']] as const) {
    await db.query({
      text: `UPDATE feature SET ngsi_attributes = coalesce(ngsi_attributes, '{}'::jsonb) || $1::jsonb, properties = properties || $2::jsonb, updated_at = now()
             WHERE collection_key = (SELECT collection_key FROM collection WHERE id = $3) AND id = 'C1'`,
      values: [JSON.stringify({ speed: { type: 'Property', value: speed, observedAt: at, unitCode: 'KMH' }, ...(speed === 80 ? { fuelLevel: { type: 'Property', value: 0.5, observedAt: at } } : {}) }), JSON.stringify({ speed }), CARS],
    });
  }
  const mapping = await sensorMapping(`
id: ${OBS}
source: { type: http-push }
target: { collection: ${OBS} }
datastreams:
  - { id: "${run}-temp", name: Air at the square, unit: { symbol: Cel }, observedProperty: { name: air temperature }, resultType: number, location: [9.73, 52.37] }
`);
  sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 300_000 });
  await sensors.prepare();
  await sensors.maintain();
  const temp = (await sensors.directory.byIds([`${run}-temp`])).get(`${run}-temp`)!;
  await sensors.record(READINGS.map((r, index) => ({ index, datastream: temp, datastreamRef: temp.id, input: { phenomenonTime: r.time, result: r.value } })));
  datastreamKey = (await db.query<{ k: number }>({ text: 'SELECT datastream_key AS k FROM datastream WHERE id = $1', values: [`${run}-temp`] }))[0]!.k;
  server = await startTestServer(store, {}, sensors);
  small = await startTestServer(store, { ngsiLdTemporalLimit: 30 }, sensors);
});

afterAll(async () => {
  await server?.close();
  await small?.close();
  for (const id of [OBS, LAMPS, CARS]) await store.collections.remove(id);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [OBS] });
  await db.close();
});

interface Instance {
  readonly type: string;
  readonly value: unknown;
  readonly observedAt?: string;
  readonly modifiedAt?: string;
  readonly unitCode?: string;
  readonly instanceId: string;
}
type TemporalEntity = { readonly id: string; readonly type: string } & Readonly<Record<string, unknown>>;
type Periods = [unknown, string, string][];

const instancesOf = (body: unknown, attribute: string) => (body as Record<string, Instance[]>)[attribute]!;
const aggregatesOf = (body: unknown, attribute: string) => (body as Record<string, Record<string, Periods>>)[attribute]!;

async function get(path: string, context: string | null, base = server): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${base.url}/ngsi-ld/v1${path}`, { headers: context ? { Link: LINK(context) } : {} });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const temporal = (id: string, query = '') => `/temporal/entities/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;

/** The readings within [from, to) as SQL has them. */
async function readingsBetween(from: string, to: string): Promise<{ value: number; time: string }[]> {
  return db.query({
    text: `SELECT result_number AS value, placelink_rfc3339(phenomenon_time) AS time FROM observation
           WHERE datastream_key = $1 AND phenomenon_time >= $2::timestamptz AND phenomenon_time < $3::timestamptz ORDER BY phenomenon_time`,
    values: [datastreamKey, from, to],
  });
}

describe('temporal evolution of a Device (observations)', () => {
  it('returns every observation as an instance with observedAt, unitCode and an instanceId, oldest first', async () => {
    const { status, body } = await get(temporal(temperature), DEVICE_CONTEXT);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: temperature, type: 'Device' });
    const expected = await readingsBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
    expect(instancesOf(body, 'airTemperature')).toHaveLength(expected.length);
    expect(instancesOf(body, 'airTemperature').map((i: Instance) => [i.value, i.observedAt])).toEqual(expected.map((r) => [r.value, r.time]));
    expect(instancesOf(body, 'airTemperature')[0]).toMatchObject({ type: 'Property', unitCode: 'CEL', instanceId: expect.stringMatching(/^urn:ngsi-ld:instance:/) });
    expect(new Set(instancesOf(body, 'airTemperature').map((i: Instance) => i.instanceId)).size).toBe(expected.length);
  });

  it('applies timerel before, after and between to observedAt', async () => {
    for (const [query, from, to] of [
      ['timerel=before&timeAt=2026-11-01T06:00:00Z', '2000-01-01T00:00:00Z', '2026-11-01T06:00:00Z'],
      ['timerel=after&timeAt=2026-11-03T18:00:00Z', '2026-11-03T18:00:00Z', '2100-01-01T00:00:00Z'],
      ['timerel=between&timeAt=2026-11-02T00:00:00Z&endTimeAt=2026-11-02T03:05:00Z', '2026-11-02T00:00:00Z', '2026-11-02T03:05:00Z'],
    ] as const) {
      const { body } = await get(temporal(temperature, `${query}&attrs=airTemperature`), DEVICE_CONTEXT);
      const expected = await readingsBetween(from, to);
      expect(expected.length).toBeGreaterThan(1);
      expect(instancesOf(body, 'airTemperature').map((i: Instance) => i.observedAt)).toEqual(expected.map((r) => r.time));
    }
  });

  it('returns the last N instances with lastN, still oldest first', async () => {
    const { body } = await get(temporal(temperature, 'lastN=5&attrs=airTemperature'), DEVICE_CONTEXT);
    const all = await readingsBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
    expect(instancesOf(body, 'airTemperature').map((i: Instance) => i.observedAt)).toEqual(all.slice(-5).map((r) => r.time));
  });

  it('writes the simplified representation as [value, time] pairs', async () => {
    const { body } = await get(temporal(temperature, 'options=temporalValues&timerel=before&timeAt=2026-11-01T01:00:00Z&attrs=airTemperature'), DEVICE_CONTEXT);
    const expected = await readingsBetween('2000-01-01T00:00:00Z', '2026-11-01T01:00:00Z');
    expect(body).toMatchObject({ airTemperature: { type: 'Property', values: expected.map((r) => [r.value, r.time]) } });
  });

  it('aggregates per hour with every method exactly as SQL over the observations does', async () => {
    const methods = 'totalCount,distinctCount,sum,avg,min,max,stddev,sumsq';
    const { status, body } = await get(temporal(temperature, `options=aggregatedValues&aggrMethods=${methods}&aggrPeriodDuration=PT1H&attrs=airTemperature`), DEVICE_CONTEXT);
    expect(status).toBe(200);
    const expected = await db.query<Record<string, string | number>>({
      text: `SELECT placelink_rfc3339(b) AS start, placelink_rfc3339(b + interval '1 hour') AS "end", count(*)::integer AS "totalCount", count(DISTINCT result_number)::integer AS "distinctCount",
                    sum(result_number) AS sum, avg(result_number) AS avg, min(result_number) AS min, max(result_number) AS max, stddev_samp(result_number) AS stddev, sum(result_number ^ 2) AS sumsq
             FROM (SELECT date_bin('1 hour', phenomenon_time, (SELECT min(phenomenon_time) FROM observation WHERE datastream_key = $1)) AS b, result_number FROM observation WHERE datastream_key = $1) o
             GROUP BY b ORDER BY b`,
      values: [datastreamKey],
    });
    expect(expected).toHaveLength(72);
    expect(aggregatesOf(body, 'airTemperature')['type']).toBe('Property');
    for (const method of methods.split(',')) {
      const got = aggregatesOf(body, 'airTemperature')[method]!;
      expect(got.map(([, s, e]) => [s, e])).toEqual(expected.map((r) => [r.start, r.end]));
      got.forEach(([value], i) => expect(value).toBeCloseTo(Number(expected[i]![method]), 9));
    }
    expect(aggregatesOf(body, 'airTemperature')['avg']![0]![1]).toBe('2026-11-01T00:05:00Z');
  });

  it('lays periods from timeAt, by calendar month and over the whole range', async () => {
    const daily = await get(temporal(temperature, 'options=aggregatedValues&aggrMethods=totalCount&aggrPeriodDuration=P1D&timerel=after&timeAt=2026-11-01T00:00:00Z'), DEVICE_CONTEXT);
    expect(aggregatesOf(daily.body, 'airTemperature')['totalCount']).toEqual([
      [144, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'],
      [144, '2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'],
      [144, '2026-11-03T00:00:00Z', '2026-11-04T00:00:00Z'],
    ]);
    const monthly = await get(temporal(temperature, 'options=aggregatedValues&aggrMethods=totalCount&aggrPeriodDuration=P1M&timerel=after&timeAt=2026-10-15T00:00:00Z'), DEVICE_CONTEXT);
    expect(aggregatesOf(monthly.body, 'airTemperature')['totalCount']).toEqual([[432, '2026-10-15T00:00:00Z', '2026-11-15T00:00:00Z']]);
    const whole = await get(temporal(temperature, 'options=aggregatedValues&aggrMethods=max,min'), DEVICE_CONTEXT);
    const [range] = await db.query<{ min: number; max: number; first: string; last: string }>({
      text: 'SELECT min(result_number), max(result_number), placelink_rfc3339(min(phenomenon_time)) AS first, placelink_rfc3339(max(phenomenon_time)) AS last FROM observation WHERE datastream_key = $1',
      values: [datastreamKey],
    });
    expect(aggregatesOf(whole.body, 'airTemperature')['max']).toEqual([[range!.max, range!.first, range!.last]]);
    expect(aggregatesOf(whole.body, 'airTemperature')['min']).toEqual([[range!.min, range!.first, range!.last]]);
  });

  it('cuts a response at the instance limit: 206 with the Content-Range it covers', async () => {
    const cut = await get(temporal(temperature, 'attrs=airTemperature'), DEVICE_CONTEXT, small);
    expect(cut.status).toBe(206);
    const all = await readingsBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
    expect(instancesOf(cut.body, 'airTemperature').map((i: Instance) => i.observedAt)).toEqual(all.slice(0, 30).map((r) => r.time));
    expect(cut.headers.get('content-range')).toBe(`date-time ${all[0]!.time}-${all[29]!.time}/*`);
    const last = await get(temporal(temperature, 'attrs=airTemperature&lastN=40'), DEVICE_CONTEXT, small);
    expect(last.status).toBe(206);
    expect(instancesOf(last.body, 'airTemperature').map((i: Instance) => i.observedAt)).toEqual(all.slice(-30).map((r) => r.time));
    expect(last.headers.get('content-range')).toBe(`date-time ${all.at(-1)!.time}-${all.at(-30)!.time}/40`);
    const whole = await get(temporal(temperature, 'attrs=airTemperature&lastN=10'), DEVICE_CONTEXT, small);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-range')).toBeNull();
  });
});

describe('temporal evolution of a harvested feature (versions)', () => {
  it('keeps the previous version of a changed feature and answers each attribute with the values it had', async () => {
    const versions = await db.query<{ n: number }>({ text: `SELECT count(*)::integer AS n FROM feature_version WHERE collection_key = (SELECT collection_key FROM collection WHERE id = $1) AND id = 'L1'`, values: [LAMPS] });
    expect(versions[0]!.n).toBe(2);
    const { status, body } = await get(temporal(lamp(1)), STREETLIGHTING);
    expect(status).toBe(200);
    expect(body).toMatchObject({ type: 'Streetlight' });
    expect(instancesOf(body, 'power').map((i: Instance) => i.value)).toEqual([51, 61]);
    expect(instancesOf(body, 'powerState').map((i: Instance) => i.value)).toEqual(['on', 'off']);
    // When each value came, from the versions' own times.
    const times = await db.query<{ t: string }>({
      text: `SELECT placelink_rfc3339(valid_from) AS t FROM feature_version WHERE collection_key = (SELECT collection_key FROM collection WHERE id = $1) AND id = 'L1'
             UNION ALL SELECT placelink_rfc3339(updated_at) FROM feature WHERE collection_key = (SELECT collection_key FROM collection WHERE id = $1) AND id = 'L1' ORDER BY 1`,
      values: [LAMPS],
    });
    expect(instancesOf(body, 'power').map((i: Instance) => i.modifiedAt)).toEqual([times[0]!.t, times[1]!.t]);
    expect(instancesOf(body, 'powerState').map((i: Instance) => i.modifiedAt)).toEqual([times[0]!.t, times[2]!.t]);
    // The location did not change: one instance.
    expect(body).toMatchObject({ location: [{ type: 'GeoProperty', value: { type: 'Point' } }] });
  });

  it('queries the temporal evolution of several entities with q, and with POST and a temporalQ', async () => {
    const { status, body } = await get(`/temporal/entities?type=Streetlight&q=powerState=="off"&attrs=power`, STREETLIGHTING);
    expect(status).toBe(200);
    const mine = (body as TemporalEntity[]).filter((e: TemporalEntity) => e.id.includes(run));
    expect(mine.map((e: TemporalEntity) => e.id).sort()).toEqual([lamp(1), lamp(2)]);
    expect(instancesOf(mine.find((e: TemporalEntity) => e.id === lamp(2)), 'power').map((i: Instance) => i.value)).toEqual([52, 62]);
    const posted = await fetch(`${server.url}/ngsi-ld/v1/temporal/entityOperations/query?options=temporalValues`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Link: LINK(STREETLIGHTING) },
      body: JSON.stringify({ type: 'Query', entities: [{ type: 'Streetlight', id: lamp(2) }], attrs: ['powerState'], temporalQ: { timerel: 'after', timeAt: '2000-01-01T00:00:00Z', timeproperty: 'modifiedAt' } }),
    });
    expect(posted.status).toBe(200);
    const [entity] = (await posted.json()) as TemporalEntity[];
    expect(entity).toMatchObject({ powerState: { values: [['on', expect.any(String)], ['off', expect.any(String)]] } });
  });
});

describe('temporal evolution of an entity written whole (attribute instances)', () => {
  it('keeps every written instance with its observedAt and answers them in order, the unchanged ones once', async () => {
    const { status, body } = await get(temporal(car), null);
    expect(status).toBe(200);
    // The core context's @vocab names them (default-context).
    expect(instancesOf(body, 'speed').map((i: Instance) => [i.value, i.observedAt, i.unitCode])).toEqual([
      [80, '2026-11-02T10:00:00Z', 'KMH'],
      [95, '2026-11-02T11:00:00Z', 'KMH'],
    ]);
    expect(body).toMatchObject({ fuelLevel: [{ type: 'Property', value: 0.5 }] });
    const stored = await db.query<{ n: number }>({ text: `SELECT count(*)::integer AS n FROM attribute_instance WHERE collection_key = (SELECT collection_key FROM collection WHERE id = $1)`, values: [CARS] });
    expect(stored[0]!.n).toBe(3);
  });

  it('does not show instanceId in the normal representation', async () => {
    const { body } = await get(`/entities/${encodeURIComponent(car)}`, null);
    expect((body as TemporalEntity)['speed']).toEqual({ type: 'Property', value: 95, observedAt: '2026-11-02T11:00:00Z', unitCode: 'KMH' });
  });
});

describe('temporal request errors', () => {
  it.each([
    ['timerel without timeAt', temporal(temperature, 'timerel=after'), 'BadRequestData'],
    ['an unknown timerel', temporal(temperature, 'timerel=during&timeAt=2026-11-01T00:00:00Z'), 'BadRequestData'],
    ['a timeAt that is no date-time', temporal(temperature, 'timerel=after&timeAt=yesterday'), 'BadRequestData'],
    ['between without endTimeAt', temporal(temperature, 'timerel=between&timeAt=2026-11-01T00:00:00Z'), 'BadRequestData'],
    ['endTimeAt before timeAt', temporal(temperature, 'timerel=between&timeAt=2026-11-02T00:00:00Z&endTimeAt=2026-11-01T00:00:00Z'), 'BadRequestData'],
    ['lastN 0', temporal(temperature, 'lastN=0'), 'BadRequestData'],
    ['aggregatedValues without aggrMethods', temporal(temperature, 'options=aggregatedValues'), 'BadRequestData'],
    ['an unknown aggregation method', temporal(temperature, 'options=aggregatedValues&aggrMethods=median'), 'BadRequestData'],
    ['a period mixing months and days', temporal(temperature, 'options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=P1M2D'), 'BadRequestData'],
    ['a period that is no duration', temporal(temperature, 'options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1h'), 'BadRequestData'],
    ['an unknown timeproperty', temporal(temperature, 'timeproperty=seenAt'), 'BadRequestData'],
    ['an unknown format', temporal(temperature, 'format=table'), 'InvalidRequest'],
    ['an unknown parameter', temporal(temperature, 'colour=red'), 'InvalidRequest'],
    ['a query without type, attrs, q or geo-query', `/temporal/entities?id=${encodeURIComponent(temperature)}`, 'BadRequestData'],
    ['an entity id that is no URI', '/temporal/entities/not-a-uri', 'BadRequestData'],
  ])('%s → 400 %s', async (_name, path, type) => {
    const { status, body, headers } = await get(path, DEVICE_CONTEXT);
    expect(status).toBe(400);
    expect(body).toMatchObject({ type: `https://uri.etsi.org/ngsi-ld/errors/${type}` });
    expect(headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers 404 ResourceNotFound for an unknown entity', async () => {
    const { status, body } = await get(temporal(`urn:ngsi-ld:Device:${run}-none`), DEVICE_CONTEXT);
    expect(status).toBe(404);
    expect(body).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound' });
  });
});
