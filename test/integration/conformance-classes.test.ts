import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import type { Geometry } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildingBlocks } from '../../src/compose.js';
import { CRS84, CRS84_URI, epsgCrs } from '../../src/geo/crs-registry.js';
import { positionTransform } from '../../src/geo/reproject.js';
import { conformanceClasses } from '../../src/ogcapi/features/service-routes.js';
import { CONFORMANCE, MEDIA } from '../../src/ogcapi/vocabulary.js';
import { CONFORMANCE_DIR } from '../helpers/cql2-dataset.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, feature } from '../helpers/fixtures.js';
import { startTestServer, TEST_API_CONFIG, type TestServer } from '../helpers/http-server.js';

/**
 * A test of its own for every conformance class the API declares (OGC API Features Parts 1, 2, 3,
 * 6 and 8, every CQL2 class), generated from the declared list itself: a class added to a building
 * block without a test here fails. They run on a small collection written for them: every geometry
 * type, Unicode names, typed properties, intervals, arrays and missing values. Spatial results are
 * checked against PostGIS itself. Further tests below go into the details of some classes.
 */

const day = (d: number) => `2020-01-${String(d).padStart(2, '0')}T00:00:00Z`;
const ring = (x0: number, y0: number, x1: number, y1: number) => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

const GEOMETRIES: Record<string, Geometry | null> = {
  A: { type: 'Point', coordinates: [0, 0] },
  B: { type: 'Point', coordinates: [1, 1] },
  C: { type: 'LineString', coordinates: [[0, 0], [2, 2]] },
  D: { type: 'Polygon', coordinates: [ring(0, 0, 4, 4)] },
  E: { type: 'MultiPolygon', coordinates: [[ring(10, 10, 11, 11)], [ring(12, 12, 13, 13)]] },
  F: { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [5, 5] }, { type: 'LineString', coordinates: [[5, 5], [6, 7]] }] },
  G: null,
  H: { type: 'MultiLineString', coordinates: [[[-1, 2], [3, 2]], [[7, 7], [8, 8]]] },
  I: { type: 'MultiPoint', coordinates: [[2, 2], [20, 20]] },
};

// Intervals in January 2020: A [1, 10], B [5, 20], C [10, 15]; the others have none.
const PROPERTIES: Record<string, Record<string, unknown>> = {
  A: { name: 'Straße', pop: 10, area: 1.5, open: true, day: '2020-01-01', start: day(1), end: day(10), tags: ['a', 'b'] },
  B: { name: 'STRASSE', pop: 20, area: 2.5, open: false, day: '2020-06-15', start: day(5), end: day(20), tags: ['b', 'c'] },
  C: { name: 'Chișinău', pop: 30, area: 0.5, open: true, day: '2021-01-01', start: day(10), end: day(15), tags: ['a'] },
  D: { name: 'ΣΊΣΥΦΟΣ', pop: null, tags: null },
  E: { name: 'が', pop: 50, tags: [] },
  F: { name: 'か' },
  G: { name: '100%' },
  H: { name: 'under_score' },
  I: { name: 'underXscore', pop: 7 },
};
const IDS = Object.keys(GEOMETRIES);

const db = testDatabase();
const store = await testStore(db);
/** What /conformance lists: the classes of the building blocks the API is composed of. */
const DECLARED = conformanceClasses(buildingBlocks(store, TEST_API_CONFIG));

let server: TestServer;
let key: number;
const places = uniqueId('places');

interface Page {
  features: Array<{ id: string; geometry: unknown; properties: Record<string, unknown> }>;
  numberMatched?: number;
  numberReturned?: number;
  timeStamp?: string;
  links: Array<{ rel: string; href: string; type?: string }>;
}

async function request(
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${pathAndQuery}`, { headers });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function itemsPath(parameters: Record<string, string>): string {
  return `/collections/${places}/items?${new URLSearchParams({ limit: '100', ...parameters }).toString()}`;
}

async function ids(parameters: Record<string, string>): Promise<string[]> {
  const { status, body } = await request(itemsPath(parameters));
  if (status !== 200) throw new Error(`${status}: ${String(body['detail'])}`);
  return (body as unknown as Page).features.map((f) => f.id);
}

const matching = (filter: string, extra: Record<string, string> = {}) => ids({ filter, ...extra });
const matchingJson = (filter: object) => ids({ filter: JSON.stringify(filter), 'filter-lang': 'cql2-json' });

/** Ids of the features PostGIS selects with `condition` (on `geom`), in the stable order. */
async function oracle(condition: string, values: unknown[] = []): Promise<string[]> {
  const rows = await db.query<{ id: string }>({ text: `SELECT id FROM feature WHERE collection_key = $1 AND ${condition} ORDER BY seq`, values: [key, ...values] });
  return rows.map((r) => r.id);
}

/** Ids in the order every next link delivers them. */
async function walk(parameters: Record<string, string>): Promise<{ ids: string[]; pages: Page[] }> {
  const pages: Page[] = [];
  let url: string | undefined = `${server.url}${itemsPath(parameters)}`;
  while (url) {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const page = (await response.json()) as Page;
    pages.push(page);
    url = page.links.find((l) => l.rel === 'next')?.href;
  }
  return { ids: pages.flatMap((p) => p.features.map((f) => f.id)), pages };
}

async function expectProblem(parameters: Record<string, string>, parameter: string, code: string, detail: RegExp): Promise<void> {
  const { status, type, body } = await request(itemsPath(parameters));
  expect(status).toBe(400);
  expect(type).toBe(MEDIA.problem);
  expect(body['type']).toBe(`urn:placelink:problem:${code}`);
  expect(body['parameter']).toBe(parameter);
  expect(body['detail']).toMatch(detail);
}

beforeAll(async () => {
  await createCollection(
    store,
    { id: places, title: 'Places for CQL2' },
    IDS.map((id) => feature(id, GEOMETRIES[id]!, PROPERTIES[id], id === 'A' || id === 'B' ? day(id === 'A' ? 1 : 5) : null)),
  );
  key = (await store.collections.get(places))!.key;
  server = await startTestServer(store);
});

afterAll(async () => {
  await server?.close();
  await store.collections.remove(places);
  await db.close();
});

const LITERALS = [
  'POINT(1 1)',
  'LINESTRING(-1 -1, 5 5)',
  'POLYGON((0.5 0.5, 3 0.5, 3 3, 0.5 3, 0.5 0.5))',
  'MULTIPOINT((0 0), (5 5))',
  'MULTILINESTRING((0 4, 4 0), (10 10, 13 13))',
  'MULTIPOLYGON(((-1 -1, 0.5 -1, 0.5 0.5, -1 0.5, -1 -1)), ((9 9, 14 9, 14 14, 9 14, 9 9)))',
  'GEOMETRYCOLLECTION(POINT(2 2), LINESTRING(5 5, 6 7))',
  'BBOX(-1, -1, 2, 2)',
];
const RELATIONS = ['S_INTERSECTS', 'S_EQUALS', 'S_DISJOINT', 'S_TOUCHES', 'S_WITHIN', 'S_OVERLAPS', 'S_CROSSES', 'S_CONTAINS'];
const asWkt = (literal: string) => (literal.startsWith('BBOX') ? 'POLYGON((-1 -1, 2 -1, 2 2, -1 2, -1 -1))' : literal);

/** One test per conformance class URI: each asserts behaviour that the class itself requires. */
const CLASS_TESTS: Readonly<Record<string, () => Promise<void>>> = {
  async [CONFORMANCE.core]() {
    const landing = await request('/');
    expect(landing.status).toBe(200);
    const rels = (landing.body['links'] as Array<{ rel: string }>).map((l) => l.rel);
    expect(rels).toEqual(expect.arrayContaining(['self', 'service-desc', 'conformance', 'data']));
    const { body: collections } = await request('/collections');
    const listed = (collections['collections'] as Array<{ id: string; links: Array<{ rel: string }> }>).find((c) => c.id === places);
    expect(listed?.links.map((l) => l.rel)).toContain('items');
    const { body } = await request(itemsPath({ limit: '2' }));
    const page = body as unknown as Page & { type: string };
    expect(page).toMatchObject({ type: 'FeatureCollection', numberReturned: 2, numberMatched: IDS.length });
    expect(Date.parse(page.timeStamp!)).not.toBeNaN();
    expect(page.links.map((l) => l.rel)).toContain('next');
    expect((await request(`/collections/${places}/items/C`)).body).toMatchObject({ type: 'Feature', id: 'C' });
    expect((await request(`/collections/${places}/items/nope`)).status).toBe(404);
  },

  async [CONFORMANCE.oas30]() {
    const response = await fetch(`${server.url}/api`, { headers: { Accept: MEDIA.openapi } });
    expect(response.headers.get('content-type')).toBe(MEDIA.openapi);
    const api = (await response.json()) as { openapi: string; paths: Record<string, { get?: { parameters?: unknown[] } }> };
    expect(api.openapi).toMatch(/^3\.0\.\d+$/);
    expect(api.paths['/collections/{collectionId}/items']?.get?.parameters?.length).toBeGreaterThan(5);
  },

  async [CONFORMANCE.html]() {
    for (const [pathAndQuery, headers] of [
      [itemsPath({ f: 'html' }), {}],
      [`/collections/${places}`, { Accept: 'text/html' }],
    ] as const) {
      const response = await fetch(`${server.url}${pathAndQuery}`, { headers });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toMatch(/^<!doctype html>[\s\S]*Places for CQL2/);
    }
  },

  async [CONFORMANCE.geojson]() {
    const { type, body } = await request(itemsPath({}), { Accept: MEDIA.geojson });
    expect(type).toBe(MEDIA.geojson);
    const features = (body as unknown as Page).features;
    expect(features.find((f) => f.id === 'H')).toMatchObject({ type: 'Feature', geometry: GEOMETRIES['H'], properties: { name: 'under_score' } });
    expect(features.find((f) => f.id === 'G')?.geometry).toBeNull();
    const one = await request(`/collections/${places}/items/F`, { Accept: MEDIA.geojson });
    expect(one.type).toBe(MEDIA.geojson);
    expect(one.body['geometry']).toEqual(GEOMETRIES['F']);
  },

  async [CONFORMANCE.crs]() {
    const mercator = epsgCrs(3857).uri;
    const { body: collection } = await request(`/collections/${places}`);
    expect(collection['crs']).toEqual(expect.arrayContaining([CRS84_URI, mercator]));
    expect(collection['storageCrs']).toBe(CRS84_URI);
    const projected = await request(itemsPath({ crs: mercator, filter: "id = 'B'" }));
    expect(projected.headers.get('content-crs')).toBe(`<${mercator}>`);
    const [x, y] = positionTransform(CRS84, 3857)([1, 1]) as [number, number];
    const [px, py] = ((projected.body as unknown as Page).features[0]!.geometry as { coordinates: number[] }).coordinates as [number, number];
    expect(px).toBeCloseTo(x, 3);
    expect(py).toBeCloseTo(y, 3);
    expect(await ids({ bbox: [x - 1, y - 1, x + 1, y + 1].join(','), 'bbox-crs': mercator })).toEqual(['B', 'C', 'D']);
  },

  async [CONFORMANCE.filter]() {
    // filter-lang defaults to CQL2 Text and names either encoding; filter-crs defaults to CRS84.
    expect(await matching('pop >= 30')).toEqual(['C', 'E']);
    expect(await matching('pop >= 30', { 'filter-lang': 'cql2-text' })).toEqual(['C', 'E']);
    expect(await matching(JSON.stringify({ op: '>=', args: [{ property: 'pop' }, 30] }), { 'filter-lang': 'cql2-json' })).toEqual(['C', 'E']);
    const crs84 = await matching('S_INTERSECTS(geometry, POLYGON((0.5 0.5, 3 0.5, 3 3, 0.5 3, 0.5 0.5)))');
    expect(crs84).toEqual(['B', 'C', 'D', 'H', 'I']);
    expect(await matching('S_INTERSECTS(geometry, POLYGON((0.5 0.5, 3 0.5, 3 3, 0.5 3, 0.5 0.5)))', { 'filter-crs': CRS84_URI })).toEqual(crs84);
    const toMercator = positionTransform(CRS84, 3857);
    const mercator = ring(0.5, 0.5, 3, 3).map((p) => toMercator(p).join(' '));
    expect(await matching(`S_INTERSECTS(geometry, POLYGON((${mercator.join(', ')})))`, { 'filter-crs': epsgCrs(3857).uri })).toEqual(crs84);
    await expectProblem({ filter: 'pop > 1', 'filter-lang': 'ecql' }, 'filter-lang', 'invalid-parameter', /cql2-text .* or cql2-json/);
  },

  async [CONFORMANCE.featuresFilter]() {
    // On the items resource, filter is combined with bbox, datetime and queryable parameters by AND.
    expect(await matching("name LIKE 'S%'", { bbox: '0.5,0.5,2,2' })).toEqual(['B']);
    expect(await matching('pop > 5', { open: 'true' })).toEqual(['A', 'C']);
    expect(await matching('pop BETWEEN 10 AND 20', { datetime: '2020-01-03T00:00:00Z/..' })).toEqual(['B']);
    const { body } = await request(itemsPath({ filter: 'pop > 5', limit: '2' }));
    const page = body as unknown as Page;
    expect(page.numberMatched).toBe(5);
    expect(new URL(page.links.find((l) => l.rel === 'next')!.href).searchParams.get('filter')).toBe('pop > 5');
    const api = (await request('/api', { Accept: MEDIA.openapi })).body as { paths: Record<string, { get: { parameters: Array<{ $ref?: string }> } }> };
    const declared = api.paths['/collections/{collectionId}/items']!.get.parameters.map((p) => p.$ref?.split('/').pop());
    expect(declared).toEqual(expect.arrayContaining(['filter', 'filter-lang', 'filter-crs']));
  },

  async [CONFORMANCE.queryables]() {
    const { status, type, body } = await request(`/collections/${places}/queryables`);
    expect(status).toBe(200);
    expect(type).toBe(MEDIA.schemaJson);
    expect(body['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(body['$id']).toBe(`${server.url}/collections/${places}/queryables`);
    expect(body['type']).toBe('object');
    expect(body['additionalProperties']).toBe(false);
    const properties = body['properties'] as Record<string, Record<string, unknown>>;
    expect(properties['id']).toMatchObject({ type: 'string', 'x-ogc-role': 'id' });
    expect(properties['geometry']).toMatchObject({ format: 'geometry-any', 'x-ogc-role': 'primary-geometry' });
    expect(properties['datetime']).toMatchObject({ type: 'string', format: 'date-time', 'x-ogc-role': 'primary-instant' });
    expect(properties['day']).toEqual({ type: 'string', format: 'date' });
    expect(properties['start']).toEqual({ type: 'string', format: 'date-time' });
    expect(properties['pop']).toEqual({ type: 'integer' });
    expect(properties['area']).toEqual({ type: 'number' });
    expect(properties['open']).toEqual({ type: 'boolean' });
    expect(properties['tags']).toEqual({ type: 'array' });
  },

  async [CONFORMANCE.queryablesQueryParameters]() {
    expect(await ids({ name: 'Straße' })).toEqual(['A']);
    expect(await ids({ pop: '20' })).toEqual(['B']);
    expect(await ids({ open: 'false' })).toEqual(['B']);
    expect(await ids({ area: '0.5' })).toEqual(['C']);
    expect(await ids({ day: '2021-01-01' })).toEqual(['C']);
    expect(await ids({ start: '2020-01-05T01:00:00+01:00' })).toEqual(['B']);
    expect(await ids({ id: 'H' })).toEqual(['H']);
    expect((await request(itemsPath({ day: 'yesterday' }))).status).toBe(400);
  },

  async [CONFORMANCE.cql2Text]() {
    // Keywords in any case, double-quoted property names, '' inside strings; errors name the character.
    expect(await matching('"pop" >= 20 aNd NoT ("pop" = 30)', { 'filter-lang': 'cql2-text' })).toEqual(['B', 'E']);
    expect(await matching("name = 'it''s' Or name = '100%'")).toEqual(['G']);
    expect(await matching("start = TIMESTAMP('2020-01-05T00:00:00Z') or S_INTERSECTS(geometry, BBOX(19, 19, 21, 21))")).toEqual(['B', 'I']);
    await expectProblem({ filter: 'pop >= 20 AND' }, 'filter', 'filter-syntax', /at character 14: expected .*found end of filter/);
  },

  async [CONFORMANCE.cql2Json]() {
    // The JSON encoding, with its own literal forms: GeoJSON geometries, {timestamp}, {interval}, {bbox}.
    const notThirty = { op: 'not', args: [{ op: '=', args: [{ property: 'pop' }, 30] }] };
    expect(await matchingJson({ op: 'and', args: [{ op: '>=', args: [{ property: 'pop' }, 20] }, notThirty] })).toEqual(['B', 'E']);
    expect(await matchingJson({ op: 's_intersects', args: [{ property: 'geometry' }, { type: 'Polygon', coordinates: [ring(0.5, 0.5, 3, 3)] }] })).toEqual(['B', 'C', 'D', 'H', 'I']);
    expect(await matchingJson({ op: 's_intersects', args: [{ property: 'geometry' }, { bbox: [19, 19, 21, 21] }] })).toEqual(['I']);
    expect(await matchingJson({ op: '=', args: [{ property: 'start' }, { timestamp: '2020-01-05T00:00:00Z' }] })).toEqual(['B']);
    expect(
      await matchingJson({ op: 't_intersects', args: [{ interval: [{ property: 'start' }, { property: 'end' }] }, { interval: ['2020-01-11T00:00:00Z', '2020-01-12T00:00:00Z'] }] }),
    ).toEqual(['B', 'C']);
    const misplaced = JSON.stringify({ op: 'and', args: [{ op: '=', args: [{ property: 'pop' }, { foo: 1 }] }, true] });
    await expectProblem({ filter: misplaced, 'filter-lang': 'cql2-json' }, 'filter', 'filter-syntax', /at JSON pointer \/args\/0\/args\/1: expected an object with op and args/);
  },

  async [CONFORMANCE.basicCql2]() {
    expect(await matching('pop >= 20 AND pop <> 30')).toEqual(['B', 'E']);
    expect(await matching('pop IS NULL')).toEqual(['D', 'F', 'G', 'H']);
    expect(await matching('NOT (pop > 15)')).toEqual(['A', 'I']);
    expect(await matching('open = true')).toEqual(['A', 'C']);
    expect(await matching("day > DATE('2020-03-01')")).toEqual(['B', 'C']);
    expect(await matching("start = TIMESTAMP('2020-01-05T00:00:00Z')")).toEqual(['B']);
    expect(await matching('TRUE')).toEqual(IDS);
    expect(await matching('NOT TRUE')).toEqual([]);
    expect(await matching("name > 'Z'")).toEqual(['D', 'E', 'F', 'H', 'I']);
  },

  async [CONFORMANCE.advancedComparisonOperators]() {
    expect(await matching("name LIKE 'under_score'")).toEqual(['H', 'I']);
    expect(await matching("name LIKE 'under\\_score'")).toEqual(['H']);
    expect(await matching("name LIKE '100\\%'")).toEqual(['G']);
    expect(await matching("name NOT LIKE '%e%'")).toEqual(['B', 'C', 'D', 'E', 'F', 'G']);
    expect(await matching('pop BETWEEN 10 AND 30')).toEqual(['A', 'B', 'C']);
    expect(await matching('pop NOT BETWEEN 10 AND 30')).toEqual(['E', 'I']);
    expect(await matching("name IN ('Straße', 'か', 'nope')")).toEqual(['A', 'F']);
    expect(await matching('pop NOT IN (10, 50)')).toEqual(['B', 'C', 'I']);
  },

  async [CONFORMANCE.caseInsensitiveComparison]() {
    // Full Unicode case folding: ß = ss, final sigma.
    expect(await matching("CASEI(name) = casei('strasse')")).toEqual(['A', 'B']);
    expect(await matching("CASEI(name) = casei('σίσυφος')")).toEqual(['D']);
    expect(await matching("CASEI(name) LIKE casei('STR%')")).toEqual(['A', 'B']);
  },

  async [CONFORMANCE.accentInsensitiveComparison]() {
    // Diacritics removed, the Japanese sound marks kept.
    expect(await matching("ACCENTI(name) = accenti('Chisinau')")).toEqual(['C']);
    expect(await matching("ACCENTI(name) = 'か'")).toEqual(['F']);
    expect(await matching("ACCENTI(CASEI(name)) = accenti(casei('CHIȘINĂU'))")).toEqual(['C']);
  },

  async [CONFORMANCE.basicSpatialFunctions]() {
    // S_INTERSECTS with POINT and BBOX literals, a BBOX across the antimeridian included.
    expect(await matching('S_INTERSECTS(geometry, POINT(1 1))')).toEqual(await oracle("ST_Intersects(geom, 'SRID=4326;POINT(1 1)'::geometry)"));
    expect(await matching('S_INTERSECTS(geometry, POINT(1 1))')).toEqual(['B', 'C', 'D']);
    expect(await matching('S_INTERSECTS(geometry, BBOX(-1, -1, 2, 2))')).toEqual(await oracle('ST_Intersects(geom, ST_MakeEnvelope(-1, -1, 2, 2, 4326))'));
    expect(await matching('S_INTERSECTS(geometry, BBOX(-1, -1, 2, 2)) AND NOT S_INTERSECTS(geometry, POINT(1 1))')).toEqual(['A', 'H', 'I']);
    const acrossAntimeridian = await matching('S_INTERSECTS(geometry, BBOX(10.5, -90, 0.5, 90))');
    expect(acrossAntimeridian).toEqual(await oracle('(ST_Intersects(geom, ST_MakeEnvelope(10.5, -90, 180, 90, 4326)) OR ST_Intersects(geom, ST_MakeEnvelope(-180, -90, 0.5, 90, 4326)))'));
    expect(acrossAntimeridian).toEqual(['A', 'C', 'D', 'E', 'H', 'I']);
    expect(await matching('S_INTERSECTS(geometry, BBOX(150, -90, -150, 90))')).toEqual([]);
  },

  async [CONFORMANCE.basicSpatialFunctionsPlus]() {
    // S_INTERSECTS with every other geometry type, and polygons with holes.
    for (const literal of LITERALS.filter((l) => !/^(POINT|BBOX)/.test(l))) {
      expect(await matching(`S_INTERSECTS(geometry, ${literal})`), literal).toEqual(await oracle('ST_Intersects(geom, ST_GeomFromText($2, 4326))', [literal]));
    }
    const holed = 'POLYGON((-2 -2, 3 -2, 3 3, -2 3, -2 -2), (0.5 0.5, 1.5 0.5, 1.5 1.5, 0.5 1.5, 0.5 0.5))';
    expect(await matching(`S_INTERSECTS(geometry, ${holed})`)).toEqual(['A', 'C', 'D', 'H', 'I']);
    expect(await matching(`S_INTERSECTS(geometry, MULTIPOLYGON((${holed.slice('POLYGON('.length, -1)}), ((9 9, 9.5 9, 9.5 9.5, 9 9))))`)).toEqual(['A', 'C', 'D', 'H', 'I']);
  },

  async [CONFORMANCE.spatialFunctions]() {
    // Every S_ function on every geometry type, in both argument orders, as PostGIS decides.
    let nonEmpty = 0;
    for (const relation of RELATIONS) {
      const postgis = `ST_${relation.slice(2)}`;
      for (const literal of LITERALS) {
        const got = await matching(`${relation}(geometry, ${literal})`);
        expect(got, `${relation}(geometry, ${literal})`).toEqual(await oracle(`${postgis}(geom, ST_GeomFromText($2, 4326))`, [asWkt(literal)]));
        const swapped = await matching(`${relation}(${literal}, geometry)`);
        expect(swapped, `${relation}(${literal}, geometry)`).toEqual(await oracle(`${postgis}(ST_GeomFromText($2, 4326), geom)`, [asWkt(literal)]));
        if (got.length > 0) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(25);
  },

  async [CONFORMANCE.temporalFunctions]() {
    // Instants, dates against timestamps, open interval ends and the primary instant.
    expect(await matching("T_AFTER(day, TIMESTAMP('2020-06-15T00:00:00Z'))")).toEqual(['C']);
    expect(await matching("T_EQUALS(day, DATE('2020-06-15'))")).toEqual(['B']);
    expect(await matching("T_INTERSECTS(datetime, INTERVAL('2020-01-03T00:00:00Z', '..'))")).toEqual(['B']);
    expect(await matching("T_BEFORE(start, INTERVAL('..', '..'))")).toEqual([]);
    expect(await matching(`T_DURING(INTERVAL(start, end), INTERVAL('${day(4)}', '..'))`)).toEqual(['B', 'C']);
  },

  async [CONFORMANCE.arrayFunctions]() {
    // A_ functions compare arrays as sets; a missing array is unknown.
    expect(await matching("A_CONTAINS(tags, ('a'))")).toEqual(['A', 'C']);
    expect(await matching("A_CONTAINEDBY(tags, ('a', 'b'))")).toEqual(['A', 'C', 'E']);
    expect(await matching("A_EQUALS(tags, ('b', 'a'))")).toEqual(['A']);
    expect(await matching("A_OVERLAPS(tags, ('c', 'x'))")).toEqual(['B']);
    expect(await matching("NOT A_OVERLAPS(tags, ('c', 'x'))")).toEqual(['A', 'C', 'E']);
    expect(await matchingJson({ op: 'a_contains', args: [{ property: 'tags' }, ['b']] })).toEqual(['A', 'B']);
  },

  async [CONFORMANCE.propertyProperty]() {
    // Properties on both sides, literals on the left.
    expect(await matching('pop > area')).toEqual(['A', 'B', 'C']);
    expect(await matching('30 <= pop')).toEqual(['C', 'E']);
    expect(await matching('S_INTERSECTS(geometry, geometry)')).toEqual(IDS.filter((id) => GEOMETRIES[id]));
    expect(await matching('T_BEFORE(start, end)')).toEqual(['A', 'B', 'C']);
  },

  async [CONFORMANCE.functions]() {
    // The registry at /functions, each function evaluated as PostGIS does.
    const { status, body } = await request('/functions');
    expect(status).toBe(200);
    const schema = parseYaml(readFileSync(path.join(CONFORMANCE_DIR, 'ogcapi-features', 'part3-filtering-1.0.0', 'openapi', 'schemas', 'functions.yml'), 'utf8')) as object;
    expect(new Ajv.default({ strict: false, validateFormats: false }).validate(schema, body)).toBe(true);
    expect((body['functions'] as Array<{ name: string }>).map((f) => f.name)).toEqual(['s_area', 's_length', 's_distance', 's_dwithin', 'char_length']);
    expect(await matching('s_area(geometry) > 20000000000')).toEqual(await oracle('ST_Area(geom::geography) > 20000000000'));
    expect(await matching('s_length(geometry) > 200000')).toEqual(await oracle('ST_Length(geom::geography) > 200000'));
    expect(await matching('s_distance(geometry, POINT(0 0)) < 200000')).toEqual(await oracle("ST_Distance(geom::geography, 'SRID=4326;POINT(0 0)'::geography) < 200000"));
    expect(await matching('s_dwithin(geometry, POINT(0 0), 200000)')).toEqual(await oracle("ST_DWithin(geom::geography, 'SRID=4326;POINT(0 0)'::geography, 200000)"));
    expect(await matching('s_dwithin(geometry, POINT(0 0), 200000)')).toEqual(['A', 'B', 'C', 'D']);
    expect(await matching('char_length(name) = 6')).toEqual(IDS.filter((id) => [...String(PROPERTIES[id]!['name'])].length === 6));
    await expectProblem({ filter: 'avg(pop) > 1' }, 'filter', 'invalid-filter', /no function 'avg'/);
  },

  async [CONFORMANCE.arithmetic]() {
    // + - * / % div ^, with null for undefined results.
    expect(await matching('pop + 5 = 15')).toEqual(['A']);
    expect(await matching('pop * 2 - 10 = 30')).toEqual(['B']);
    expect(await matching('pop % 20 = 10')).toEqual(['A', 'C', 'E']);
    expect(await matching('pop div 20 = 1')).toEqual(['B', 'C']);
    expect(await matching('pop / 4 = 2.5')).toEqual(['A']);
    expect(await matching('pop ^ 2 = 400')).toEqual(['B']);
    expect(await matching('pop / 0 = 1')).toEqual([]);
    expect(await matching('NOT ((pop - 10) ^ 0.5 > 0)')).toEqual(['A']);
  },

  async [CONFORMANCE.sortables]() {
    // The queryables with ordered values, linked from the collection.
    const { status, type, body } = await request(`/collections/${places}/sortables`);
    expect(status).toBe(200);
    expect(type).toBe(MEDIA.schemaJson);
    const names = Object.keys(body['properties'] as object);
    expect(names).toEqual(expect.arrayContaining(['id', 'datetime', 'name', 'pop', 'day', 'start']));
    expect(names).not.toContain('geometry');
    expect(names).not.toContain('tags');
    const links = (await request(`/collections/${places}`)).body['links'] as Array<{ rel: string; type: string }>;
    expect(links).toContainEqual(expect.objectContaining({ rel: 'http://www.opengis.net/def/rel/ogc/1.0/sortables', type: MEDIA.schemaJson }));
  },

  async [CONFORMANCE.sorting]() {
    // Several keys, either direction, missing values last, ties in the stable order.
    expect(await ids({ sortby: '-pop' })).toEqual(['E', 'C', 'B', 'A', 'I', 'D', 'F', 'G', 'H']);
    expect(await ids({ sortby: 'pop' })).toEqual(['I', 'A', 'B', 'C', 'E', 'D', 'F', 'G', 'H']);
    expect(await ids({ sortby: 'open,-pop' })).toEqual(['B', 'C', 'A', 'E', 'I', 'D', 'F', 'G', 'H']);
    const byName = IDS.map((id) => [id, String(PROPERTIES[id]!['name'])] as const).sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
    expect(await ids({ sortby: 'name' })).toEqual(byName.map(([id]) => id));
    expect(await ids({ sortby: '-id' })).toEqual([...IDS].reverse());
  },

  async [CONFORMANCE.featuresSorting]() {
    // On the items resource: a sorted, filtered selection paged with next and prev links and offset.
    const all = await ids({ sortby: '-open,pop', filter: 'TRUE' });
    const forward = await walk({ sortby: '-open,pop', filter: 'TRUE', limit: '2' });
    expect(forward.ids).toEqual(all);
    expect(forward.pages.map((p) => p.numberMatched)).toEqual(forward.pages.map(() => IDS.length));
    const back: string[][] = [];
    let prev = forward.pages.at(-1)!.links.find((l) => l.rel === 'prev')?.href;
    while (prev) {
      const page = (await (await fetch(prev)).json()) as Page;
      back.unshift(page.features.map((f) => f.id));
      prev = page.links.find((l) => l.rel === 'prev')?.href;
    }
    expect(back).toEqual(forward.pages.slice(0, -1).map((p) => p.features.map((f) => f.id)));
    expect(await ids({ sortby: '-open,pop', offset: '3', limit: '2' })).toEqual(all.slice(3, 5));
  },

  async [CONFORMANCE.properties]() {
    // Only the listed properties, none for an empty list; an unknown name is refused.
    const { body } = await request(itemsPath({ properties: 'name,pop', filter: "id IN ('A', 'F')" }));
    expect((body as unknown as Page).features.map((f) => f.properties)).toEqual([{ name: 'Straße', pop: 10 }, { name: 'か' }]);
    const none = await request(itemsPath({ properties: '', limit: '1' }));
    expect((none.body as unknown as Page).features[0]!.properties).toEqual({});
    const refused = await request(itemsPath({ properties: 'name,nope' }));
    expect(refused.status).toBe(400);
    expect(refused.body['detail']).toMatch(/'nope'|"nope"/);
  },

  async [CONFORMANCE.propertiesFeatures]() {
    // The selection applies to one feature as to the items, and keeps the id and the geometry.
    const one = await request(`/collections/${places}/items/B?properties=open,geometry`);
    expect(one.body).toMatchObject({ id: 'B', properties: { open: false }, geometry: GEOMETRIES['B'] });
    expect(Object.keys(one.body['properties'] as object)).toEqual(['open']);
    const { body } = await request(itemsPath({ properties: 'pop', filter: "id = 'C'" }));
    expect((body as unknown as Page).features[0]).toMatchObject({ id: 'C', properties: { pop: 30 } });
    expect(Object.keys((body as unknown as Page).features[0]!.properties)).toEqual(['pop']);
  },
};

describe('every declared conformance class has a test of its own', () => {
  it('/conformance lists exactly the classes of the composed building blocks, and each has a test here', async () => {
    const { body } = await request('/conformance');
    expect(body['conformsTo']).toEqual(DECLARED);
    expect(DECLARED.filter((uri) => !Object.hasOwn(CLASS_TESTS, uri))).toEqual([]);
    expect(Object.keys(CLASS_TESTS).filter((uri) => !DECLARED.includes(uri))).toEqual([]);
  });

  it.each(DECLARED)('%s', async (uri) => {
    const test = CLASS_TESTS[uri];
    expect(test, `conformance class ${uri} is declared but has no test in CLASS_TESTS`).toBeDefined();
    await test!();
  });
});

describe('filter, filter-lang, filter-crs: details', () => {
  it('reads geometry literals in the axis order of filter-crs', async () => {
    const crs84 = await matching('S_INTERSECTS(geometry, POLYGON((0.5 0.5, 3 0.5, 3 3, 0.5 3, 0.5 0.5)))');
    const latLon = await matching('S_INTERSECTS(geometry, POLYGON((0.5 0.5, 0.5 3, 3 3, 3 0.5, 0.5 0.5)))', { 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/4326' });
    expect(latLon).toEqual(crs84);
    const [x, y] = positionTransform(CRS84, 3857)([1, 1]) as [number, number];
    expect(await matching(`S_INTERSECTS(geometry, BBOX(${x - 1}, ${y - 1}, ${x + 1}, ${y + 1}))`, { 'filter-crs': epsgCrs(3857).uri })).toEqual(['B', 'C', 'D']);
  });

  it.each([
    [{ filter: 'pop >', 'filter-lang': 'cql2-text' }, 'filter', 'filter-syntax', /at character 6: expected a property name, a value or a function, found end of filter/],
    [{ filter: '{"op":', 'filter-lang': 'cql2-json' }, 'filter', 'filter-syntax', /line 1, column \d+ of the JSON/],
    [{ filter: 'popx = 1' }, 'filter', 'unknown-queryable', /'popx'.*queryables: id, geometry, datetime, area, day, end, name, open, pop, start, tags/],
    [{ filter: "pop = 'ten'" }, 'filter', 'filter-type', /cannot compare a number with a string/],
    [{ 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/4326' }, 'filter-crs', 'invalid-parameter', /only meaningful together with filter/],
    [{ filter: 'S_INTERSECTS(geometry, POINT(1 1))', 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/99999' }, 'filter-crs', 'unsupported-crs', /not in placelink's CRS registry/],
  ])('%j → 400 %s (%s)', async (parameters, parameter, code, detail) => {
    await expectProblem(parameters as Record<string, string>, parameter, code, detail);
  });
});

describe('queryables: details', () => {
  it('have an HTML page, and a 404 for an unknown collection', async () => {
    const { body } = await request(`/collections/${places}`);
    const links = body['links'] as Array<{ rel: string; href: string; type: string }>;
    expect(links).toContainEqual(expect.objectContaining({ rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables', type: MEDIA.schemaJson }));
    const html = await fetch(`${server.url}/collections/${places}/queryables?f=html`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('primary-geometry');
    expect((await request('/collections/no-such/queryables')).status).toBe(404);
  });
});

describe('spatial-functions: details', () => {
  it('repairs an invalid literal (self-intersecting ring) instead of failing', async () => {
    const { status } = await request(itemsPath({ filter: 'S_OVERLAPS(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))' }));
    expect(status).toBe(200);
  });
});

describe('temporal-functions: every T_ function on intervals', () => {
  const TEMPORAL: Array<[string, string, string[]]> = [
    ['T_AFTER', "INTERVAL('..', '2020-01-04T00:00:00Z')", ['B', 'C']],
    ['T_BEFORE', "INTERVAL('2020-01-12T00:00:00Z', '..')", ['A']],
    ['T_CONTAINS', `INTERVAL('${day(6)}', '${day(9)}')`, ['A', 'B']],
    ['T_DISJOINT', `INTERVAL('${day(16)}', '${day(18)}')`, ['A', 'C']],
    ['T_DURING', `INTERVAL('${day(4)}', '${day(16)}')`, ['C']],
    ['T_EQUALS', `INTERVAL('${day(5)}', '${day(20)}')`, ['B']],
    ['T_FINISHEDBY', `INTERVAL('${day(12)}', '${day(15)}')`, ['C']],
    ['T_FINISHES', `INTERVAL('2019-12-31T00:00:00Z', '${day(10)}')`, ['A']],
    ['T_INTERSECTS', `INTERVAL('${day(11)}', '${day(12)}')`, ['B', 'C']],
    ['T_MEETS', `INTERVAL('${day(10)}', '${day(30)}')`, ['A']],
    ['T_METBY', `INTERVAL('${day(1)}', '${day(5)}')`, ['B']],
    ['T_OVERLAPPEDBY', `INTERVAL('${day(3)}', '${day(7)}')`, ['B']],
    ['T_OVERLAPS', `INTERVAL('${day(8)}', '${day(12)}')`, ['A']],
    ['T_STARTEDBY', `INTERVAL('${day(5)}', '${day(10)}')`, ['B']],
    ['T_STARTS', `INTERVAL('${day(10)}', '${day(30)}')`, ['C']],
  ];

  it.each(TEMPORAL)('%s(INTERVAL(start, end), %s)', async (fn, interval, expected) => {
    expect(await matching(`${fn}(INTERVAL(start, end), ${interval})`)).toEqual(expected);
    const others = ['A', 'B', 'C'].filter((id) => !expected.includes(id));
    expect(await matching(`NOT ${fn}(INTERVAL(start, end), ${interval})`)).toEqual(others);
  });
});

describe('sortby: details', () => {
  it('reads an unencoded + as ascending', async () => {
    const response = await fetch(`${server.url}/collections/${places}/items?limit=100&sortby=+pop`);
    expect(((await response.json()) as Page).features.map((f) => f.id)).toEqual(await ids({ sortby: 'pop' }));
  });

  it('refuses unknown or unsortable keys, and a cursor of another sortby', async () => {
    expect((await request(itemsPath({ sortby: 'nope' }))).body['detail']).toMatch(/sortables: id, datetime, area/);
    expect((await request(itemsPath({ sortby: 'geometry' }))).status).toBe(400);
    expect((await request(itemsPath({ sortby: 'pop,-pop' }))).status).toBe(400);
    const { body } = await request(itemsPath({ sortby: 'pop', limit: '2' }));
    const next = new URL((body as unknown as Page).links.find((l) => l.rel === 'next')!.href);
    next.searchParams.set('sortby', '-pop');
    const replay = await fetch(next);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { parameter: string }).parameter).toBe('cursor');
  });
});
