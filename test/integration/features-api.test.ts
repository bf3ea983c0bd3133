import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, feature, pointGrid } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const epsg = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`;

interface FeatureCollection {
  type: string;
  features: Array<{ id: string; geometry: { type: string; coordinates: number[] } | null; properties: Record<string, unknown> }>;
  numberReturned: number;
  numberMatched?: number;
  timeStamp: string;
  links: Array<{ href: string; rel: string; type?: string }>;
}

let db: Database;
let store: Store;
let server: TestServer;
const grid = uniqueId('grid');
const dateline = uniqueId('dateline');
const GRID = pointGrid(50);

async function getJson<T = FeatureCollection>(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(path.startsWith('http') ? path : `${server.url}${path}`, { headers: { Accept: 'application/geo+json', ...headers } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

const idsOf = (fc: FeatureCollection) => fc.features.map((f) => f.id);
const link = (fc: { links: FeatureCollection['links'] }, rel: string) => fc.links.find((l) => l.rel === rel);

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: grid, title: 'Grid <b>test</b>', description: 'points on a grid' }, GRID);
  await createCollection(store, { id: dateline }, [
    feature('east', { type: 'Point', coordinates: [179.5, 0.2] }),
    feature('west', { type: 'Point', coordinates: [-179.5, -0.2] }),
    feature('greenwich', { type: 'Point', coordinates: [0, 0] }),
    feature('nowhere', null, { note: '<script>alert("x")</script>' }),
  ]);
  server = await startTestServer(store);
});

afterAll(async () => {
  await server?.close();
  await store.collections.remove(grid);
  await store.collections.remove(dateline);
  await db?.close();
});

describe('landing page, conformance, collections', () => {
  it('links the API definition, docs, conformance and data with the exact media types', async () => {
    const { status, body } = await getJson<{ links: FeatureCollection['links'] }>('/', { Accept: 'application/json' });
    expect(status).toBe(200);
    const rels = Object.fromEntries(body.links.map((l) => [`${l.rel} ${l.type}`, l.href]));
    expect(rels['service-desc application/vnd.oai.openapi+json;version=3.0']).toBe(`${server.url}/api`);
    expect(rels['service-doc text/html']).toBe(`${server.url}/api.html`);
    expect(rels['conformance application/json']).toBeDefined();
    expect(rels['data application/json']).toBeDefined();
    expect(rels['self application/json']).toBeDefined();
    expect(rels['alternate text/html']).toBeDefined();
  });

  it('declares exactly the classes implemented', async () => {
    const { body } = await getJson<{ conformsTo: string[] }>('/conformance', { Accept: 'application/json' });
    expect(body.conformsTo.sort()).toEqual(
      [
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
        'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
        ...['filter', 'features-filter', 'queryables', 'queryables-query-parameters'].map((c) => `http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/${c}`),
        ...['properties', 'properties-features'].map((c) => `http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/${c}`),
        ...['sortables', 'sorting', 'features-sorting'].map((c) => `http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/${c}`),
        ...[
          'cql2-text',
          'cql2-json',
          'basic-cql2',
          'advanced-comparison-operators',
          'case-insensitive-comparison',
          'accent-insensitive-comparison',
          'basic-spatial-functions',
          'basic-spatial-functions-plus',
          'spatial-functions',
          'temporal-functions',
          'array-functions',
          'property-property',
          'functions',
          'arithmetic',
        ].map((c) => `http://www.opengis.net/spec/cql2/1.0/conf/${c}`),
      ].sort(),
    );
  });

  it('describes a collection with its current extent, CRS list and typed items links', async () => {
    const { body } = await getJson<Record<string, unknown> & { links: FeatureCollection['links'] }>(`/collections/${grid}`, { Accept: 'application/json' });
    expect(body['id']).toBe(grid);
    expect(body['itemType']).toBe('feature');
    const extent = body['extent'] as { spatial: { bbox: number[][]; crs: string }; temporal: { interval: string[][] } };
    const lons = GRID.map((f) => (f.geometry as { coordinates: number[] }).coordinates[0]!);
    const lats = GRID.map((f) => (f.geometry as { coordinates: number[] }).coordinates[1]!);
    expect(extent.spatial.crs).toBe(CRS84);
    expect(extent.spatial.bbox[0]![0]).toBeCloseTo(Math.min(...lons), 9);
    expect(extent.spatial.bbox[0]![3]).toBeCloseTo(Math.max(...lats), 9);
    expect(extent.temporal.interval[0]).toEqual(['2020-01-01T00:00:00Z', '2020-02-19T00:00:00Z']);
    expect(body['storageCrs']).toBe(CRS84);
    expect(body['crs']).toEqual(expect.arrayContaining([CRS84, epsg(4326), epsg(3857), epsg(4258), epsg(3035), epsg(25832)]));
    expect(link(body, 'items')).toMatchObject({ type: 'application/geo+json' });
  });

  it('lists every collection', async () => {
    const { body } = await getJson<{ collections: Array<{ id: string }> }>('/collections', { Accept: 'application/json' });
    expect(body.collections.map((c) => c.id)).toEqual(expect.arrayContaining([grid, dateline]));
  });
});

describe('items', () => {
  it('returns a first page of 10 as GeoJSON with counts, timeStamp, links and Content-Crs', async () => {
    const before = Date.now();
    const { status, body, headers } = await getJson(`/collections/${grid}/items`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/geo+json');
    expect(headers.get('content-crs')).toBe(`<${CRS84}>`);
    expect(body.type).toBe('FeatureCollection');
    expect(idsOf(body)).toEqual(GRID.slice(0, 10).map((f) => f.id));
    expect(body.numberReturned).toBe(10);
    expect(body.numberMatched).toBe(50);
    expect(Date.parse(body.timeStamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(link(body, 'next')).toBeDefined();
    expect(link(body, 'prev')).toBeUndefined();
    expect(body.features[0]!.geometry).toEqual({ type: 'Point', coordinates: [9.7, 52.3] });
    expect(body.features[0]!.properties).toEqual({ n: 0, even: true, kind: 'lamp', weight: 0 });
  });

  it('pages through everything with next links, then back with prev links, losing and repeating nothing', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/collections/${grid}/items?limit=7`;
    const pages: FeatureCollection[] = [];
    while (url) {
      const { body }: { body: FeatureCollection } = await getJson(url);
      pages.push(body);
      seen.push(...idsOf(body));
      expect(body.numberMatched).toBe(50);
      url = link(body, 'next')?.href;
    }
    expect(seen).toEqual(GRID.map((f) => f.id));
    expect(pages).toHaveLength(8);
    expect(pages.at(-1)!.numberReturned).toBe(1);

    const back: string[][] = [];
    let prev = link(pages.at(-1)!, 'prev')?.href;
    while (prev) {
      const { body } = await getJson(prev);
      back.unshift(idsOf(body));
      prev = link(body, 'prev')?.href;
    }
    expect(back).toEqual(pages.slice(0, -1).map(idsOf));
  });

  it('keeps filters and the limit in next links', async () => {
    const { body } = await getJson(`/collections/${grid}/items?limit=3&kind=lamp&bbox=9.69,52.29,9.71,52.31`);
    const next = new URL(link(body, 'next')!.href);
    expect(next.searchParams.get('limit')).toBe('3');
    expect(next.searchParams.get('kind')).toBe('lamp');
    expect(next.searchParams.get('bbox')).toBe('9.69,52.29,9.71,52.31');
    const { body: second } = await getJson(next.toString());
    expect(second.features.every((f) => f.properties['kind'] === 'lamp')).toBe(true);
  });

  it('supports offset, and its next link continues after it', async () => {
    const { body } = await getJson(`/collections/${grid}/items?offset=20&limit=5`);
    expect(idsOf(body)).toEqual(['P-0020', 'P-0021', 'P-0022', 'P-0023', 'P-0024']);
    const { body: next } = await getJson(link(body, 'next')!.href);
    expect(idsOf(next)[0]).toBe('P-0025');
    const { body: past } = await getJson(`/collections/${grid}/items?offset=500`);
    expect(past.features).toEqual([]);
    expect(past.numberMatched).toBe(50);
  });

  it('clamps a limit above 10000', async () => {
    const { status, body } = await getJson(`/collections/${grid}/items?limit=20000`);
    expect(status).toBe(200);
    expect(body.numberReturned).toBe(50);
  });

  it('selects by bbox exactly and counts the matches', async () => {
    const box = [9.7005, 52.3005, 9.7035, 52.3025];
    const expected = GRID.filter((f) => {
      const [x, y] = (f.geometry as { coordinates: number[] }).coordinates as [number, number];
      return x >= box[0]! && x <= box[2]! && y >= box[1]! && y <= box[3]!;
    }).map((f) => f.id);
    expect(expected.length).toBeGreaterThan(3);
    const { body } = await getJson(`/collections/${grid}/items?limit=100&bbox=${box.join(',')}`);
    expect(idsOf(body)).toEqual(expected);
    expect(body.numberMatched).toBe(expected.length);
    const { body: six } = await getJson(`/collections/${grid}/items?limit=100&bbox=${[box[0], box[1], -100, box[2], box[3], 100].join(',')}`);
    expect(idsOf(six)).toEqual(expected);
    const { body: paged } = await getJson(`/collections/${grid}/items?limit=2&bbox=${box.join(',')}`);
    expect(paged.numberMatched).toBe(expected.length);
  });

  it('crosses the antimeridian', async () => {
    const { body } = await getJson(`/collections/${dateline}/items?bbox=179,-1,-179,1`);
    expect(idsOf(body).sort()).toEqual(['east', 'west']);
    const { body: notCrossing } = await getJson(`/collections/${dateline}/items?bbox=-179,-1,179,1`);
    expect(idsOf(notCrossing)).toEqual(['greenwich']);
  });

  it('returns features without geometry with geometry null', async () => {
    const { body } = await getJson(`/collections/${dateline}/items`);
    expect(body.features.find((f) => f.id === 'nowhere')!.geometry).toBeNull();
  });

  it('reads bbox-crs EPSG:4326 as latitude first', async () => {
    const { body: crs84 } = await getJson(`/collections/${grid}/items?limit=100&bbox=9.7005,52.3005,9.7035,52.3025`);
    const { body: latLon } = await getJson(`/collections/${grid}/items?limit=100&bbox=52.3005,9.7005,52.3025,9.7035&bbox-crs=${encodeURIComponent(epsg(4326))}`);
    expect(idsOf(latLon)).toEqual(idsOf(crs84));
  });

  it('selects with a bbox in EPSG:25832 exactly as PostGIS does', async () => {
    const box = [547_700, 5_794_800, 547_900, 5_795_000];
    const rows = await db.query<{ id: string }>({
      text: `SELECT f.id FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1
             AND ST_Intersects(ST_Transform(f.geom, 25832), ST_MakeEnvelope($2, $3, $4, $5, 25832)) ORDER BY f.seq`,
      values: [grid, ...box],
    });
    expect(rows.length).toBeGreaterThan(0);
    const { body } = await getJson(`/collections/${grid}/items?limit=100&bbox=${box.join(',')}&bbox-crs=${encodeURIComponent(epsg(25832))}`);
    expect(idsOf(body)).toEqual(rows.map((r) => r.id));
  });

  it('filters by datetime instant, interval and open intervals', async () => {
    const withTime = (from: string | null, to: string | null) =>
      GRID.filter((f) => (from === null || f.timeStart! >= from) && (to === null || f.timeStart! <= to)).map((f) => f.id);
    const { body: instant } = await getJson(`/collections/${grid}/items?datetime=2020-01-05T00:00:00Z`);
    expect(idsOf(instant)).toEqual(['P-0004']);
    const { body: day } = await getJson(`/collections/${grid}/items?datetime=2020-01-05`);
    expect(idsOf(day)).toEqual(['P-0004']);
    const { body: interval } = await getJson(`/collections/${grid}/items?limit=100&datetime=2020-01-10T00:00:00Z/2020-01-20T00:00:00Z`);
    expect(idsOf(interval)).toEqual(withTime('2020-01-10T00:00:00.000Z', '2020-01-20T00:00:00.000Z'));
    const { body: open } = await getJson(`/collections/${grid}/items?limit=100&datetime=2020-02-10T00:00:00Z/..`);
    expect(idsOf(open)).toEqual(withTime('2020-02-10T00:00:00.000Z', null));
    const { body: openStart } = await getJson(`/collections/${grid}/items?limit=100&datetime=../2020-01-03T00:00:00%2B01:00`);
    expect(idsOf(openStart)).toEqual(withTime(null, '2020-01-02T23:00:00.000Z'));
  });

  it('lets features without time match any datetime', async () => {
    const { body } = await getJson(`/collections/${dateline}/items?datetime=1999-01-01T00:00:00Z`);
    expect(body.numberMatched).toBe(4);
  });

  it('filters by queryable properties with typed values', async () => {
    const { body: lamps } = await getJson(`/collections/${grid}/items?limit=100&kind=lamp`);
    expect(idsOf(lamps)).toEqual(GRID.filter((f) => f.properties['kind'] === 'lamp').map((f) => f.id));
    const { body: combined } = await getJson(`/collections/${grid}/items?limit=100&kind=lamp&even=true`);
    expect(idsOf(combined)).toEqual(GRID.filter((f) => f.properties['kind'] === 'lamp' && f.properties['even'] === true).map((f) => f.id));
    const { body: byNumber } = await getJson(`/collections/${grid}/items?n=7`);
    expect(idsOf(byNumber)).toEqual(['P-0007']);
    const { body: byFloat } = await getJson(`/collections/${grid}/items?weight=1.75`);
    expect(idsOf(byFloat)).toEqual(['P-0007']);
  });
});

describe('stored representation', () => {
  it('is the same GeoJSON the database builds per request', async () => {
    const stored = await getJson(`/collections/${grid}/items?limit=50`);
    const built = await getJson(`/collections/${grid}/items?limit=50&properties=n,even,kind,weight`);
    expect(built.body.features).toEqual(stored.body.features);
    const [row] = await db.query<{ same: boolean }>({
      text: 'SELECT bool_and(f.geojson = placelink_feature_geojson(f.id, f.geom, f.properties)) AS same FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1',
      values: [grid],
    });
    expect(row!.same).toBe(true);
  });
});

describe('output CRS (axis order follows the CRS definition)', () => {
  // [crs, PostGIS srid, first axis is north/lat]
  const MATRIX: Array<[string, number, boolean]> = [
    [CRS84, 4326, false],
    [epsg(4326), 4326, true],
    [epsg(4258), 4258, true],
    [epsg(3035), 3035, true],
    [epsg(3034), 3034, true],
    [epsg(3857), 3857, false],
    // every INSPIRE UTM zone, not only the one the data lies in (32N)
    ...Array.from({ length: 11 }, (_, i): [string, number, boolean] => [epsg(25828 + i), 25828 + i, false]),
  ];

  it.each(MATRIX)('%s', async (crs, srid, northFirst) => {
    const [expected] = await db.query<{ x: number; y: number }>({
      text: `SELECT ST_X(g) AS x, ST_Y(g) AS y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(9.7, 52.3), 4326), $1::integer) AS g) t`,
      values: [srid],
    });
    const { body, headers } = await getJson(`/collections/${grid}/items?limit=1&crs=${encodeURIComponent(crs)}`);
    expect(headers.get('content-crs')).toBe(`<${crs}>`);
    const [a, b] = body.features[0]!.geometry!.coordinates as [number, number];
    const [x, y] = northFirst ? [b, a] : [a, b];
    const tolerance = srid === 4326 || srid === 4258 ? 1e-8 : 1e-3;
    expect(Math.abs(x - expected!.x)).toBeLessThan(tolerance);
    expect(Math.abs(y - expected!.y)).toBeLessThan(tolerance);

    const item = await getJson<{ geometry: { coordinates: number[] } }>(`/collections/${grid}/items/P-0000?crs=${encodeURIComponent(crs)}`);
    expect(item.headers.get('content-crs')).toBe(`<${crs}>`);
    expect(item.body.geometry.coordinates).toEqual(body.features[0]!.geometry!.coordinates);
  });

  it('offers the INSPIRE set for data in Europe, but no UTM zone for data far from Europe', async () => {
    const european = await getJson<{ crs: string[] }>(`/collections/${grid}`, { Accept: 'application/json' });
    for (const code of [4258, 3035, 3034, ...Array.from({ length: 11 }, (_, i) => 25828 + i)]) expect(european.body.crs).toContain(epsg(code));
    const worldwide = await getJson<{ crs: string[] }>(`/collections/${dateline}`, { Accept: 'application/json' });
    expect(worldwide.body.crs).toEqual(expect.arrayContaining([CRS84, epsg(4326), epsg(3857)]));
    expect(worldwide.body.crs).not.toContain(epsg(25832));
    const refused = await getJson<{ status: number; parameter?: string }>(`/collections/${dateline}/items?crs=${encodeURIComponent(epsg(25832))}`);
    expect(refused.status).toBe(400);
  });

  it('accepts the URN form and answers with the canonical URI', async () => {
    const { headers, body } = await getJson(`/collections/${grid}/items?limit=1&crs=urn:ogc:def:crs:EPSG::4326`);
    expect(headers.get('content-crs')).toBe(`<${epsg(4326)}>`);
    expect(body.features[0]!.geometry!.coordinates).toEqual([52.3, 9.7]);
  });
});

describe('single feature', () => {
  it('returns the feature with self, alternate and collection links', async () => {
    const { status, body, headers } = await getJson<{ type: string; id: string; links: FeatureCollection['links'] }>(`/collections/${grid}/items/P-0003`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/geo+json');
    expect(headers.get('content-crs')).toBe(`<${CRS84}>`);
    expect(body.type).toBe('Feature');
    expect(body.id).toBe('P-0003');
    expect(link(body, 'self')).toBeDefined();
    expect(link(body, 'alternate')?.type).toBe('text/html');
    expect(link(body, 'collection')?.href).toContain(`/collections/${grid}`);
  });
});

describe('HTML', () => {
  it('is chosen by Accept or f=html, escapes data, and links the GeoJSON alternate', async () => {
    for (const request of [fetch(`${server.url}/collections/${dateline}/items`, { headers: { Accept: 'text/html,application/xhtml+xml;q=0.9' } }), fetch(`${server.url}/collections/${dateline}/items?f=html`)]) {
      const response = await request;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const page = await response.text();
      expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(page).not.toContain('<script>alert');
      expect(page).toMatch(/<link rel="alternate" type="application\/geo\+json" href="[^"]+f=json"/);
      expect(page).toContain('id="map"');
    }
  });

  it('renders every resource, with the collection title escaped', async () => {
    for (const path of ['/', '/conformance', '/collections', `/collections/${grid}`, `/collections/${grid}/items/P-0001`, '/api.html']) {
      const response = await fetch(`${server.url}${path}${path.includes('?') ? '&' : '?'}f=html`.replace('/api.html?f=html', '/api.html'));
      expect(response.status, path).toBe(200);
      const page = await response.text();
      expect(page.startsWith('<!doctype html>'), path).toBe(true);
      expect(page).not.toContain('<b>test</b>');
    }
  });
});

describe('bad requests get a problem document naming the parameter', () => {
  const CASES: Array<[string, number, string | null]> = [
    ['items?bbox=1,2,3', 400, 'bbox'],
    ['items?bbox=0,10,1,5', 400, 'bbox'],
    ['items?bbox=a,b,c,d', 400, 'bbox'],
    ['items?datetime=yesterday', 400, 'datetime'],
    ['items?datetime=2020-02-30', 400, 'datetime'],
    ['items?limit=0', 400, 'limit'],
    ['items?limit=-1', 400, 'limit'],
    ['items?limit=abc', 400, 'limit'],
    ['items?crs=http://www.opengis.net/def/crs/EPSG/0/99999', 400, 'crs'],
    ['items?crs=EPSG:4326', 400, 'crs'],
    ['items?bbox=1,2,3,4&bbox-crs=urn:ogc:def:crs:EPSG::2000', 400, 'bbox-crs'],
    ['items?foo=bar', 400, 'foo'],
    ['items?n=seven', 400, 'n'],
    ['items?even=yes', 400, 'even'],
    ['items?kind=lamp%00', 400, 'kind'],
    ['items?cursor=nonsense', 400, 'cursor'],
    ['items?limit=1&limit=2', 400, 'limit'],
    ['items?f=xml', 400, 'f'],
    ['items/P-0001?limit=2', 400, 'limit'],
    ['?foo=1', 400, 'foo'],
    ['items/does-not-exist', 404, null],
  ];

  it.each(CASES)('%s → %i', async (suffix, status, parameter) => {
    const url = suffix.startsWith('?') ? `/collections/${grid}${suffix}` : `/collections/${grid}/${suffix}`;
    const response = await fetch(`${server.url}${url}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem['status']).toBe(status);
    expect(typeof problem['detail']).toBe('string');
    expect(problem['errorId']).toMatch(/^[0-9a-f-]{36}$/);
    if (parameter) expect(problem['parameter']).toBe(parameter);
  });

  it.each(['/', '/conformance', '/collections', '/api', '/api.html', '/functions'])('%s with an unknown parameter → 400 naming it', async (path) => {
    const response = await fetch(`${server.url}${path}?f=json&foo=1`.replace('/api.html?f=json&', '/api.html?'));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 400, code: 'unknown-parameter', parameter: 'foo' });
  });

  it('404 for an unknown collection and an unknown path', async () => {
    for (const path of ['/collections/no-such-collection', '/collections/no-such-collection/items', '/nothing/here']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('405 for a method the resource does not support', async () => {
    const response = await fetch(`${server.url}/collections/${grid}/items`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses a huge query string with a 4xx problem, never a crash', async () => {
    const long = await fetch(`${server.url}/collections/${grid}/items?kind=${'x'.repeat(9000)}`);
    expect(long.status).toBe(414);
    expect(long.headers.get('content-type')).toBe('application/problem+json');
    const huge = await fetch(`${server.url}/collections/${grid}/items?kind=${'x'.repeat(70_000)}`);
    expect(huge.status).toBe(431);
    expect(huge.headers.get('content-type')).toBe('application/problem+json');
    expect(await huge.json()).toMatchObject({ status: 431, code: 'request-headers-too-large', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const after = await fetch(`${server.url}/collections/${grid}/items?limit=1`);
    expect(after.status).toBe(200);
  });

  it('answers a request Node cannot parse with a 400 problem that carries an error id', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('NOT A REQUEST\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'malformed-request', errorId: expect.any(String) });
  });

  it('leaves the stored data as it was', async () => {
    const { body } = await getJson(`/collections/${grid}/items?limit=1`);
    expect(body.numberMatched).toBe(50);
  });
});
