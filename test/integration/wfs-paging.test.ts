/**
 * WFS paging as the server advertises it (OperationsMetadata ImplementsResultPaging and CountDefault),
 * the single streamed request of servers that cannot page (split into BBOX tiles when CountDefault
 * caps it), the delete policy when completeness cannot be checked, and GeoJSON chosen from the
 * GetFeature operation's formats. Against a scripted loopback WFS 2.0 (test/helpers/scripted-wfs.ts)
 * and the recorded hale capabilities (paging FALSE, CountDefault 15000).
 */
import { readFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { upstreamBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';
import { scriptedPoints, scriptedWfsDefaults, startScriptedWfs } from '../helpers/scripted-wfs.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';
import { startUpstream } from '../helpers/upstream-server.js';

const GML = 'application/gml+xml; version=3.2';

describe('WFS paging as advertised', () => {
  const bench = upstreamBench(() => startScriptedWfs());
  beforeEach(() => {
    Object.assign(bench.upstream.options, scriptedWfsDefaults());
  });

  async function harvest(extra = '', collection = uniqueId('wfs-paging')) {
    if (!bench.collections.includes(collection)) bench.collections.push(collection);
    const loaded = await mappingFrom(`source:
  type: wfs
  url: ${bench.upstream.url}/wfs
  typeName: t:points
  pageSize: 10
  http: { retries: { attempts: 1 } }
${extra}target:
  collection: ${collection}
identifiers:
  id: id
deletePolicy: { mode: retire, maxFraction: 1 }
`);
    const before = bench.upstream.getFeatures().length;
    const run = await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' });
    return { run, collection, requests: bench.upstream.getFeatures().slice(before) };
  }

  async function stored(collection: string) {
    const rows = await bench.db.query<{ id: string; retired: boolean }>({
      text: `SELECT f.id, f.retired_at IS NOT NULL AS retired FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 ORDER BY f.id`,
      values: [collection],
    });
    return { current: rows.filter((r) => !r.retired).map((r) => r.id), retired: rows.filter((r) => r.retired).map((r) => r.id) };
  }

  it('pages with STARTINDEX/COUNT when paging is implemented, capping the page size at CountDefault', async () => {
    bench.upstream.options.countDefault = 4;
    const { run, collection, requests } = await harvest();
    expect(run).toMatchObject({ status: 'succeeded', expected: 25, counts: { read: 25, inserted: 25, pages: 7 } });
    expect(requests.map((q) => [q['STARTINDEX'] ?? '0', q['COUNT']])).toEqual([
      ['0', '4'], ['4', '4'], ['8', '4'], ['12', '4'], ['16', '4'], ['20', '4'], ['24', '4'],
    ]);
    expect(run.warnings).toContainEqual(expect.objectContaining({ message: 'the server returns at most 4 features per request (CountDefault); pages of 4 instead of 10' }));
    expect((await stored(collection)).current).toHaveLength(25);
  });

  it('reads the layer in one request when ImplementsResultPaging is FALSE', async () => {
    bench.upstream.options.paging = false;
    bench.upstream.options.honoursStartIndex = false;
    const { run, requests } = await harvest();
    expect(run).toMatchObject({ status: 'succeeded', expected: 25, counts: { read: 25, inserted: 25 } });
    expect(requests).toHaveLength(1);
    expect(requests[0]).not.toHaveProperty('STARTINDEX');
    expect(requests[0]).not.toHaveProperty('COUNT');
  });

  it('splits the request into BBOX tiles when CountDefault caps a server that cannot page, and stores every feature once', async () => {
    Object.assign(bench.upstream.options, { paging: false, honoursStartIndex: false, countDefault: 8 });
    const { run, collection, requests } = await harvest();
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', expected: 25, counts: { inserted: 25 } });
    // hits said 25 > 8: no whole-layer request, only tiles, each answered below the cap.
    expect(requests.every((q) => q['BBOX'])).toBe(true);
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(run.warnings).toContainEqual(expect.objectContaining({ message: 'the server returns at most 8 features per request and cannot page: reading t:points in BBOX tiles' }));
    expect((await stored(collection)).current).toEqual(scriptedPoints(25).map((p) => p.id));
  });

  it('detects a capped answer without a total (returned == CountDefault) and tiles then', async () => {
    Object.assign(bench.upstream.options, { paging: false, honoursStartIndex: false, countDefault: 8, hits: false });
    const { run, collection, requests } = await harvest();
    expect(run).toMatchObject({ status: 'succeeded', expected: null });
    expect(requests[0]).not.toHaveProperty('BBOX');
    expect(requests.slice(1).every((q) => q['BBOX'])).toBe(true);
    expect((await stored(collection)).current).toHaveLength(25);
  });

  it('fails, saying the layer is capped, when the capabilities give no extent to tile by', async () => {
    Object.assign(bench.upstream.options, { paging: false, honoursStartIndex: false, countDefault: 8, extent: null });
    const { run } = await harvest();
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/caps t:points at 8 features per request \(CountDefault\) and does not implement result paging, and its capabilities give no WGS84BoundingBox .*nothing was stored$/);
  });

  it('streams the single response: the first 1000 features are written before the server sends the rest', async () => {
    Object.assign(bench.upstream.options, { paging: false, honoursStartIndex: false, points: scriptedPoints(1500).map((p, i) => ({ ...p, id: `Q${String(i).padStart(4, '0')}` })) });
    let written = 0;
    let resumedBy = '';
    let release: () => void = () => {};
    const progressed = new Promise<void>((resolve) => (release = resolve));
    bench.upstream.options.beforeAnswer = async (_q, response, body) => {
      const cut = body.indexOf('<wfs:member>', body.indexOf('Q1100'));
      response.writeHead(200, { 'Content-Type': GML });
      response.write(body.slice(0, cut));
      // Without streaming the harvest would wait for the whole body and this would time out.
      resumedBy = await Promise.race([progressed.then(() => 'progress'), new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 3000))]);
      response.end(body.slice(cut));
      return true;
    };
    const collection = uniqueId('wfs-stream');
    bench.collections.push(collection);
    const loaded = await mappingFrom(`source:\n  type: wfs\n  url: ${bench.upstream.url}/wfs\n  typeName: t:points\ntarget:\n  collection: ${collection}\nidentifiers:\n  id: id\n`);
    const run = await runHarvest(bench.store, loaded, testLogger, {
      trigger: 'api',
      onProgress: ({ counts }) => {
        written = Math.max(written, counts.read);
        if (counts.read >= 1000 && counts.read < 1500) release();
      },
    });
    bench.upstream.options.beforeAnswer = undefined;
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 1500, inserted: 1500, pages: 2 } });
    expect(written).toBe(1500);
    expect(resumedBy).toBe('progress');
  });

  it('keeps features missing from the source when no total can be checked (no hits), with a warning', async () => {
    Object.assign(bench.upstream.options, { paging: false, honoursStartIndex: false, hits: false });
    const first = await harvest();
    expect(first.run).toMatchObject({ status: 'succeeded', counts: { inserted: 25 } });
    bench.upstream.options.points = scriptedPoints(25).slice(0, 20);
    const second = await harvest('', first.collection);
    expect(second.run).toMatchObject({ status: 'succeeded', expected: null, counts: { retired: 0, unchanged: 20 } });
    expect(second.run.warnings).toContainEqual({
      location: `${bench.upstream.url}/wfs`,
      message: `features missing from the source were kept, not retired: ${bench.upstream.url}/wfs gave no total to check the harvest against (the resultType=hits answer gave no total (numberMatched="unknown"))`,
    });
    expect((await stored(first.collection)).retired).toEqual([]);
  });

  it('keeps features missing from the source when the mapping limits the request to a bbox', async () => {
    const first = await harvest('  bbox: [9, 52, 10, 53]\n');
    expect(first.run).toMatchObject({ status: 'succeeded', expected: null, counts: { inserted: 25 } });
    expect(first.requests[0]!['BBOX']).toBe('9,52,10,53,EPSG:4326');
    bench.upstream.options.points = scriptedPoints(25).slice(5);
    const second = await harvest('  bbox: [9, 52, 10, 53]\n', first.collection);
    expect(second.run).toMatchObject({ status: 'succeeded', counts: { retired: 0 } });
    expect(second.run.warnings.map((w) => w.message)).toContain('features missing from the source were kept, not retired: the mapping limits the request to a bbox, and the source gives no total for it');
    expect((await stored(first.collection)).current).toHaveLength(25);
  });

  it('still retires vanished features when hits gives the total', async () => {
    const first = await harvest();
    bench.upstream.options.points = scriptedPoints(25).slice(0, 24);
    const second = await harvest('', first.collection);
    expect(second.run).toMatchObject({ status: 'succeeded', expected: 24, counts: { retired: 1 } });
    expect((await stored(first.collection)).retired).toEqual(['P024']);
  });

  it('outputFormat auto picks a JSON format listed on the GetFeature operation when the feature type lists only GML', async () => {
    bench.upstream.options.operationFormats = [GML, 'application/json', 'json'];
    const { run, collection, requests } = await harvest();
    expect(run).toMatchObject({ status: 'succeeded', counts: { inserted: 25 } });
    expect(requests.map((q) => q['OUTPUTFORMAT'])).toEqual(['application/json', 'application/json', 'application/json']);
    const [row] = await bench.db.query<{ lon: number; lat: number }>({
      text: `SELECT ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.id = 'P012'`,
      values: [collection],
    });
    expect(row).toEqual({ lon: expect.closeTo(9.23, 9), lat: expect.closeTo(52.14, 9) });
  });

  it('fails with the axisOrder override to use when GML in urn EPSG::4326 is written lon/lat inside the valid area', async () => {
    bench.upstream.options.writeLonLat = true;
    const { run } = await harvest();
    expect(run.status).toBe('failed');
    expect(run.error).toBe(
      'the coordinates of GetFeature STARTINDEX=0 lie outside the extent it advertises [9, 52, 10, 53] when read north/latitude first as http://www.opengis.net/def/crs/EPSG/0/4326 says, ' +
        'and inside it the other way round: the server writes the axes swapped; set source.axisOrder: xy in the mapping; nothing was stored',
    );
  });

  it('MapServer WFS 1.1 with EPSG:4258 writes lat/lon: every position leaves the area of use, the run fails naming the override', async () => {
    Object.assign(bench.upstream.options, { documentSrsName: 'EPSG:4258', writeLonLat: false });
    const { run } = await harvest('  crs: EPSG:4258\n');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^the coordinates of GetFeature STARTINDEX=0 lie outside the extent it advertises \[9, 52, 10, 53\] when read east\/longitude first .* set source\.axisOrder: yx in the mapping; nothing was stored$/);
  });

  it.each([
    ['yx', { documentSrsName: 'EPSG:4258', writeLonLat: false }, '  crs: EPSG:4258\n'],
    ['xy', { writeLonLat: true }, ''],
  ])('axisOrder: %s overrides the srsName form (GML)', async (axisOrder, quirk, crs) => {
    Object.assign(bench.upstream.options, quirk);
    const { run, collection } = await harvest(`${crs}  axisOrder: ${axisOrder}\n`);
    expect(run.error).toBeNull();
    const [row] = await bench.db.query<{ lon: number; lat: number }>({
      text: `SELECT ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.id = 'P012'`,
      values: [collection],
    });
    expect(row).toEqual({ lon: expect.closeTo(9.23, 9), lat: expect.closeTo(52.14, 9) });
  });

  it('sorts pages by the mapped id property (SORTBY), and not when the id is the gml:id', async () => {
    const byProperty = await harvest();
    expect(byProperty.requests.map((q) => q['SORTBY'])).toEqual(['id ASC', 'id ASC', 'id ASC']);
    const collection = uniqueId('wfs-paging');
    bench.collections.push(collection);
    const loaded = await mappingFrom(`source:\n  type: wfs\n  url: ${bench.upstream.url}/wfs\n  typeName: t:points\n  pageSize: 10\ntarget:\n  collection: ${collection}\n`);
    const before = bench.upstream.getFeatures().length;
    expect(await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' })).toMatchObject({ status: 'succeeded', counts: { inserted: 25 } });
    expect(bench.upstream.getFeatures().slice(before).every((q) => !('SORTBY' in q))).toBe(true);
  });

  it('fails a run that delivers fewer distinct features than hits announced, keeping the previous data', async () => {
    const first = await harvest();
    expect(first.run.status).toBe('succeeded');
    Object.assign(bench.upstream.options, { announce: 30, points: scriptedPoints(25, 'v2') });
    const second = await harvest('', first.collection);
    expect(second.run.status).toBe('failed');
    expect(second.run.error).toBe('incomplete: the source announced 30 features but 25 distinct ones arrived (pages overlapped or skipped features); nothing was stored');
    const labels = await bench.db.query<{ label: string }>({
      text: `SELECT DISTINCT f.properties->>'label' AS label FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1`,
      values: [first.collection],
    });
    expect(labels).toEqual([{ label: 'v1' }]);
  });

  it('WFS 1.1: reads the total from numberOfFeatures of the hits answer and pages with MAXFEATURES', async () => {
    bench.upstream.options.version = '1.1.0';
    const { run, requests } = await harvest();
    expect(run).toMatchObject({ status: 'succeeded', expected: 25, counts: { inserted: 25 } });
    expect(requests.map((q) => [q['VERSION'], q['STARTINDEX'] ?? '0', q['MAXFEATURES']])).toEqual([
      ['1.1.0', '0', '10'],
      ['1.1.0', '10', '10'],
      ['1.1.0', '20', '10'],
    ]);
    bench.upstream.options.announce = 26;
    const short = await harvest();
    expect(short.run.error).toBe('incomplete: the source announced 26 features but 25 distinct ones arrived (pages overlapped or skipped features); nothing was stored');
  });

  it('sends basic auth and a header from environment variables with every request, discovery included', async () => {
    const expectedAuth = `Basic ${Buffer.from('harvester:pw-9').toString('base64')}`;
    bench.upstream.options.authorized = (headers) => headers.authorization === expectedAuth && headers['x-api-key'] === 'key-7';
    const collection = uniqueId('wfs-auth');
    bench.collections.push(collection);
    const loaded = await mappingFrom(
      `source:\n  type: wfs\n  url: ${bench.upstream.url}/wfs\n  typeName: t:points\n  pageSize: 10\n  http:\n    retries: { attempts: 1 }\n    headers: { X-Api-Key: "\${WFS_KEY}" }\n    auth: { type: basic, username: harvester, password: "\${WFS_PASSWORD}" }\ntarget:\n  collection: ${collection}\nidentifiers:\n  id: id\n`,
      'test/fixtures/mappings/inline.yaml',
      { ...process.env, WFS_KEY: 'key-7', WFS_PASSWORD: 'pw-9' },
    );
    const before = bench.upstream.headers.length;
    const run = await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' });
    expect(run.error).toBeNull();
    const sent = bench.upstream.headers.slice(before);
    // GetCapabilities (ogc-client and placelink), DescribeFeatureType, hits, three pages
    expect(sent.length).toBeGreaterThanOrEqual(7);
    expect(sent.every((h) => h.authorization === expectedAuth && h['x-api-key'] === 'key-7')).toBe(true);
    expect(JSON.stringify(run)).not.toContain('pw-9');
  });

  it('outputFormat gml keeps GML even when JSON is offered', async () => {
    bench.upstream.options.operationFormats = [GML, 'application/json'];
    const { run, requests } = await harvest('  outputFormat: gml\n');
    expect(run.status).toBe('succeeded');
    expect(requests.every((q) => !('OUTPUTFORMAT' in q))).toBe(true);
  });
});

describe.skipIf(!haveFixtures)('recorded capabilities with ImplementsResultPaging FALSE (hale, CountDefault 15000)', () => {
  it('asks for the whole layer in one GetFeature without STARTINDEX or COUNT', async () => {
    const db = testDatabase();
    const store = await testStore(db);
    const collection = uniqueId('hale-paging');
    const upstream = await startUpstream((_request, response, url) => {
      const q = Object.fromEntries([...url.searchParams].map(([k, v]) => [k.toUpperCase(), v]));
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      if (q['REQUEST'] === 'GetCapabilities') return void response.end(capabilities.replace(/xlink:href="https?:\/\/[^"]*"/g, `xlink:href="${upstream.url}/wfs?"`));
      if (q['REQUEST'] === 'DescribeFeatureType') return void response.end('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>');
      response.end('<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" numberMatched="0" numberReturned="0"/>');
    });
    const capabilities = await readFile(fixture('wfs', 'hale-wfsCapabilities2.xml'), 'utf8');
    try {
      const loaded = await mappingFrom(`source:\n  type: wfs\n  url: ${upstream.url}/wfs\n  typeName: ad:Address\ntarget:\n  collection: ${collection}\n`);
      const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
      expect(run).toMatchObject({ status: 'succeeded', expected: 0 });
      const getFeatures = upstream.requests.filter((r) => /REQUEST=GetFeature/i.test(r) && !/RESULTTYPE=hits/i.test(r));
      expect(getFeatures).toHaveLength(1);
      expect(getFeatures[0]).not.toMatch(/STARTINDEX|COUNT=/i);
    } finally {
      await store.collections.remove(collection);
      await upstream.close();
      await db.close();
    }
  });
});
