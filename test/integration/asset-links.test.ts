import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { explainLink } from '../../src/services/sensors/link-assets.js';
import type { Store } from '../../src/services/ports/store.js';
import type { SensorMapping } from '../../src/services/sensors/sensor-registry.js';
import { sensorService, type SensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { runCli } from '../helpers/cli.js';
import { createCollection, feature } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { sensorMapping } from '../helpers/sensor-mappings.js';

const run = uniqueId('join');
const SL = `${run}-sl`;
const BLD = `${run}-bld`;
const STR = `${run}-str`;
const OBS = `${run}-obs`;
const KEY = 'join-test-key-0123456789';
const LAT = 52.37;
/** Street lights along one parallel, 0.0002° (about 13.6 m) apart: SL-1 at 9.7300 … SL-6 at 9.7310. */
const poles = [1, 2, 3, 4, 5, 6].map((i) => feature(`SL-${i}`, { type: 'Point', coordinates: [9.73 + (i - 1) * 0.0002, LAT] }, { poleId: `P${i}` }));
const ds = (name: string) => `${run}-${name}`;

let db: Database;
let store: Store;
let mapping: SensorMapping;
let sensors: SensorService;
let server: TestServer;

interface Link {
  datastream: string;
  asset: string;
  rule: string;
  distance: number | null;
  open: boolean;
}

async function links(): Promise<Link[]> {
  return db.query<Link>({
    text: `SELECT d.id AS datastream, l.asset_id AS asset, l.rule, l.distance_m AS distance, l.valid_to IS NULL AS open
           FROM asset_link l JOIN datastream d USING (datastream_key) JOIN sensor_source s USING (source_key) WHERE s.id = $1
           ORDER BY d.id, l.valid_from, l.link_id`,
    values: [OBS],
  });
}

const current = async () => (await links()).filter((l) => l.open).map((l) => [l.datastream.slice(run.length + 1), l.asset, l.rule]);

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: SL }, poles);
  await createCollection(store, { id: BLD }, [
    feature('B-1', { type: 'Polygon', coordinates: [[[9.7399, 52.3699], [9.7401, 52.3699], [9.7401, 52.3701], [9.7399, 52.3701], [9.7399, 52.3699]]] }),
  ]);
  await createCollection(store, { id: STR }, [feature('ST-1', { type: 'LineString', coordinates: [[9.75, 52.369], [9.75, 52.371]] })]);
  mapping = await sensorMapping(`
id: ${OBS}
source: { type: http-push }
target: { collection: ${OBS} }
links:
  - { rule: property, name: pole-id, collection: ${SL}, sensorProperty: properties.poleId, assetProperty: poleId, priority: 1 }
  - { rule: nearest, name: nearest-pole, collection: ${SL}, maxDistance: 25, priority: 2 }
  - { rule: contains, name: in-building, collection: ${BLD} }
  - { rule: buffer, name: by-street, collection: ${STR}, distance: 10 }
datastreams:
  - { id: "${ds('near')}", name: Near SL-1, unit: { symbol: lx }, location: [9.73003, ${LAT}] }
  - { id: "${ds('tie')}", name: Between SL-2 and SL-3, location: [9.7303, ${LAT}] }
  - { id: "${ds('prop')}", name: Says it is on P5, location: [9.73001, ${LAT}], properties: { poleId: P5 } }
  - { id: "${ds('far')}", name: Too far, location: [9.73, 52.371] }
  - { id: "${ds('move')}", name: Moving, location: [9.73102, ${LAT}] }
  - { id: "${ds('inside')}", name: In B-1, location: [9.74, 52.37] }
  - { id: "${ds('street')}", name: By ST-1, location: [9.75007, 52.37] }
  - { id: "${ds('placeless')}", name: On P6 without a place, properties: { poleId: P6 } }
`);
  sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 300_000 });
  await sensors.prepare();
  await sensors.maintain();
  server = await startTestServer(store, { observationsApiKey: KEY }, sensors);
});

afterAll(async () => {
  await server?.close();
  for (const id of [OBS, SL, BLD, STR]) await store.collections.remove(id);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [OBS] });
  await db.close();
});

describe('link rules', () => {
  it('links each datastream by the first rule (by priority) that finds an asset', async () => {
    // 'far' is 111 m from every pole: no rule links it.
    expect(await current()).toEqual([
      ['inside', 'B-1', 'in-building'],
      ['move', 'SL-6', 'nearest-pole'],
      ['near', 'SL-1', 'nearest-pole'],
      ['placeless', 'SL-6', 'pole-id'],
      ['prop', 'SL-5', 'pole-id'],
      ['street', 'ST-1', 'by-street'],
      ['tie', 'SL-2', 'nearest-pole'],
    ]);
    const all = await links();
    const near = all.find((l) => l.datastream === ds('near'))!;
    expect(near.distance).toBeGreaterThan(1.9);
    expect(near.distance).toBeLessThan(2.2);
    const street = all.find((l) => l.datastream === ds('street'))!;
    expect(street.distance).toBeGreaterThan(4.5);
    expect(street.distance).toBeLessThan(5.2);
    expect(all.find((l) => l.datastream === ds('inside'))!.distance).toBe(0);
    // A datastream with no place, linked by its declared pole: a standing relation, held from the start of time.
    const [placeless] = await db.query<{ from: string }>({
      text: `SELECT placelink_rfc3339(l.valid_from) AS from FROM asset_link l JOIN datastream d USING (datastream_key) WHERE d.id = $1`,
      values: [ds('placeless')],
    });
    expect(placeless!.from).toBe('1970-01-01T00:00:00Z');
  });

  it('explains a link, a tie lost on the id, a higher-priority rule and a sensor too far away', async () => {
    const linked = await explainLink(store, [mapping], { collectionId: SL, assetId: 'SL-1', datastreamId: ds('near') });
    expect(linked.linked).toBe(true);
    expect(linked.summary).toMatch(/^linked by rule 'nearest-pole' \(nearest, priority 2\) at 2\.\d{3} m since /);
    const nearest = linked.rules.find((r) => r.rule === 'nearest-pole')!;
    expect(nearest.candidates.map((c) => c.assetId).slice(0, 3)).toEqual(['SL-1', 'SL-2', 'SL-3']);
    expect(linked.rules.find((r) => r.rule === 'in-building')!).toMatchObject({ applies: false });

    const tie = await explainLink(store, [mapping], { collectionId: SL, assetId: 'SL-3', datastreamId: ds('tie') });
    expect(tie.linked).toBe(false);
    const tieRule = tie.rules.find((r) => r.rule === 'nearest-pole')!;
    expect(tieRule.reason).toMatch(/^'SL-2' is nearer at the same distance; ties go to the first id, and 'SL-2' sorts first; this asset is 6\.\d{3} m away$/);
    expect(tieRule.candidates[0]!.distanceM).toBe(tieRule.candidates[1]!.distanceM);

    const priority = await explainLink(store, [mapping], { collectionId: SL, assetId: 'SL-1', datastreamId: ds('prop') });
    expect(priority.linked).toBe(false);
    expect(priority.summary).toBe("not linked: rule 'pole-id' (priority 1) decides for this datastream and picks 'SL-5'; the datastream's properties.poleId is the poleId of 'SL-5', the asset's is \"P1\"");

    const far = await explainLink(store, [mapping], { collectionId: SL, assetId: 'SL-1', datastreamId: ds('far') });
    expect(far.linked).toBe(false);
    expect(far.rules.find((r) => r.rule === 'nearest-pole')!.reason).toMatch(/^the asset is 11\d\.\d m away, beyond maxDistance 25 m$/);

    const response = await fetch(`${server.url}/admin/links/explain?asset=${SL}/SL-3&datastream=${encodeURIComponent(ds('tie'))}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { summary: string }).summary).toMatch(/^not linked: rule 'nearest-pole'/);
    expect((await fetch(`${server.url}/admin/links/explain?asset=${SL}`)).status).toBe(400);
    expect((await fetch(`${server.url}/admin/links/explain?asset=${SL}/SL-1&datastream=nope`)).status).toBe(404);
  });

  it('explains and refreshes from the command line', async () => {
    const env = { PLACELINK_MAPPINGS: path.dirname(mapping.file), LOG_LEVEL: 'error' };
    const explained = await runCli(['links', 'explain', '--asset', `${SL}/SL-3`, '--datastream', ds('tie')], env);
    expect(explained.stderr).toBe('');
    expect(explained.code).toBe(0);
    const [first, ...rules] = explained.stdout.trim().split('\n');
    expect(first).toMatch(new RegExp(`^${SL}/SL-3 ↔ ${ds('tie')}: not linked: rule 'nearest-pole' \\(priority 2\\) decides for this datastream and picks 'SL-2'`));
    expect(rules.some((line) => /^ {2}nearest-pole \(nearest, priority 2\): 'SL-2' is nearer at the same distance/.test(line))).toBe(true);
    expect(rules.some((line) => /^ {4}considered: SL-2 6\.\d+ m, SL-3 6\.\d+ m/.test(line))).toBe(true);
    const refreshed = await runCli(['links', 'refresh', OBS], env);
    expect(refreshed.stdout).toBe(`${OBS}: 0 links opened, 0 closed, 0 updated, 7 unchanged\n`);
  });

  it('ties: `all` links every asset at the same distance', async () => {
    const both = await sensorMapping(mappingText('all'), 'ties.yaml');
    const ties = sensorService(store, [both], testLogger, { maxFutureMs: 300_000 });
    await ties.prepare();
    await ties.refreshLinks(both.id);
    const rows = await db.query<{ asset: string }>({
      text: `SELECT l.asset_id AS asset FROM asset_link l JOIN datastream d USING (datastream_key) WHERE d.id = $1 AND l.valid_to IS NULL ORDER BY 1`,
      values: [`${run}-tie-all`],
    });
    expect(rows.map((r) => r.asset)).toEqual(['SL-2', 'SL-3']);
    await store.collections.remove(`${run}-ties`);
    await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [`${run}-ties`] });
  });

  it('follows a moving sensor: the old link is closed, the new one opened', async () => {
    const response = await fetch(`${server.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY },
      body: JSON.stringify([{ datastream: ds('move'), phenomenonTime: '2024-07-01T12:00:00Z', result: 3, location: [9.73062, LAT] }]),
    });
    expect(response.status).toBe(202);
    await sensors.maintain();
    const moving = (await links()).filter((l) => l.datastream === ds('move'));
    expect(moving.map((l) => [l.asset, l.open])).toEqual([
      ['SL-6', false],
      ['SL-4', true],
    ]);
    // The link changed when the sensor moved (the payload's time), not when the refresh ran; the
    // first link holds from the declared place's time.
    const times = await db.query<{ asset: string; from: string; to: string | null }>({
      text: `SELECT l.asset_id AS asset, placelink_rfc3339(l.valid_from) AS from, placelink_rfc3339(l.valid_to) AS to
             FROM asset_link l JOIN datastream d USING (datastream_key) WHERE d.id = $1 ORDER BY l.valid_from`,
      values: [ds('move')],
    });
    expect(times).toEqual([
      { asset: 'SL-6', from: '1970-01-01T00:00:00Z', to: '2024-07-01T12:00:00Z' },
      { asset: 'SL-4', from: '2024-07-01T12:00:00Z', to: null },
    ]);
    const history = await db.query<{ to: string | null }>({
      text: `SELECT placelink_rfc3339(valid_to) AS to FROM datastream_location l JOIN datastream d USING (datastream_key) WHERE d.id = $1 ORDER BY valid_from`,
      values: [ds('move')],
    });
    expect(history.map((h) => h.to)).toEqual(['2024-07-01T12:00:00Z', null]);
  });

  it('closes the links of an asset retired behind the service (the maintenance loop notices the data version) and falls back to the next nearest', async () => {
    const sl = (await store.collections.get(SL))!;
    await db.query({ text: `UPDATE feature SET retired_at = now() WHERE collection_key = $1 AND id = 'SL-1'`, values: [sl.key] });
    await store.collections.refreshStats(sl.key);
    await sensors.maintain();
    const near = (await links()).filter((l) => l.datastream === ds('near'));
    expect(near.map((l) => [l.asset, l.open])).toEqual([
      ['SL-1', false],
      ['SL-2', true],
    ]);
    const explained = await explainLink(store, [mapping], { collectionId: SL, assetId: 'SL-1', datastreamId: ds('near') });
    expect(explained).toMatchObject({ linked: false, asset: { exists: false } });
    expect(explained.history).toHaveLength(1);
    expect(explained.history[0]!.validTo).not.toBeNull();
  });
});

describe('assets in OGC API Features', () => {
  it("carry their linked datastreams' latest values; collections without links are unchanged", async () => {
    const pushed = await fetch(`${server.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY },
      body: JSON.stringify([
        { datastream: ds('tie'), phenomenonTime: '2024-07-01T10:05:00Z', result: 10 },
        { datastream: ds('tie'), phenomenonTime: '2024-07-01T10:35:00Z', result: 20 },
        { datastream: ds('tie'), phenomenonTime: '2024-07-01T11:15:00Z', result: 40 },
        { datastream: ds('near'), phenomenonTime: '2024-07-01T11:00:00Z', result: 350 },
      ]),
    });
    expect(((await pushed.json()) as { inserted: number }).inserted).toBe(4);
    const page = (await fetch(`${server.url}/collections/${SL}/items?limit=10`).then((r) => r.json())) as { features: { id: string; properties: Record<string, unknown> }[] };
    const sl2 = page.features.find((f) => f.id === 'SL-2')!;
    const sensorsOf = sl2.properties['sensors'] as { datastream: string; value: unknown; unit?: string; observedAt: string; observations: string; timeseries: string }[];
    expect(sensorsOf.map((s) => [s.datastream, s.value, s.observedAt])).toEqual([
      [ds('near'), 350, '2024-07-01T11:00:00Z'],
      [ds('tie'), 40, '2024-07-01T11:15:00Z'],
    ]);
    expect(sensorsOf[0]!.unit).toBe('lx');
    const observations = (await fetch(sensorsOf[1]!.observations).then((r) => r.json())) as { features: unknown[] };
    expect(observations.features).toHaveLength(3);
    expect(page.features.find((f) => f.id === 'SL-3')!.properties).toEqual({ poleId: 'P3' });
    const single = (await fetch(`${server.url}/collections/${SL}/items/SL-2`).then((r) => r.json())) as { properties: Record<string, unknown> };
    expect((single.properties['sensors'] as unknown[]).length).toBe(2);
    const buildings = (await fetch(`${server.url}/collections/${STR}/items`).then((r) => r.json())) as { features: { properties: Record<string, unknown> }[] };
    expect(buildings.features[0]!.properties['sensors']).toHaveLength(1);

    const hourly = (await fetch(`${server.url}/collections/${SL}/items/SL-2/timeseries?datastream=${encodeURIComponent(ds('tie'))}&datetime=2024-07-01T00:00:00Z/2024-07-02T00:00:00Z&aggregate=hour`).then((r) => r.json())) as {
      datastreams: { id: string; values: unknown[] }[];
    };
    expect(hourly.datastreams).toEqual([
      {
        id: ds('tie'),
        name: 'Between SL-2 and SL-3',
        unit: null,
        values: [
          { time: '2024-07-01T10:00:00Z', avg: 15, min: 10, max: 20, count: 2 },
          { time: '2024-07-01T11:00:00Z', avg: 40, min: 40, max: 40, count: 1 },
        ],
      },
    ]);
    const raw = (await fetch(`${server.url}/collections/${SL}/items/SL-2/timeseries?datastream=${encodeURIComponent(ds('tie'))}`).then((r) => r.json())) as { datastreams: { values: unknown[] }[] };
    expect(raw.datastreams[0]!.values).toEqual([
      { time: '2024-07-01T10:05:00Z', value: 10 },
      { time: '2024-07-01T10:35:00Z', value: 20 },
      { time: '2024-07-01T11:15:00Z', value: 40 },
    ]);
    expect((await fetch(`${server.url}/collections/${SL}/items/SL-2/timeseries?aggregate=fortnight`)).status).toBe(400);
    expect((await fetch(`${server.url}/collections/${SL}/items/NOPE/timeseries`)).status).toBe(404);
  });
});

function mappingText(ties: 'all'): string {
  return `
id: ${run}-ties
source: { type: http-push }
target: { collection: ${run}-ties }
links:
  - { rule: nearest, collection: ${SL}, maxDistance: 25, ties: ${ties} }
datastreams:
  - { id: "${run}-tie-all", location: [9.7303, ${LAT}] }
`;
}
