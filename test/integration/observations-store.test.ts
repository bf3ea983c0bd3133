import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { DatastreamInfo } from '../../src/domain/datastream.js';
import type { Store } from '../../src/services/ports/store.js';
import { recordObservations } from '../../src/services/sensors/record-observations.js';
import { registerSensorMapping, type SensorMapping } from '../../src/services/sensors/sensor-registry.js';
import { isEmbedded, testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { createDatabase } from '../../src/db/database.js';
import { createStore } from '../../src/db/store.js';
import { inject } from 'vitest';
import { sensorMapping } from '../helpers/sensor-mappings.js';

let db: Database;
let store: Store;
let mapping: SensorMapping;
const collection = uniqueId('obs');
const prefix = uniqueId('ds');
let streams: Map<string, DatastreamInfo>;

const context = { rules: () => mapping.observations, maxFutureMs: 300_000 };

async function record(id: string, inputs: Record<string, unknown>[]) {
  const info = streams.get(id) ?? null;
  return recordObservations(
    store,
    inputs.map((input, index) => ({ index, datastream: info, datastreamRef: id, input: input as never })),
    context,
  );
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  mapping = await sensorMapping(`
id: ${collection}
source: { type: http-push }
target: { collection: ${collection}, title: Test observations }
observations: { withoutZone: reject, retention: 30d }
datastreams:
  - { id: ${prefix}-t, name: Temperature, unit: { symbol: "°C" }, resultType: number, location: [9.73, 52.37] }
  - { id: ${prefix}-any, name: Anything, resultType: any }
  - { id: ${prefix}-copied, name: Loaded with COPY, resultType: any }
  - { id: ${prefix}-inserted, name: Loaded with INSERT, resultType: any }
  - { id: ${prefix}-flag, name: Flag, resultType: boolean }
`);
  const { source } = await registerSensorMapping(store, mapping);
  streams = new Map((await store.sensors.datastreamsOfSource(source.key)).map((d) => [d.id, d]));
});

afterAll(async () => {
  await store.collections.remove(collection);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [collection] });
  await db.close();
});

describe('observation storage', () => {
  it('stores a batch once: the same datastream, phenomenon time and result time again is a duplicate', async () => {
    const batch = [
      { phenomenonTime: '2024-03-01T10:00:00Z', result: 1.5 },
      { phenomenonTime: '2024-03-01T11:00:00Z', resultTime: '2024-03-01T11:00:05Z', result: 2.5 },
      { phenomenonTime: '2024-03-01T11:00:00Z', resultTime: '2024-03-01T11:00:05Z', result: 2.5 },
    ];
    const first = await record(`${prefix}-t`, batch);
    expect(first).toMatchObject({ inserted: 2, duplicates: 1, rejected: [] });
    const again = await record(`${prefix}-t`, batch);
    expect(again).toMatchObject({ inserted: 0, duplicates: 3 });
    const [row] = await db.query<{ n: number }>({ text: 'SELECT count(*)::integer AS n FROM observation WHERE datastream_key = $1', values: [streams.get(`${prefix}-t`)!.key] });
    expect(row!.n).toBe(2);
  });

  it('keeps the latest value current, and an older observation arriving late does not replace it', async () => {
    await record(`${prefix}-t`, [{ phenomenonTime: '2024-03-02T00:00:00Z', result: 7 }]);
    await record(`${prefix}-t`, [{ phenomenonTime: '2024-02-01T00:00:00Z', result: -3 }]);
    const [latest] = await db.query<{ result_number: number; t: string }>({
      text: 'SELECT result_number, placelink_rfc3339(phenomenon_time) AS t FROM observation_latest WHERE datastream_key = $1',
      values: [streams.get(`${prefix}-t`)!.key],
    });
    expect(latest).toEqual({ result_number: 7, t: '2024-03-02T00:00:00Z' });
  });

  it('creates monthly partitions for the times it stores, including old ones', async () => {
    await record(`${prefix}-t`, [{ phenomenonTime: '1999-12-31T23:59:59.123456Z', result: 0 }]);
    const rows = await db.query<{ name: string }>({ text: "SELECT name FROM observation_partition WHERE lower_bound <= '1999-12-31T23:59:59Z' AND upper_bound > '1999-12-31T23:59:59Z'", values: [] });
    expect(rows.map((r) => r.name)).toEqual(['observation_19991201t000000']);
    const [kept] = await db.query<{ t: string }>({ text: "SELECT placelink_rfc3339(phenomenon_time) AS t FROM observation WHERE datastream_key = $1 AND phenomenon_time < '2000-01-01'", values: [streams.get(`${prefix}-t`)!.key] });
    expect(kept!.t).toBe('1999-12-31T23:59:59.123456Z');
  });

  it('stores results of every JSON type faithfully where any type is allowed', async () => {
    const results = [42, 'blue', true, { label: 'jellyfish', count: '6-50' }, [6.56, 12], null];
    const outcome = await record(
      `${prefix}-any`,
      results.map((result, i) => ({ phenomenonTime: `2024-04-01T00:00:0${i}Z`, result })),
    );
    expect(outcome.inserted).toBe(6);
    const rows = await db.query<{ value: unknown }>({
      text: 'SELECT coalesce(to_jsonb(result_number), result) AS value FROM observation WHERE datastream_key = $1 ORDER BY phenomenon_time',
      values: [streams.get(`${prefix}-any`)!.key],
    });
    expect(rows.map((r) => r.value)).toEqual(results);
  });

  it('rejects with reasons: wrong result type, zone-less or future times, unknown datastreams', async () => {
    const outcome = await record(`${prefix}-flag`, [
      { phenomenonTime: '2024-05-01T00:00:00Z', result: 'yes' },
      { phenomenonTime: '2024-05-01T00:00:00', result: true },
      { phenomenonTime: new Date(Date.now() + 3_600_000).toISOString(), result: true },
      { phenomenonTime: '2024-05-01T00:00:00-0700', result: false },
      { phenomenonTime: '2024-05-01T00:00:00Z/2024-05-01T01:00:00Z', result: true },
    ]);
    expect(outcome.inserted).toBe(2);
    expect(outcome.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, `result "yes" is a string, not a boolean (the datastream's declared result type)`],
      [1, "phenomenonTime: '2024-05-01T00:00:00' has no time zone (the mapping rejects zone-less timestamps; set observations.withoutZone to utc or an offset to accept them)"],
      [2, expect.stringMatching(/^phenomenonTime .* is more than 300 s in the future$/)],
    ]);
    const unknown = await record('no-such-datastream', [{ phenomenonTime: '2024-05-01T00:00:00Z', result: 1 }]);
    expect(unknown.rejected).toEqual([{ index: 0, status: 'unknown-datastream', reason: "datastream 'no-such-datastream' does not exist" }]);
    const [interval] = await db.query<{ t: string; e: string; span: string }>({
      text: `SELECT placelink_rfc3339(o.phenomenon_time) AS t, placelink_rfc3339(o.phenomenon_end) AS e, d.phenomenon_span::text AS span
             FROM observation o JOIN datastream d USING (datastream_key) WHERE o.datastream_key = $1 AND o.phenomenon_end > o.phenomenon_time`,
      values: [streams.get(`${prefix}-flag`)!.key],
    });
    expect(interval).toEqual({ t: '2024-05-01T00:00:00Z', e: '2024-05-01T01:00:00Z', span: '01:00:00' });
  });

  it('keeps the observation collection count and time extent current', async () => {
    const c = await store.collections.get(collection);
    const [row] = await db.query<{ n: number }>({
      text: 'SELECT count(*)::integer AS n FROM observation o JOIN datastream d USING (datastream_key) JOIN sensor_source s USING (source_key) WHERE s.id = $1',
      values: [collection],
    });
    expect(c!.featureCount).toBe(row!.n);
    expect(c!.temporalExtent![0]).toBe('1999-12-31T23:59:59Z');
    expect(c!.spatialExtent).toEqual([9.73, 52.37, 9.73, 52.37]);
  });

  it.skipIf(isEmbedded())('stores the same rows and bookkeeping whether a batch is bulk loaded (COPY) or inserted', async () => {
    const batch = [
      { phenomenonTime: '2024-05-01T00:00:00.0001Z', result: 'first \t tab, \n newline, \\ backslash', upstreamId: 'up\tstream\\1' },
      // the same millisecond, later by 800 µs: the newest
      { phenomenonTime: '2024-05-01T00:00:00.0009Z', result: { nested: ['ü', 1, null] }, resultQuality: { q: 'good' }, parameters: { p: '\\' } },
      { phenomenonTime: '2024-05-01T00:00:00.0009Z', resultTime: '2024-05-01T00:00:01Z', result: 3.25, validTime: '2024-05-01T00:00:00Z/2024-06-01T00:00:00Z' },
      { phenomenonTime: '2024-04-30T22:00:00.5+02:00', result: true },
      { phenomenonTime: '2024-04-01T00:00:00.0004Z/2024-04-01T06:00:00.0001Z', result: null },
      { phenomenonTime: '2024-04-02T00:00:00Z/2024-04-02T06:00:00.0007Z', result: 1e21 },
    ];
    const copied = streams.get(`${prefix}-copied`)!;
    const inserted = streams.get(`${prefix}-inserted`)!;
    const withoutCopy = createDatabase({ connectionString: inject('databaseUrl'), poolSize: 1, statementTimeoutMs: 60_000, copyFromStdin: false }, testLogger);
    try {
      const before = await collectionState();
      let loads = 0;
      const counted: Database = {
        ...db,
        transaction: (work) => db.transaction((tx) => work({ ...tx, copyFrom: (statement, rows) => (loads++, tx.copyFrom!(statement, rows)) })),
      };
      const copiedOutcome = await recordObservations(await createStore(counted), batch.map((input, index) => ({ index, datastream: copied, datastreamRef: copied.id, input: input as never })), context);
      const insertedOutcome = await recordObservations(await createStore(withoutCopy), batch.map((input, index) => ({ index, datastream: inserted, datastreamRef: inserted.id, input: input as never })), context);
      expect(loads).toBe(1);
      expect(copiedOutcome).toEqual(insertedOutcome);
      expect(copiedOutcome).toMatchObject({ inserted: batch.length, duplicates: 0, rejected: [] });
      const state = async (key: number) => ({
        rows: await db.query({
          text: `SELECT phenomenon_time::text, phenomenon_end::text, result_time::text, result_number, result::text, result_quality::text,
                        valid_start::text, valid_end::text, parameters::text, upstream_id, foi_key
                 FROM observation WHERE datastream_key = $1 ORDER BY phenomenon_time, result_time`,
          values: [key],
        }),
        latest: await db.query({ text: 'SELECT phenomenon_time::text, phenomenon_end::text, result_time::text, result_number, result::text FROM observation_latest WHERE datastream_key = $1', values: [key] }),
        tally: await db.query({ text: 'SELECT observation_count FROM datastream_tally WHERE datastream_key = $1', values: [key] }),
        span: await db.query({ text: 'SELECT phenomenon_span::text FROM datastream WHERE datastream_key = $1', values: [key] }),
      });
      const viaCopy = await state(copied.key);
      expect(viaCopy.rows).toHaveLength(batch.length);
      expect(viaCopy).toEqual(await state(inserted.key));
      expect(viaCopy.latest).toEqual([{ phenomenon_time: '2024-05-01 00:00:00.0009+00', phenomenon_end: '2024-05-01 00:00:00.0009+00', result_time: '2024-05-01 00:00:01+00', result_number: 3.25, result: null }]);
      expect(viaCopy.span).toEqual([{ phenomenon_span: '06:00:00.0007' }]);
      expect(viaCopy.rows).toContainEqual(expect.objectContaining({ upstream_id: 'up\tstream\\1', result: JSON.stringify('first \t tab, \n newline, \\ backslash') }));
      const after = await collectionState();
      expect(after.count - before.count).toBe(2 * batch.length);
      const [extent] = await db.query<{ covers: boolean }>({
        text: "SELECT temporal_start <= '2024-04-01T00:00:00.0004Z' AND temporal_end >= '2024-05-01T00:00:00.0009Z' AS covers FROM collection WHERE id = $1",
        values: [collection],
      });
      expect(extent!.covers).toBe(true);
    } finally {
      await withoutCopy.close();
    }
  });

  it('deletes observations past the retention and drops partitions left empty', async () => {
    const source = (await store.sensors.sources()).find((s) => s.id === collection)!;
    const deleted = await store.sensors.expireObservations(source.key, '2000-06-01T00:00:00Z');
    expect(deleted).toBe(1);
    const dropped = await store.sensors.dropEmptyPartitions(new Date('2000-06-01T00:00:00Z'));
    expect(dropped).toContain('observation_19991201t000000');
    const again = await record(`${prefix}-t`, [{ phenomenonTime: '1999-12-15T00:00:00Z', result: 1 }]);
    expect(again.inserted).toBe(1);
  });
});

async function collectionState(): Promise<{ count: number }> {
  const [row] = await db.query<{ count: number }>({
    text: 'SELECT feature_count::integer AS count FROM collection WHERE id = $1',
    values: [collection],
  });
  return row!;
}
