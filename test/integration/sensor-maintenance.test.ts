import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { quoteIdentifier } from '../../src/db/sql/sql-query.js';
import type { Store } from '../../src/services/ports/store.js';
import { recordObservations } from '../../src/services/sensors/record-observations.js';
import type { SensorMapping } from '../../src/services/sensors/sensor-registry.js';
import { sensorService, type SensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

/** The sensor maintenance round: partitions ahead of time and retention per mapping. */
const run = uniqueId('maint');
const DAY = 86_400_000;
const AHEAD_DAYS = 100;

let db: Database;
let store: Store;
let kept: SensorMapping;
let expiring: SensorMapping;
let sensors: SensorService;

const monthPartition = (ms: number) => {
  const d = new Date(ms);
  return `observation_${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}01t000000`;
};

async function partitionNames(): Promise<string[]> {
  return (await db.query<{ name: string }>({ text: 'SELECT name FROM observation_partition ORDER BY lower_bound', values: [] })).map((r) => r.name);
}

async function observations(sourceId: string): Promise<{ n: number; count: string; features: string }> {
  const [row] = await db.query<{ n: number; count: string; features: string }>({
    text: `SELECT (SELECT count(*)::integer FROM observation o WHERE o.datastream_key = d.datastream_key) AS n, coalesce(t.observation_count, 0)::text AS count, c.feature_count::text AS features
           FROM datastream d JOIN sensor_source s USING (source_key) JOIN collection c ON c.collection_key = s.collection_key
           LEFT JOIN datastream_tally t USING (datastream_key) WHERE s.id = $1`,
    values: [sourceId],
  });
  return row!;
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  expiring = await sensorMapping(`
id: ${run}-30d
source: { type: http-push }
target: { collection: ${run}-30d }
observations: { retention: 30d }
datastreams: [{ id: "${run}-a", resultType: number }]
`, 'expiring.yaml');
  kept = await sensorMapping(`
id: ${run}-kept
source: { type: http-push }
target: { collection: ${run}-kept }
datastreams: [{ id: "${run}-b", resultType: number }]
`, 'kept.yaml');
  sensors = sensorService(store, [expiring, kept], testLogger, { maxFutureMs: 300_000, partitionsAheadMs: AHEAD_DAYS * DAY });
  await sensors.prepare();
});

afterAll(async () => {
  for (const id of [`${run}-30d`, `${run}-kept`]) {
    await store.collections.remove(id);
    await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [id] });
  }
  await db.close();
});

describe('sensor maintenance', () => {
  it('creates the partitions from yesterday until the configured time ahead', async () => {
    // Partitions starting two days from now can hold nothing yet (no observation lies that far ahead): start without them.
    const future = await db.query<{ name: string }>({ text: "SELECT name FROM observation_partition WHERE lower_bound > now() + interval '2 days'", values: [] });
    for (const { name } of future) {
      await db.transaction(async (tx) => {
        await tx.query({ text: `DROP TABLE ${quoteIdentifier(name)}`, values: [] });
        await tx.query({ text: 'DELETE FROM observation_partition WHERE name = $1', values: [name] });
      });
    }
    const now = Date.now();
    const wanted = [...new Set(Array.from({ length: AHEAD_DAYS + 2 }, (_, day) => monthPartition(now - DAY + day * DAY)))];
    const before = await partitionNames();
    expect(wanted.filter((name) => !before.includes(name)).length).toBeGreaterThanOrEqual(2);
    await sensors.maintain();
    const after = await partitionNames();
    expect(wanted.filter((name) => !after.includes(name))).toEqual([]);
    const [covered] = await db.query<{ ok: boolean }>({
      text: 'SELECT EXISTS (SELECT 1 FROM observation_partition WHERE lower_bound <= $1::timestamptz AND upper_bound > $1::timestamptz) AS ok',
      values: [new Date(now + AHEAD_DAYS * DAY).toISOString()],
    });
    expect(covered!.ok).toBe(true);
    // Each is a real partition of observation.
    const [attached] = await db.query<{ n: number }>({
      text: `SELECT count(*)::integer AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'observation'::regclass AND c.relname = ANY($1::text[])`,
      values: [wanted],
    });
    expect(attached!.n).toBe(wanted.length);
  });

  it("deletes observations past a mapping's retention, and only that mapping's", async () => {
    const now = Date.now();
    const [a, b] = await Promise.all([store.sensors.datastreamsByIds([`${run}-a`]), store.sensors.datastreamsByIds([`${run}-b`])]);
    const input = (time: number, result: number) => ({ phenomenonTime: new Date(time).toISOString(), result });
    await recordObservations(
      store,
      [
        { index: 0, datastream: a[0]!, datastreamRef: `${run}-a`, input: input(now - 40 * DAY, 1) },
        { index: 1, datastream: a[0]!, datastreamRef: `${run}-a`, input: input(now - 10 * DAY, 2) },
        { index: 2, datastream: b[0]!, datastreamRef: `${run}-b`, input: input(now - 40 * DAY, 3) },
      ],
      { rules: () => expiring.observations, maxFutureMs: 300_000 },
    );
    expect(await observations(`${run}-30d`)).toEqual({ n: 2, count: '2', features: '2' });
    await sensors.maintain();
    expect(await observations(`${run}-30d`)).toEqual({ n: 1, count: '1', features: '1' });
    expect(await observations(`${run}-kept`)).toEqual({ n: 1, count: '1', features: '1' });
  });
});
