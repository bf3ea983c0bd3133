/**
 * Harvests of file sources into the real test database: the shipped example mappings over the
 * shared fixtures, and small files written here to see the delete policy, idempotency, the
 * invalid-geometry policy, the safety stop and atomicity at work. Expected coordinates come from
 * PROJ's cs2cs (see test/unit/gml-reader.test.ts) or from the file itself.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateMappingFile, type LoadedMapping } from '../../src/config/mappings-loader.js';
import type { Mapping } from '../../src/domain/mapping.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { testLogger, uniqueId } from '../helpers/database.js';
import { getJson } from '../helpers/http-json.js';
import { harvestBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';
import { FIXTURES, fixture, haveFixtures } from '../helpers/shared-fixtures.js';

const bench = harvestBench('harvest');

/** An example mapping from mappings/, writing into a collection of its own for this run. */
async function example(file: string): Promise<LoadedMapping> {
  const result = await validateMappingFile(path.resolve('mappings', file), { ...process.env, PLACELINK_FIXTURES: FIXTURES });
  if (!result.loaded) throw new Error(JSON.stringify(result.issues));
  const collection = uniqueId(result.loaded.mapping.target.collection);
  bench.collections.push(collection);
  const mapping: Mapping = { ...result.loaded.mapping, id: collection, target: { ...result.loaded.mapping.target, collection } };
  return { ...result.loaded, mapping };
}

async function inline(yaml: string): Promise<LoadedMapping> {
  const collection = uniqueId('harvest');
  bench.collections.push(collection);
  return mappingFrom(yaml.replaceAll('{collection}', collection), path.join(bench.directory, 'inline.yaml'));
}

const harvest = (loaded: LoadedMapping) => runHarvest(bench.store, loaded, testLogger, { trigger: 'api' });

async function items(collection: string, query = 'limit=1000'): Promise<{ features: { id: string; geometry: { type: string; coordinates: unknown } | null; properties: Record<string, unknown> }[] }> {
  return (await getJson<{ features: { id: string; geometry: { type: string; coordinates: unknown } | null; properties: Record<string, unknown> }[] }>(`${bench.server.url}/collections/${collection}/items?${query}`)).body;
}

describe.skipIf(!haveFixtures)('example mappings over the shared fixtures', () => {
  it('INSPIRE buildings: 24 BuildingParts as Smart Data Models Building, unchanged on the second run', async () => {
    const loaded = await example('inspire-buildings.yaml');
    const run = await harvest(loaded);
    expect(run).toMatchObject({ status: 'succeeded', error: null, counts: { read: 24, inserted: 24, rejected: 0, repaired: 0 } });
    const collection = (await bench.store.collections.get(loaded.mapping.target.collection))!;
    expect(collection).toMatchObject({ featureCount: 24, sourceSrid: 4326, inspireNamespace: 'ES.SDGC.BU' });
    expect(collection.harvest).toMatchObject({ ngsiLdType: 'Building', ngsiLdIdTemplate: 'urn:ngsi-ld:Building:{namespace}:{localId}', inspireTheme: 'bu' });
    const { body } = await getJson<{ id: string; geometry: { coordinates: number[][][] }; properties: Record<string, unknown> }>(
      `${bench.server.url}/collections/${collection.id}/items/ES.SDGC.BU.000604300CS65F_part1`,
    );
    // cs2cs EPSG:32628 → EPSG:4326 of 365160.1676 3156700.8935: 28.530097537 -16.378133792
    expect(body.geometry.coordinates[0]![0]![0]).toBeCloseTo(-16.378133792, 8);
    expect(body.geometry.coordinates[0]![0]![1]).toBeCloseTo(28.530097537, 8);
    expect(body.properties).toMatchObject({ floorsAboveGround: 2, floorsBelowGround: 0, heightBelowGround: 0, horizontalAccuracyCm: 10, conditionOfConstruction: null, horizontalGeometryReference: 'footPrint' });
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { read: 24, inserted: 0, updated: 0, unchanged: 24, retired: 0 } });
  });

  it('INSPIRE addresses: only the 14 Address features, components kept as links', async () => {
    const loaded = await example('inspire-addresses.yaml');
    const run = await harvest(loaded);
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 14, inserted: 14, rejected: 0 } });
    const { features } = await items(loaded.mapping.target.collection);
    const first = features.find((f) => f.id === 'ES.SDGC.AD.38.012.1.12.0295603CS6109N')!;
    // cs2cs EPSG:32628 360300.81 3119554.33
    expect(first.geometry!.coordinates).toEqual([expect.closeTo(-16.423306567, 8), expect.closeTo(28.194373462, 8)]);
    expect(first.properties).toMatchObject({ locatorDesignator: 'S-N', defaultPosition: true, components: ['#ES.SDGC.PD.38.012.38570', '#ES.SDGC.TN.38.012.1', '#ES.SDGC.AU.38.012'] });
  });

  it('INSPIRE EF / AQD stations as Device: lat/lon urn read right, km/h converted to m/s, open-ended activity periods', async () => {
    const loaded = await example('inspire-ef-stations.yaml');
    const run = await harvest(loaded);
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 50, inserted: 50, rejected: 0 } });
    const { body } = await getJson<{ geometry: { coordinates: number[] }; properties: Record<string, unknown> }>(`${bench.server.url}/collections/${loaded.mapping.target.collection}/items/STA.07.2822`);
    // written as "47.3499917 11.6945417" under urn:ogc:def:crs:EPSG::4326
    expect(body.geometry.coordinates).toEqual([11.6945417, 47.3499917]);
    expect(body.properties).toMatchObject({ stationCode: 'AT72822', controlledProperty: 'air', areaClassification: 'rural', mobile: false, trafficVolume: 53500 });
    expect(body.properties['trafficSpeed']).toBeCloseTo(120 / 3.6, 10);
  });

  it('refuses the SOS 2.0 JSON twin of the INSPIRE EF observation (inspiremif-ef-observation.json) as not GeoJSON, naming its members', async () => {
    const run = await harvest(await inline(`source:\n  type: file\n  path: ${fixture('inspire-gml', 'inspiremif-ef-observation.json')}\ntarget:\n  collection: "{collection}"\n`));
    expect(run.status).toBe('failed');
    expect(run.error).toBe('inspiremif-ef-observation.json is not a GeoJSON FeatureCollection or Feature (type is null; members: request, version, service, observations)');
    expect(run.counts).toMatchObject({ read: 0, inserted: 0 });
  });

  it('reads city open data: a CSV with latitude/longitude columns (duplicates counted) and a GeoJSON registry', async () => {
    const csv = await inline(`source:
  type: file
  path: ${fixture('city-open-data', 'openaq-air_quality_stations.csv')}
  crs: EPSG:4326
  csv: { x: coordinates.longitude, y: coordinates.latitude }
target:
  collection: "{collection}"
identifiers:
  id: location
`);
    const run = await harvest(csv);
    // 66 rows, 8 station ids appear twice with slightly different coordinates: the first one counts
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 66, inserted: 58, duplicates: 8, rejected: 0 } });
    const station = await getJson<{ geometry: { coordinates: number[] } }>(`${bench.server.url}/collections/${csv.mapping.target.collection}/items/BELAL01`);
    expect(station.body.geometry.coordinates).toEqual([4.38522, 51.23619]);

    const lights = await inline(`source:
  type: file
  path: ${fixture('city-open-data', 'kc-streetlights-map.geojson')}
target:
  collection: "{collection}"
identifiers:
  id: POLEID
ngsiLd:
  type: Streetlight
`);
    expect(await harvest(lights)).toMatchObject({ status: 'succeeded', counts: { read: 111, inserted: 111 } });
  });
});

describe('CSV with a WKT column', () => {
  it('reads WKT in the mapping\'s CRS, with the delimiter given, and rejects a row whose WKT is broken, by line', async () => {
    const loaded = await inline(`source:
  type: file
  path: ${path.resolve('test/fixtures/csv/buildings-25832.csv')}
  crs: EPSG:25832
  csv: { delimiter: ";", wkt: wkt }
target:
  collection: "{collection}"
identifiers:
  id: id
`);
    const run = await harvest(loaded);
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 3, inserted: 2, rejected: 1 } });
    expect(run.rejections).toEqual([{ id: 'B3', location: 'buildings-25832.csv line 4 (row 2)', reason: expect.stringMatching(/^geometry geometry: column wkt is not WKT: /) }]);
    const { body } = await getJson<{ geometry: { coordinates: number[] }; properties: Record<string, unknown> }>(`${bench.server.url}/collections/${loaded.mapping.target.collection}/items/B1`);
    // cs2cs EPSG:25832 → EPSG:4326 of 550518.25 5803862.5: 52.382688497 9.742226433
    expect(body.geometry.coordinates[0]).toBeCloseTo(9.742226433, 8);
    expect(body.geometry.coordinates[1]).toBeCloseTo(52.382688497, 8);
    expect(body.properties).toEqual({ id: 'B1', name: 'Rathaus' });
  });
});

describe('delete policy, idempotency and atomicity', () => {
  const point = (id: string, lon: number, extra: Record<string, unknown> = {}) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates: [lon, 52.3] }, properties: { name: id, ...extra } });
  const write = (file: string, features: unknown[]) => writeFile(path.join(bench.directory, file), JSON.stringify({ type: 'FeatureCollection', features }));

  it('retires features that vanish (hidden from items and by id), brings them back when they reappear, skips unchanged ones', async () => {
    await write('lights.geojson', [point('A', 9.1), point('B', 9.2), point('C', 9.3), point('D', 9.4)]);
    const loaded = await inline(`source:\n  type: file\n  path: lights.geojson\ntarget:\n  collection: "{collection}"\ndeletePolicy: { mode: retire, maxFraction: 0.5 }\n`);
    const collection = loaded.mapping.target.collection;
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { inserted: 4, retired: 0 } });

    await write('lights.geojson', [point('A', 9.1), point('B', 9.25, { status: 'defective' }), point('C', 9.3), point('E', 9.5)]);
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { read: 4, inserted: 1, updated: 1, unchanged: 2, retired: 1 } });
    expect((await items(collection)).features.map((f) => f.id).sort()).toEqual(['A', 'B', 'C', 'E']);
    expect((await getJson(`${bench.server.url}/collections/${collection}/items/D`)).status).toBe(404);
    expect((await bench.store.collections.get(collection))?.featureCount).toBe(4);
    const [retired] = await bench.db.query<{ retired_at: string | null }>({ text: `SELECT retired_at::text FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.id = 'D'`, values: [collection] });
    expect(retired?.retired_at).not.toBeNull();

    await write('lights.geojson', [point('A', 9.1), point('B', 9.25, { status: 'defective' }), point('C', 9.3), point('D', 9.4), point('E', 9.5)]);
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { inserted: 0, updated: 1, unchanged: 4, retired: 0 } });
    expect((await getJson(`${bench.server.url}/collections/${collection}/items/D`)).status).toBe(200);
  });

  it('purges vanished features with mode purge, and stops when more than maxFraction would go', async () => {
    await write('purge.geojson', [point('A', 9.1), point('B', 9.2), point('C', 9.3)]);
    const loaded = await inline(`source:\n  type: file\n  path: purge.geojson\ntarget:\n  collection: "{collection}"\ndeletePolicy: { mode: purge, maxFraction: 0.5 }\n`);
    const collection = loaded.mapping.target.collection;
    await harvest(loaded);
    await write('purge.geojson', [point('A', 9.1), point('C', 9.3)]);
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { purged: 1 } });
    const [gone] = await bench.db.query<{ n: string }>({ text: `SELECT count(*)::text AS n FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1`, values: [collection] });
    expect(gone?.n).toBe('2');

    await write('purge.geojson', []);
    const stopped = await harvest(loaded);
    expect(stopped.status).toBe('failed');
    expect(stopped.error).toBe(
      'the source no longer has 2 of the 2 current features (100 %), more than deletePolicy.maxFraction (50 %); nothing was changed — if the source really dropped them, raise maxFraction for one run',
    );
    expect((await items(collection)).features.map((f) => f.id).sort()).toEqual(['A', 'C']);
  });

  it('leaves the previous data untouched when a run fails part-way (truncated GML after 2000 features)', async () => {
    const member = (i: number) => `<gml:featureMember><t:P gml:id="p${i}"><t:n>${i}</t:n><t:g><gml:Point srsName="EPSG:4326"><gml:pos>9.${String(i).padStart(4, '0')} 52.3</gml:pos></gml:Point></t:g></t:P></gml:featureMember>`;
    const head = '<?xml version="1.0"?>\n<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:t="http://example.org/t">\n';
    const all = Array.from({ length: 2600 }, (_, i) => member(i)).join('\n');
    await writeFile(path.join(bench.directory, 'points.gml'), `${head}${all}\n</gml:FeatureCollection>\n`);
    const loaded = await inline(`source:\n  type: file\n  path: points.gml\ntarget:\n  collection: "{collection}"\n`);
    const collection = loaded.mapping.target.collection;
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { inserted: 2600 } });

    const edited = Array.from({ length: 2600 }, (_, i) => member(i).replace(`<t:n>${i}</t:n>`, `<t:n>edited ${i}</t:n>`)).join('\n');
    await writeFile(path.join(bench.directory, 'points.gml'), `${head}${edited.slice(0, Math.floor(edited.length * 0.9))}`);
    const failed = await harvest(loaded);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^points\.gml (is not well-formed XML at line \d+, column \d+: |ends before the document is complete)/);
    expect(failed.counts.pages).toBeGreaterThanOrEqual(2);
    const { features } = await items(collection, 'limit=10');
    expect(features.map((f) => f.properties['n'])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect((await bench.store.collections.get(collection))?.featureCount).toBe(2600);
  });

  it('repairs an invalid polygon with ST_MakeValid and flags it, or rejects it with ST_IsValidReason, as the mapping says', async () => {
    const file = fixture('gml-geometry', 'etsgml32-Polygon-InteriorCrossesExterior.xml');
    if (!haveFixtures) return;
    const repair = await inline(`source:\n  type: file\n  path: ${file}\ntarget:\n  collection: "{collection}"\ngeometry: { invalid: repair }\n`);
    expect(await harvest(repair)).toMatchObject({ status: 'succeeded', counts: { inserted: 1, repaired: 1, rejected: 0 } });
    const [row] = await bench.db.query<{ geometry_repair: string; valid: boolean }>({
      text: `SELECT geometry_repair, ST_IsValid(geom) AS valid FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1`,
      values: [repair.mapping.target.collection],
    });
    expect(row).toEqual({ geometry_repair: expect.stringMatching(/^(Self-intersection|Ring Self-intersection|Interior is disconnected|Holes are nested)\[/), valid: true });

    const reject = await inline(`source:\n  type: file\n  path: ${file}\ntarget:\n  collection: "{collection}"\ngeometry: { invalid: reject }\n`);
    const run = await harvest(reject);
    expect(run).toMatchObject({ status: 'succeeded', counts: { inserted: 0, rejected: 1 } });
    expect(run.rejections).toEqual([{ id: 'Polygon-Invalid-1', location: 'feature Polygon-Invalid-1', reason: expect.stringMatching(/^invalid geometry: (Self-intersection|Ring Self-intersection)\[/) }]);
  });

  it('fails a run with too many rejections and keeps the previous data', async () => {
    await write('rejects.geojson', [point('A', 9.1), point('B', 9.2)]);
    const loaded = await inline(`source:\n  type: file\n  path: rejects.geojson\ntarget:\n  collection: "{collection}"\nproperties:\n  rules:\n    - { name: wattage, type: integer }\nrejections: { max: 1 }\n`);
    expect(await harvest(loaded)).toMatchObject({ status: 'succeeded', counts: { inserted: 2 } });
    await write('rejects.geojson', [point('A', 9.1, { wattage: 'lots' }), point('B', 9.2, { wattage: 'many' })]);
    const run = await harvest(loaded);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('2 features rejected, more than rejections.max (1); the previous data is kept');
    expect(run.rejections.map((r) => r.reason)).toEqual(['properties.rules[0] (wattage): "lots" is not an integer', 'properties.rules[0] (wattage): "many" is not an integer']);
  });
});

describe('run records over HTTP', () => {
  it('lists runs newest first with filters and paging, shows one, and answers 400/404 with problem details', async () => {
    await writeFile(path.join(bench.directory, 'runs.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', id: 'X', geometry: null, properties: {} }] }));
    const loaded = await inline(`id: runs-test-${Date.now()}\nsource:\n  type: file\n  path: runs.geojson\ntarget:\n  collection: "{collection}"\n`);
    const first = await harvest(loaded);
    const second = await harvest(loaded);
    const list = await getJson<{ runs: { runId: number; status: string; counts: { read: number } }[]; links: { rel: string; href: string }[] }>(`${bench.server.url}/admin/runs?mapping=${loaded.mapping.id}&limit=1`);
    expect(list.status).toBe(200);
    expect(list.body.runs.map((r) => r.runId)).toEqual([second.runId]);
    const next = list.body.links.find((l) => l.rel === 'next')!;
    expect((await getJson<{ runs: { runId: number }[] }>(next.href)).body.runs.map((r) => r.runId)).toEqual([first.runId]);
    const one = await getJson<{ runId: number; mappingId: string; sourceType: string; counts: { read: number } }>(`${bench.server.url}/admin/runs/${first.runId}`);
    expect(one.body).toMatchObject({ runId: first.runId, mappingId: loaded.mapping.id, sourceType: 'file', counts: { read: 1 } });
    expect((await getJson(`${bench.server.url}/admin/runs/999999999`)).status).toBe(404);
    const bad = await getJson<{ status: number; detail: string }>(`${bench.server.url}/admin/runs?status=maybe`, 'application/problem+json, application/json');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toBe("status must be one of running, succeeded, failed, got 'maybe'");
    const api = await getJson<{ paths: Record<string, unknown> }>(`${bench.server.url}/api?f=json`);
    expect(Object.keys(api.body.paths)).toEqual(expect.arrayContaining(['/admin/runs', '/admin/runs/{runId}']));
  });
});
