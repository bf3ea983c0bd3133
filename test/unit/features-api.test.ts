import { inject, type Response } from 'light-my-request';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { composeApi } from '../../src/compose.js';
import { createLogger } from '../../src/logger.js';
import { createFakeStore, type FakeStore } from '../helpers/fake-store.js';
import { createCollection, feature, pointGrid } from '../helpers/fixtures.js';
import { TEST_API_CONFIG } from '../helpers/http-server.js';
import { captureLog } from '../helpers/log-capture.js';

/**
 * The OGC API Features handlers on the fake store, in memory (no PostGIS, no socket): the route
 * contract, parameters, links, paging and problem documents. What the fake does not evaluate
 * (filters, sortby, other CRSs) is covered by test/integration/features-api.test.ts.
 */

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const epsg = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`;
const GRID = pointGrid(50);
const ERROR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Link {
  href: string;
  rel: string;
  type?: string;
}
interface FeatureCollection {
  type: string;
  features: Array<{ id: string; geometry: { type: string; coordinates: number[] } | null; properties: Record<string, unknown> }>;
  numberReturned: number;
  numberMatched?: number;
  links: Link[];
}

let store: FakeStore;
let dispatch: ReturnType<ReturnType<typeof composeApi>['callback']>;

const get = (url: string, accept = 'application/json'): Promise<Response> => inject(dispatch, { method: 'GET', url, headers: { accept } });
const json = async <T = FeatureCollection>(url: string, accept = 'application/geo+json'): Promise<T> => {
  const response = await get(url, accept);
  expect(response.statusCode, url).toBe(200);
  return response.json() as T;
};
const link = (body: { links: Link[] }, rel: string, type?: string) => body.links.find((l) => l.rel === rel && (type === undefined || l.type === type));
/** A link's href as a request path (the links are absolute, on the request's host). */
const pathOf = (href: string) => {
  const url = new URL(href);
  return `${url.pathname}${url.search}`;
};
const idsOf = (fc: FeatureCollection) => fc.features.map((f) => f.id);

beforeAll(async () => {
  store = createFakeStore();
  await createCollection(store, { id: 'grid', title: 'Grid <b>test</b>', description: 'points on a grid' }, GRID);
  await createCollection(store, { id: 'things' }, [
    { ...feature('lamp-1', { type: 'Point', coordinates: [179.5, 0.2] }, { height: 6 }), ngsiLdId: 'urn:ngsi-ld:Streetlight:test:lamp-1' },
    feature('nowhere', null, { note: '<script>alert("x")</script>' }),
  ]);
  dispatch = composeApi(store, TEST_API_CONFIG, createLogger('silent')).callback();
});

afterEach(() => {
  // Every page's cursor is released, whatever the response was.
  expect(store.openCursors()).toBe(0);
});

describe('landing page, conformance, collections', () => {
  it('links the API definition, its documentation, conformance and the collections with their media types', async () => {
    const body = await json<{ links: Link[] }>('/', 'application/json');
    expect(pathOf(link(body, 'service-desc', 'application/vnd.oai.openapi+json;version=3.0')!.href)).toBe('/api');
    expect(pathOf(link(body, 'service-doc', 'text/html')!.href)).toBe('/api.html');
    expect(pathOf(link(body, 'conformance', 'application/json')!.href)).toMatch(/^\/conformance/);
    expect(pathOf(link(body, 'data', 'application/json')!.href)).toMatch(/^\/collections/);
    expect(link(body, 'self', 'application/json')).toBeDefined();
    expect(link(body, 'alternate', 'text/html')).toBeDefined();
  });

  it('declares the Part 1 conformance classes, each once', async () => {
    const { conformsTo } = await json<{ conformsTo: string[] }>('/conformance', 'application/json');
    const part1 = ['core', 'geojson', 'html', 'oas30'].map((c) => `http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/${c}`);
    expect(conformsTo).toEqual(expect.arrayContaining([...part1, 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs']));
    expect(new Set(conformsTo).size).toBe(conformsTo.length);
  });

  it('lists every collection with its items link', async () => {
    const { collections } = await json<{ collections: Array<{ id: string; links: Link[] }> }>('/collections', 'application/json');
    expect(collections.map((c) => c.id)).toEqual(['grid', 'things']);
    for (const c of collections) expect(pathOf(link(c, 'items', 'application/geo+json')!.href)).toMatch(new RegExp(`^/collections/${c.id}/items`));
  });

  it('describes a collection with the extent of its stored features and the CRSs it offers', async () => {
    const body = await json<Record<string, unknown> & { links: Link[] }>('/collections/grid', 'application/json');
    expect(body).toMatchObject({ id: 'grid', title: 'Grid <b>test</b>', itemType: 'feature', storageCrs: CRS84 });
    const extent = body['extent'] as { spatial: { bbox: number[][] }; temporal: { interval: string[][] } };
    const xs = GRID.map((f) => (f.geometry as { coordinates: number[] }).coordinates[0]!);
    const ys = GRID.map((f) => (f.geometry as { coordinates: number[] }).coordinates[1]!);
    expect(extent.spatial.bbox[0]).toEqual([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
    expect(extent.temporal.interval[0]).toEqual(['2020-01-01T00:00:00Z', '2020-02-19T00:00:00Z']);
    expect(body['crs']).toEqual(expect.arrayContaining([CRS84, epsg(4326), epsg(3857), epsg(25832)]));
    // Data on the antimeridian is far from Europe: no INSPIRE UTM zone.
    const things = await json<{ crs: string[] }>('/collections/things', 'application/json');
    expect(things.crs).not.toContain(epsg(25832));
  });
});

describe('items', () => {
  it('answers a first page of 10 as GeoJSON with the counts, links and Content-Crs', async () => {
    const response = await get('/collections/grid/items', 'application/geo+json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/geo+json');
    expect(response.headers['content-crs']).toBe(`<${CRS84}>`);
    const body = response.json() as FeatureCollection;
    expect(body.type).toBe('FeatureCollection');
    expect(idsOf(body)).toEqual(GRID.slice(0, 10).map((f) => f.id));
    expect(body).toMatchObject({ numberReturned: 10, numberMatched: 50 });
    expect(body.features[0]).toEqual({ type: 'Feature', id: 'P-0000', geometry: { type: 'Point', coordinates: [9.7, 52.3] }, properties: { n: 0, even: true, kind: 'lamp', weight: 0 } });
    expect(link(body, 'next', 'application/geo+json')).toBeDefined();
    expect(link(body, 'prev')).toBeUndefined();
    expect(pathOf(link(body, 'collection')!.href)).toMatch(/^\/collections\/grid\?/);
  });

  it('walks the collection to the end with next links and back to the start with prev links', async () => {
    const pages: FeatureCollection[] = [];
    for (let url: string | undefined = '/collections/grid/items?limit=7'; url; ) {
      const body: FeatureCollection = await json(url);
      pages.push(body);
      expect(body.numberMatched).toBe(50);
      url = link(body, 'next') && pathOf(link(body, 'next')!.href);
      expect(url === undefined || new URL(`http://x${url}`).searchParams.get('limit') === '7').toBe(true);
    }
    expect(pages.flatMap(idsOf)).toEqual(GRID.map((f) => f.id));
    expect(pages.map((p) => p.numberReturned)).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);

    const back: string[][] = [];
    for (let url = link(pages.at(-1)!, 'prev')?.href; url; ) {
      const body: FeatureCollection = await json(pathOf(url));
      back.unshift(idsOf(body));
      url = link(body, 'prev')?.href;
    }
    expect(back).toEqual(pages.slice(0, -1).map(idsOf));
  });

  it('keeps filters in next links and counts the matches', async () => {
    const lamps = GRID.filter((f) => f.properties['kind'] === 'lamp').map((f) => f.id);
    const seen: string[] = [];
    const matched: Array<number | undefined> = [];
    for (let url: string | undefined = '/collections/grid/items?limit=5&kind=lamp'; url; ) {
      const body: FeatureCollection = await json(url);
      seen.push(...idsOf(body));
      matched.push(body.numberMatched);
      url = link(body, 'next') && pathOf(link(body, 'next')!.href);
      if (url) expect(new URL(`http://x${url}`).searchParams.get('kind')).toBe('lamp');
    }
    expect(seen).toEqual(lamps);
    expect(matched).toEqual([17, 17, 17, 17]);
  });

  it('selects by bbox, datetime and typed queryable values', async () => {
    const box = [9.7005, 52.3005, 9.7035, 52.3025];
    const inBox = GRID.filter((f) => {
      const [x, y] = (f.geometry as { coordinates: number[] }).coordinates as [number, number];
      return x >= box[0]! && x <= box[2]! && y >= box[1]! && y <= box[3]!;
    }).map((f) => f.id);
    expect(inBox.length).toBeGreaterThan(3);
    const boxed = await json(`/collections/grid/items?limit=100&bbox=${box.join(',')}`);
    expect(idsOf(boxed)).toEqual(inBox);
    expect(boxed.numberMatched).toBe(inBox.length);
    expect(idsOf(await json('/collections/grid/items?datetime=2020-01-05T00:00:00Z'))).toEqual(['P-0004']);
    expect(idsOf(await json('/collections/grid/items?datetime=2020-01-05'))).toEqual(['P-0004']);
    expect(idsOf(await json('/collections/grid/items?n=7'))).toEqual(['P-0007']);
    expect(idsOf(await json('/collections/grid/items?weight=1.75&even=false'))).toEqual(['P-0007']);
    // A bbox across the antimeridian is two boxes.
    expect(idsOf(await json('/collections/things/items?bbox=179,-1,-179,1'))).toEqual(['lamp-1']);
    // Features without time match any datetime.
    expect((await json('/collections/things/items?datetime=1999-01-01T00:00:00Z')).numberMatched).toBe(2);
  });

  it('supports offset, whose next link continues with a cursor, and answers an empty page past the end', async () => {
    const body = await json('/collections/grid/items?offset=20&limit=5');
    expect(idsOf(body)).toEqual(['P-0020', 'P-0021', 'P-0022', 'P-0023', 'P-0024']);
    const next = new URL(link(body, 'next')!.href);
    expect(next.searchParams.get('offset')).toBeNull();
    expect(next.searchParams.get('cursor')).not.toBeNull();
    expect(idsOf(await json(pathOf(next.href)))[0]).toBe('P-0025');
    const past = await json('/collections/grid/items?offset=500');
    expect(past).toMatchObject({ features: [], numberReturned: 0, numberMatched: 50 });
    expect(link(past, 'next')).toBeUndefined();
  });

  it('reduces a limit above 10 000 to the maximum', async () => {
    expect((await json('/collections/grid/items?limit=20000')).numberReturned).toBe(50);
  });

  it('returns the requested properties only', async () => {
    const body = await json('/collections/grid/items?limit=2&properties=kind,n');
    expect(body.features.map((f) => f.properties)).toEqual([
      { n: 0, kind: 'lamp' },
      { n: 1, kind: 'bench' },
    ]);
  });
});

describe('single feature', () => {
  it('returns the feature with self, alternate and collection links, and no describes link without an NGSI-LD id', async () => {
    const response = await get('/collections/grid/items/P-0003', 'application/geo+json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/geo+json');
    expect(response.headers['content-crs']).toBe(`<${CRS84}>`);
    const body = response.json() as { type: string; id: string; properties: Record<string, unknown>; links: Link[] };
    expect(body).toMatchObject({ type: 'Feature', id: 'P-0003', properties: { n: 3, kind: 'lamp' } });
    expect(link(body, 'self')).toBeDefined();
    expect(link(body, 'alternate', 'text/html')).toBeDefined();
    expect(pathOf(link(body, 'collection')!.href)).toMatch(/^\/collections\/grid/);
    expect(link(body, 'describes')).toBeUndefined();
  });

  it('links the NGSI-LD entity the feature describes', async () => {
    const body = await json<{ links: Link[] }>('/collections/things/items/lamp-1');
    expect(link(body, 'describes')).toMatchObject({ href: 'urn:ngsi-ld:Streetlight:test:lamp-1' });
  });
});

describe('problem documents', () => {
  async function problem(url: string, status: number): Promise<Record<string, unknown>> {
    const response = await get(url);
    expect(response.statusCode, url).toBe(status);
    expect(response.headers['content-type'], url).toBe('application/problem+json');
    const body = response.json() as Record<string, unknown>;
    expect(body, url).toMatchObject({ status, errorId: expect.stringMatching(ERROR_ID), type: `urn:placelink:problem:${String(body['code'])}` });
    expect(typeof body['detail']).toBe('string');
    return body;
  }

  it('404 for an unknown collection, feature or path', async () => {
    expect(await problem('/collections/nothing', 404)).toMatchObject({ type: 'urn:placelink:problem:collection-not-found', detail: "Collection 'nothing' does not exist" });
    expect(await problem('/collections/nothing/items', 404)).toMatchObject({ code: 'collection-not-found' });
    expect(await problem('/collections/grid/items/P-9999', 404)).toMatchObject({ type: 'urn:placelink:problem:feature-not-found', detail: "Feature 'P-9999' does not exist in collection 'grid'" });
    expect(await problem('/nothing/here', 404)).toMatchObject({ code: 'not-found' });
  });

  it.each([
    ['/collections/grid/items?foo=bar', 'foo', 'unknown-parameter'],
    ['/collections/grid/items/P-0001?limit=2', 'limit', 'unknown-parameter'],
    ['/collections?foo=1', 'foo', 'unknown-parameter'],
    ['/collections/grid/items?limit=0', 'limit', 'invalid-parameter'],
    ['/collections/grid/items?limit=-1', 'limit', 'invalid-parameter'],
    ['/collections/grid/items?limit=abc', 'limit', 'invalid-parameter'],
    ['/collections/grid/items?limit=1&limit=2', 'limit', 'invalid-parameter'],
    ['/collections/grid/items?bbox=1,2,3', 'bbox', 'invalid-parameter'],
    ['/collections/grid/items?bbox=0,10,1,5', 'bbox', 'invalid-parameter'],
    ['/collections/grid/items?bbox=a,b,c,d', 'bbox', 'invalid-parameter'],
    ['/collections/grid/items?datetime=yesterday', 'datetime', 'invalid-parameter'],
    ['/collections/grid/items?datetime=2020-02-30', 'datetime', 'invalid-parameter'],
    ['/collections/grid/items?n=seven', 'n', 'invalid-parameter'],
    ['/collections/grid/items?cursor=nonsense', 'cursor', 'invalid-parameter'],
    ['/collections/grid/items?offset=5&cursor=x', 'offset', 'invalid-parameter'],
  ])('400 for %s naming %s', async (url, parameter, code) => {
    expect(await problem(url, 400)).toMatchObject({ parameter, code });
  });

  it('405 for a method the resource does not support', async () => {
    const response = await inject(dispatch, { method: 'DELETE', url: '/collections/grid/items' });
    expect(response.statusCode).toBe(405);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('answers what the fake store does not evaluate as an internal error that shows nothing of it, with its error id in the log', async () => {
    const log = captureLog('error');
    const app = composeApi(store, TEST_API_CONFIG, log.logger).callback();
    const response = await inject(app, { method: 'GET', url: `/collections/grid/items?crs=${encodeURIComponent(epsg(3857))}` });
    expect(response.statusCode).toBe(500);
    const body = response.json() as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'urn:placelink:problem:internal', status: 500 });
    expect(response.payload).not.toContain('fake store');
    const logged = log.lines().find((line) => JSON.stringify(line).includes(String(body['errorId'])));
    expect(JSON.stringify(logged)).toContain('the fake store does not evaluate output in EPSG:3857');
  });
});

describe('HTML', () => {
  it('is answered for f=html and for a browser, escaping data, with the GeoJSON alternate and a pager', async () => {
    for (const [url, accept] of [
      ['/collections/things/items?f=html', '*/*'],
      ['/collections/things/items', 'text/html,application/xhtml+xml;q=0.9'],
    ] as const) {
      const response = await get(url, accept);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.payload.startsWith('<!doctype html>')).toBe(true);
      expect(response.payload).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(response.payload).not.toContain('<script>alert');
      expect(response.payload).toMatch(/<link rel="alternate" type="application\/geo\+json" href="[^"]+f=json"/);
    }
    const paged = await get('/collections/grid/items?f=html&limit=20');
    expect(paged.payload).toMatch(/<a rel="next" href="[^"]*cursor=[^"]+"/);
    expect(paged.payload).toContain('20 feature(s) of 50');
  });

  it('renders every resource with the collection title escaped', async () => {
    for (const url of ['/?f=html', '/conformance?f=html', '/collections?f=html', '/collections/grid?f=html', '/collections/grid/items/P-0001?f=html']) {
      const response = await get(url, '*/*');
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(response.payload, url).not.toContain('<b>test</b>');
    }
  });
});

describe('operations', () => {
  it('is live and ready on the fake store', async () => {
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });
});
