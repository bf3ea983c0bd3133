import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { linkSql } from '../../src/db/sql/link-sql.js';
import { observationSql } from '../../src/db/sql/observation-sql.js';
import type { Collection } from '../../src/domain/collection.js';
import type { LinkRule } from '../../src/domain/mapping.js';
import type { Store } from '../../src/services/ports/store.js';
import { recordObservations } from '../../src/services/sensors/record-observations.js';
import { registerSensorMapping, type SensorMapping } from '../../src/services/sensors/sensor-registry.js';
import type { ObservationPageQuery } from '../../src/services/ports/sensor-ports.js';
import { isEmbedded, testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

/**
 * The statements behind observation items and the join, explained by PostgreSQL (as
 * test/integration/cql2-indexes.test.ts does for features): `datetime` prunes the partitions of
 * other months, a datastream's observations come from the (datastream, time) btree, a time window
 * across datastreams from the BRIN index, and the nearest rule walks the geography index (KNN).
 */

interface PlanNode {
  'Node Type': string;
  'Actual Loops'?: number;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Subplans Removed'?: number;
  Plans?: PlanNode[];
}

const walk = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(walk)];

let db: Database;
let store: Store;
let mapping: SensorMapping;
let sourceKey: number;
let collectionKey: number;
let keys: number[];
let assets: Collection;
const run = uniqueId('obsidx');
const ASSETS = `${run}-poles`;
/** A source of 2000 datastreams with 50 observations each, spread over March 2023. */
const DATASTREAMS = 2000;
const PER_DATASTREAM = 50;

async function plan(query: { text: string; values: readonly unknown[] }): Promise<PlanNode[]> {
  const [row] = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`, values: query.values });
  const nodes = walk(row!['QUERY PLAN'][0]!.Plan);
  process.stdout.write(`EXPLAIN uses ${[...new Set(nodes.flatMap((n) => (n['Index Name'] ? [n['Index Name']] : n['Relation Name'] ? [n['Relation Name']] : [])))].join(', ')}\n`);
  return nodes;
}

const indexes = (nodes: PlanNode[]) => nodes.flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []));
/** Partitions the statement read (run-time pruning leaves the others in the plan, never executed). */
const partitions = (nodes: PlanNode[]) =>
  [...new Set(nodes.flatMap((n) => (/^observation_\d{8}t\d{6}/.test(n['Index Name'] ?? n['Relation Name'] ?? '') && (n['Actual Loops'] ?? 0) > 0 ? [/^observation_\d{8}t\d{6}/.exec(n['Index Name'] ?? n['Relation Name']!)![0]] : [])))];

function pageQuery(overrides: Partial<ObservationPageQuery>): ObservationPageQuery {
  return {
    collectionKey,
    countedDatastream: null,
    sourceKey,
    datastreamKeys: null,
    time: null,
    envelopes: [],
    position: { kind: 'start' },
    limit: 10,
    output: { srid: 4326, swapAxes: false, decimals: 7 },
    ...overrides,
  };
}

describe.skipIf(isEmbedded())('observation and join statements use their indexes (EXPLAIN)', () => {
  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    mapping = await sensorMapping(`
id: ${run}
source: { type: http-push }
target: { collection: ${run} }
datastreams:
${Array.from({ length: DATASTREAMS }, (_, i) => `  - { id: "${run}-${i}", resultType: number, location: [${9.7 + i * 0.001}, 52.3] }`).join('\n')}
`);
    const { source } = await registerSensorMapping(store, mapping);
    sourceKey = source.key;
    collectionKey = source.collectionKey!;
    const streams = await store.sensors.datastreamsOfSource(source.key);
    keys = streams.map((s) => s.key);
    const start = Date.UTC(2023, 2, 1);
    const step = Math.floor((31 * 86_400_000) / PER_DATASTREAM);
    // In time order, as feeds deliver them: the BRIN index relies on rows being stored in about that order.
    const batch = streams
      .flatMap((info, n) => Array.from({ length: PER_DATASTREAM }, (_, i) => ({ at: start + i * step + (n % 700) * 60_000, info, i })))
      .sort((a, b) => a.at - b.at)
      .map(({ at, info, i }, index) => ({ index, datastream: info, datastreamRef: info.id, input: { phenomenonTime: new Date(at).toISOString(), result: i } }));
    // Other months hold observations too, so there is something to prune.
    const others = streams.slice(0, 2).flatMap((info) => ['2023-01-15T00:00:00Z', '2023-05-15T00:00:00Z'].map((t, i) => ({ index: i, datastream: info, datastreamRef: info.id, input: { phenomenonTime: t, result: 0 } })));
    const outcome = await recordObservations(store, [...batch, ...others], { rules: () => mapping.observations, maxFutureMs: 0 });
    expect(outcome.inserted).toBe(DATASTREAMS * PER_DATASTREAM + 4);
    await db.query({ text: 'ANALYZE observation', values: [] });
    await db.query({ text: 'ANALYZE datastream', values: [] });
    await createCollection(store, { id: ASSETS }, pointGrid(20_000));
    assets = (await store.collections.get(ASSETS))!;
    await store.sensors.links.prepareTarget(assets.key);
    await db.query({ text: `ANALYZE feature`, values: [] });
  }, 180_000);

  afterAll(async () => {
    await store?.collections.remove(ASSETS);
    await store?.collections.remove(run);
    await db?.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    await db?.close();
  });

  it('datetime on observation items reads only the partitions of the interval', async () => {
    const march = { start: new Date('2023-03-10T00:00:00Z'), end: new Date('2023-03-11T00:00:00Z') };
    expect(partitions(await plan(observationSql.page(pageQuery({ time: march }))))).toEqual(['observation_20230301t000000']);
    const later = partitions(await plan(observationSql.page(pageQuery({ time: { start: new Date('2023-04-01T00:00:00Z'), end: null } }))));
    expect(later).toContain('observation_20230501t000000');
    expect(later.filter((p) => p < 'observation_20230401')).toEqual([]);
    const count = partitions(await plan(observationSql.cappedCount({ sourceKey, datastreamKeys: null, time: march, envelopes: [] }, 100_000)));
    expect(count).toEqual(['observation_20230301t000000']);
  });

  it("one datastream's observations come from the (datastream, time) btree", async () => {
    const nodes = await plan(observationSql.page(pageQuery({ datastreamKeys: [keys[3]!], time: { start: new Date('2023-03-10T00:00:00Z'), end: new Date('2023-03-10T06:00:00Z') } })));
    expect(indexes(nodes)).toContainEqual(expect.stringMatching(/^observation_20230301t000000_datastream_key_phenomenon_time_.*idx$/));
    const series = await plan(observationSql.series({ periods: [{ datastreamKey: keys[3]!, from: '1970-01-01T00:00:00Z', to: null }], time: { start: new Date('2023-03-10T00:00:00Z'), end: new Date('2023-03-11T00:00:00Z') }, bucket: 'hour', limit: 1000 }));
    expect(indexes(series)).toContainEqual(expect.stringMatching(/^observation_20230301t000000_datastream_key_phenomenon_time_.*idx$/));
  });

  it('a short time window across all datastreams is found through the BRIN index on phenomenon_time', async () => {
    const nodes = await plan(observationSql.cappedCount({ sourceKey, datastreamKeys: null, time: { start: new Date('2023-03-10T00:00:00Z'), end: new Date('2023-03-10T01:00:00Z') }, envelopes: [] }, 100_000));
    expect(indexes(nodes)).toContainEqual(expect.stringMatching(/^observation_20230301t000000_phenomenon_time_idx$/));
  });

  it('the nearest rule finds its candidates by KNN on the geography index', async () => {
    const rule: LinkRule = { kind: 'nearest', name: 'nearest', collection: ASSETS, priority: 1, maxDistance: 50, ties: 'first', datastreams: null, declaredIn: run, sensors: null };
    const query = linkSql.candidates(sourceKey, assets.key, rule, null)!;
    const nodes = await plan(query);
    expect(indexes(nodes)).toContain(`feature_c${assets.key}_geog_idx`);
  });
});
