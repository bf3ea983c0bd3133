import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import { explainLink } from '../../src/services/sensors/link-assets.js';
import type { Store } from '../../src/services/ports/store.js';
import { sensorMappings } from '../../src/services/sensors/sensor-registry.js';
import { sensorService, type SensorService } from '../../src/services/sensors/sensor-service.js';
import { runCli } from '../helpers/cli.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';

/**
 * Link rules declared by an asset mapping (a file of poles) for a sensor mapping's datastreams,
 * and links that follow real re-harvests and imports of the assets: the file changes between
 * runs of `placelink ingest`, and only the datastreams the changed poles concern are looked at.
 */
const run = uniqueId('assetrules');
const POLES = `${run}-poles`;
const SENSORS = `${run}-s`;
const LAT = 52.37;
const ds = (name: string) => `${run}-${name}`;

let db: Database;
let store: Store;
let directory: string;
let sensors: SensorService;

const pole = (id: string, lon: number) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates: [lon, LAT] }, properties: { name: id } });

async function writePoles(poles: readonly (readonly [string, number])[]): Promise<void> {
  await writeFile(path.join(directory, 'poles.geojson'), JSON.stringify({ type: 'FeatureCollection', features: poles.map(([id, lon]) => pole(id, lon)) }));
}

async function links(): Promise<{ datastream: string; asset: string; open: boolean; id: string }[]> {
  return db.query({
    text: `SELECT substr(d.id, length($2) + 2) AS datastream, l.asset_id AS asset, l.valid_to IS NULL AS open, l.link_id::text AS id
           FROM asset_link l JOIN datastream d USING (datastream_key) JOIN sensor_source s USING (source_key) WHERE s.id = $1
           ORDER BY d.id, l.valid_from, l.link_id`,
    values: [SENSORS, run],
  });
}

const current = async () => (await links()).filter((l) => l.open).map((l) => [l.datastream, l.asset]);
const cli = (args: string[]) => runCli(args, { PLACELINK_MAPPINGS: directory, LOG_LEVEL: 'error' });

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-asset-rules-'));
  await writePoles([
    ['L-1', 9.7],
    ['L-2', 9.701],
    ['L-9', 9.8],
  ]);
  await writeFile(
    path.join(directory, 'poles.yaml'),
    `
id: ${POLES}
source: { type: file, path: poles.geojson, format: geojson }
target: { collection: ${POLES} }
deletePolicy: { mode: retire, maxFraction: 1 }
links:
  - { rule: nearest, name: nearest-pole, sensors: ${SENSORS}, maxDistance: 25, datastreams: ["${ds('a')}", "${ds('b')}", "${ds('c')}"] }
`,
  );
  await writeFile(
    path.join(directory, 'sensors.yaml'),
    `
id: ${SENSORS}
source: { type: http-push }
target: { collection: ${run}-obs }
datastreams:
  - { id: "${ds('a')}", location: [9.70005, ${LAT}] }
  - { id: "${ds('b')}", location: [9.70105, ${LAT}] }
  - { id: "${ds('c')}", location: [9.80003, ${LAT}] }
  - { id: "${ds('x')}", location: [9.70002, ${LAT}] }
`,
  );
});

afterAll(async () => {
  for (const id of [POLES, `${run}-obs`]) await store.collections.remove(id);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [SENSORS] });
  await db.close();
  await rm(directory, { recursive: true, force: true });
});

describe('link rules of an asset mapping', () => {
  it("join the sensor mapping's rules and link only the datastreams they name", async () => {
    const first = await cli(['ingest', POLES]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^${POLES} → ${POLES}: run \\d+ succeeded`));
    const loaded = await loadMappings(directory);
    const mappings = sensorMappings(loaded.map((m) => m.mapping));
    expect(mappings[0]!.links).toEqual([
      { kind: 'nearest', name: 'nearest-pole', collection: POLES, priority: 100, maxDistance: 25, ties: 'first', datastreams: [ds('a'), ds('b'), ds('c')], declaredIn: POLES, sensors: [SENSORS] },
    ]);
    sensors = sensorService(store, mappings, testLogger, { maxFutureMs: 300_000 });
    await sensors.prepare();
    await sensors.maintain();
    expect(await current()).toEqual([
      ['a', 'L-1'],
      ['b', 'L-2'],
      ['c', 'L-9'],
    ]);
    const explained = await explainLink(store, mappings, { collectionId: POLES, assetId: 'L-1', datastreamId: ds('x') });
    expect(explained.rules).toEqual([
      expect.objectContaining({ rule: 'nearest-pole', declaredIn: POLES, applies: false, reason: `applies to the datastreams '${ds('a')}', '${ds('b')}', '${ds('c')}' only` }),
    ]);
  });

  it('follow a re-harvest of the changed file at once, looking only at the datastreams the changed poles concern', async () => {
    const before = await links();
    // L-1 is gone, L-3 is new and nearer to b than L-2, L-4 is new near a; L-9 is unchanged.
    await writePoles([
      ['L-2', 9.701],
      ['L-3', 9.70108],
      ['L-4', 9.69998],
      ['L-9', 9.8],
    ]);
    const second = await cli(['ingest', POLES]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`links of ${SENSORS}: 2 opened, 2 closed, 0 updated, 0 unchanged\n`);
    expect(second.stdout).toMatch(/2 inserted, 0 updated, 2 unchanged, 1 retired/);
    expect(await current()).toEqual([
      ['a', 'L-4'],
      ['b', 'L-3'],
      ['c', 'L-9'],
    ]);
    const after = await links();
    expect(after.filter((l) => !l.open).map((l) => [l.datastream, l.asset])).toEqual([
      ['a', 'L-1'],
      ['b', 'L-2'],
    ]);
    expect(after.find((l) => l.datastream === 'c')!.id).toBe(before.find((l) => l.datastream === 'c')!.id);
    // The maintenance loop (the safety net) finds nothing left to do.
    const [state] = await db.query<{ current: boolean }>({
      text: `SELECT ls.data_version = c.data_version AS current FROM link_state ls JOIN collection c USING (collection_key) JOIN sensor_source s USING (source_key) WHERE s.id = $1 AND c.id = $2`,
      values: [SENSORS, POLES],
    });
    expect(state!.current).toBe(true);
    await sensors.maintain();
    expect(await links()).toEqual(after);
  });

  it('follow an import into the collection too', async () => {
    const file = path.join(directory, 'more-poles.geojson');
    await writeFile(file, JSON.stringify({ type: 'FeatureCollection', features: [pole('L-5', 9.80001)] }));
    const imported = await cli(['import', file, '--collection', POLES]);
    expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });
    expect(imported.stdout).toContain(`links of ${SENSORS}: 1 opened, 1 closed, 0 updated, 0 unchanged\n`);
    expect((await current()).find(([datastream]) => datastream === 'c')).toEqual(['c', 'L-5']);
  });
});
