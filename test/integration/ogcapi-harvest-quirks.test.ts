/**
 * OGC API Features harvests against a scripted loopback server (test/helpers/scripted-ogcapi.ts):
 * paging that loops or ignores offset (fails, previous data kept), Content-Crs in EPSG:4258 and
 * EPSG:3035 (north first), QGIS 3.22's lon/lat answer to a versioned 4258 URI without Content-Crs,
 * swapped axes inside the CRS's area caught against the collection extent, the axisOrder override,
 * relative next links, next links that drop bbox, short pages that are not the last, and mapping
 * credentials on every request. Expected 3035 coordinates come from PostGIS ST_Transform.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFrom } from '../helpers/mappings.js';
import { startScriptedOgcApi, type ScriptedFeature, type ScriptedOgcApi, type ScriptedOgcApiOptions } from '../helpers/scripted-ogcapi.js';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const EPSG = (code: number, version = '0') => `http://www.opengis.net/def/crs/EPSG/${version}/${code}`;
const COUNT = 23;

describe('OGC API Features harvest quirks', () => {
  let db: Database;
  let store: Store;
  let api: ScriptedOgcApi;
  let features: ScriptedFeature[];
  const collections: string[] = [];
  let defaults: ScriptedOgcApiOptions;

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    const lonLat = Array.from({ length: COUNT }, (_, i) => [9.55 + (i % 5) * 0.07, 52.25 + Math.floor(i / 5) * 0.05] as const);
    const rows = await db.query<{ x: number; y: number }>({
      text: `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3035) AS p, n FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(lon, lat, n)) s ORDER BY n`,
      values: [lonLat.map((p) => p[0]), lonLat.map((p) => p[1])],
    });
    features = lonLat.map((p, i) => ({ id: `T${String(i).padStart(2, '0')}`, label: 'v1', xy: { 4326: p, 4258: p, 3035: [rows[i]!.x, rows[i]!.y] } }));
    api = await startScriptedOgcApi();
    defaults = { ...api.options, features, extent: [9.5, 52.2, 9.9, 52.5] };
  });
  afterAll(async () => {
    for (const id of collections) await store.collections.remove(id);
    await api.close();
    await db.close();
  });
  beforeEach(() => {
    Object.assign(api.options, defaults, { features: features.map((f) => ({ ...f })) });
  });

  async function harvest(extra = '', collection = uniqueId('oapif-quirks'), env: NodeJS.ProcessEnv = process.env) {
    if (!collections.includes(collection)) collections.push(collection);
    const loaded = await mappingFrom(
      `source:\n  type: ogcapi-features\n  url: ${api.url}/\n  collection: things\n  pageSize: 10\n${extra.includes('  http:') ? '' : '  http: { retries: { attempts: 1 } }\n'}${extra}target:\n  collection: ${collection}\ndeletePolicy: { mode: retire, maxFraction: 1 }\n`,
      'test/fixtures/mappings/inline.yaml',
      env,
    );
    const before = api.requests.length;
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    return { run, collection, requests: api.requests.slice(before) };
  }

  async function stored(collection: string) {
    return db.query<{ id: string; label: string; lon: number; lat: number }>({
      text: `SELECT f.id, f.properties->>'label' AS label, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.retired_at IS NULL ORDER BY f.id`,
      values: [collection],
    });
  }

  function expectPositions(rows: { id: string; lon: number; lat: number }[], tolerance: number) {
    expect(rows).toHaveLength(COUNT);
    for (const row of rows) {
      const [lon, lat] = features.find((f) => f.id === row.id)!.xy[4326]!;
      expect(Math.abs(row.lon - lon), `${row.id} lon`).toBeLessThan(tolerance);
      expect(Math.abs(row.lat - lat), `${row.id} lat`).toBeLessThan(tolerance);
    }
  }

  describe('paging that does not page', () => {
    it('fails a run whose next link loops back to an earlier page without numberMatched, and keeps the previous data', async () => {
      const first = await harvest();
      expect(first.run).toMatchObject({ status: 'succeeded', expected: COUNT, counts: { inserted: COUNT } });
      Object.assign(api.options, { paging: 'loop', numberMatched: false, features: features.map((f) => ({ ...f, label: 'v2' })) });
      const second = await harvest('', first.collection);
      expect(second.run.status).toBe('failed');
      expect(second.run.error).toMatch(/^the next link of page 3 \(.*offset=10\) leads back to page 2: the server's paging loops, and it announced no numberMatched to show the layer is complete; refusing to store a partial layer$/);
      const rows = await stored(first.collection);
      expect(rows.map((r) => r.label)).toEqual(Array(COUNT).fill('v1'));
    });

    it('stops at a looping next link once numberMatched features have arrived', async () => {
      api.options.paging = 'loop';
      const { run } = await harvest();
      expect(run).toMatchObject({ status: 'succeeded', expected: COUNT, counts: { inserted: COUNT } });
      expect(run.warnings).toContainEqual(expect.objectContaining({ message: `the next link of page 3 leads back to page 2; all ${COUNT} announced features had arrived, so the harvest stopped there` }));
    });

    it('fails when the server ignores offset and repeats its first page (MapServer 8.0), storing nothing', async () => {
      Object.assign(api.options, { paging: 'ignore-offset', numberMatched: false });
      const { run, collection } = await harvest();
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/^items page 2 \(.*offset=10\) brought only features that earlier pages had already delivered: the server ignores the paging in its next links/);
      expect(await stored(collection)).toEqual([]);
    });

    it('follows a short page that is not the last (MapServer 8.4) to the end', async () => {
      api.options.maxLimit = 4;
      const { run, collection } = await harvest();
      expect(run).toMatchObject({ status: 'succeeded', expected: COUNT, counts: { pages: 6, inserted: COUNT } });
      expect(await stored(collection)).toHaveLength(COUNT);
    });

    it('resolves relative next hrefs against the page URL', async () => {
      api.options.relativeNext = true;
      const { run, requests } = await harvest();
      expect(run).toMatchObject({ status: 'succeeded', counts: { inserted: COUNT } });
      expect(requests.filter((r) => r.startsWith('/collections/things/items')).map((r) => new URL(r, api.url).searchParams.get('offset'))).toEqual([null, '10', '20']);
    });

    it('puts back the bbox a next link dropped, and says so', async () => {
      api.options.dropBbox = true;
      const { run, requests } = await harvest('  bbox: [9.5, 52.2, 9.9, 52.5]\n');
      expect(run).toMatchObject({ status: 'succeeded', counts: { inserted: COUNT } });
      const pages = requests.filter((r) => r.startsWith('/collections/things/items')).map((r) => new URL(r, api.url).searchParams);
      expect(pages).toHaveLength(3);
      expect(pages.map((p) => p.get('bbox'))).toEqual(Array(3).fill('9.5,52.2,9.9,52.5'));
      expect(run.warnings.filter((w) => w.message === "the next link of page 1 dropped 'bbox'; placelink put it back")).toHaveLength(1);
    });
  });

  describe('CRS and axis order', () => {
    it.each([
      [4258, 1e-9],
      [3035, 1e-8],
    ])('reads EPSG:%i answers by their Content-Crs (north first) and stores lon/lat', async (code, tolerance) => {
      api.options.crs = [CRS84, EPSG(code)];
      const { run, collection, requests } = await harvest(`  crs: ${EPSG(code)}\n`);
      expect(run.error).toBeNull();
      expect(new URL(requests.find((r) => r.includes('/items'))!, api.url).searchParams.get('crs')).toBe(EPSG(code));
      expectPositions(await stored(collection), tolerance);
      const saved = await store.collections.get(collection);
      expect(saved!.sourceSrid).toBe(code);
    });

    it('follows Content-Crs over the CRS asked for (a server that answers CRS84 when asked for EPSG:3035)', async () => {
      Object.assign(api.options, { crs: [CRS84, EPSG(3035)], answerCrs: CRS84 });
      const { run, collection } = await harvest(`  crs: ${EPSG(3035)}\n`);
      expect(run.error).toBeNull();
      expectPositions(await stored(collection), 1e-9);
    });

    it('QGIS 3.22: asked for …/EPSG/9.6.2/4258 it answers lon/lat without Content-Crs; placelink reads lon/lat with a warning', async () => {
      Object.assign(api.options, { crs: [CRS84, EPSG(4258, '9.6.2'), EPSG(25832, '9.6.2')], contentCrs: false, axisOrder: 'xy' });
      const { run, collection } = await harvest(`  crs: ${EPSG(4258)}\n`);
      expect(run.error).toBeNull();
      expect(run.warnings).toContainEqual(
        expect.objectContaining({
          message: `the server sent no Content-Crs, and the coordinates fit the collection's extent only with the axes the other way round from ${EPSG(4258, '9.6.2')}; placelink reads them east/longitude first (QGIS Server 3.22 does this); set source.axisOrder: xy to say so`,
        }),
      );
      expectPositions(await stored(collection), 1e-9);
    });

    it('reads the requested CRS in its EPSG order when there is no Content-Crs and the coordinates fit', async () => {
      Object.assign(api.options, { crs: [CRS84, EPSG(4258)], contentCrs: false, axisOrder: 'authority' });
      const { run, collection } = await harvest(`  crs: ${EPSG(4258)}\n`);
      expect(run).toMatchObject({ status: 'succeeded', warnings: [] });
      expectPositions(await stored(collection), 1e-9);
    });

    it('fails with the override to use when the axes are swapped inside the valid area (lat/lon sent as CRS84)', async () => {
      const first = await harvest();
      expect(first.run.status).toBe('succeeded');
      api.options.latLonForCrs84 = true;
      const { run } = await harvest('', first.collection);
      expect(run.status).toBe('failed');
      expect(run.error).toBe(
        `the coordinates of items page 1 (${api.url}/collections/things/items?limit=10) lie outside the extent it advertises [9.5, 52.2, 9.9, 52.5] when read east/longitude first as ${CRS84} says, and inside it the other way round: ` +
          'the server writes the axes swapped; set source.axisOrder: yx in the mapping; nothing was stored',
      );
      expectPositions(await stored(first.collection), 1e-9);
    });

    it('fails on swapped axes the server declares with Content-Crs (EPSG:4258 URI, written east first)', async () => {
      Object.assign(api.options, { crs: [CRS84, EPSG(4258)], contentCrs: true, axisOrder: 'xy' });
      const { run } = await harvest(`  crs: ${EPSG(4258)}\n`);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/when read north\/latitude first as http:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/4258 says, and inside it the other way round: .*set source\.axisOrder: xy in the mapping/);
    });

    it.each([
      ['yx', { latLonForCrs84: true }],
      ['xy', { crs: [CRS84, EPSG(4258)], contentCrs: true, axisOrder: 'xy' as const }],
    ])('axisOrder: %s overrides the axis order the server declares (GeoJSON)', async (axisOrder, quirk) => {
      Object.assign(api.options, quirk);
      const { run, collection } = await harvest(`  axisOrder: ${axisOrder}\n${'crs' in quirk ? `  crs: ${EPSG(4258)}\n` : ''}`);
      expect(run.error).toBeNull();
      expectPositions(await stored(collection), 1e-9);
    });
  });

  describe('credentials', () => {
    it('sends basic auth and a header from environment variables with every request, discovery included', async () => {
      const expectedAuth = `Basic ${Buffer.from('harvester:s3cret').toString('base64')}`;
      api.options.authorized = (headers) => headers.authorization === expectedAuth && headers['x-api-key'] === 'k-123';
      const before = api.headers.length;
      const { run } = await harvest(
        '  http:\n    retries: { attempts: 1 }\n    headers: { X-Api-Key: "${OAPIF_KEY}" }\n    auth: { type: basic, username: harvester, password: "${OAPIF_PASSWORD}" }\n',
        undefined,
        { ...process.env, OAPIF_KEY: 'k-123', OAPIF_PASSWORD: 's3cret' },
      );
      expect(run.error).toBeNull();
      const sent = api.headers.slice(before);
      expect(sent.length).toBeGreaterThanOrEqual(6);
      expect(sent.every((h) => h.authorization === expectedAuth && h['x-api-key'] === 'k-123')).toBe(true);
    });

    it('fails without the credentials (HTTP 401 is not retried)', async () => {
      api.options.authorized = (headers) => headers.authorization !== undefined;
      const { run } = await harvest();
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/401|not a usable OGC API/);
    });
  });
});
