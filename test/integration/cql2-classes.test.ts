import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import type { Geometry } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Database } from '../../src/db/database.js';
import { CRS84, epsgCrs } from '../../src/geo/crs-registry.js';
import { positionTransform } from '../../src/geo/reproject.js';
import type { Store } from '../../src/services/ports.js';
import { CONFORMANCE_DIR } from '../helpers/cql2-dataset.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, feature } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

/**
 * One test (at least) for each declared class of Part 3, CQL2, sorting and property selection, on
 * a small collection written for it: every geometry type, Unicode names, typed properties,
 * intervals, arrays and missing values. Spatial results are checked against PostGIS itself.
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

let db: Database;
let store: Store;
let server: TestServer;
let key: number;
const places = uniqueId('places');

interface Page {
  features: Array<{ id: string; geometry: unknown; properties: Record<string, unknown> }>;
  numberMatched?: number;
  links: Array<{ rel: string; href: string }>;
}

async function request(pathAndQuery: string): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${pathAndQuery}`);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
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
const sorted = (list: string[]) => [...list].sort();

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

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
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
  await store?.collections.remove(places);
  await db?.close();
});

describe('queryables (Part 3 queryables)', () => {
  it('are a JSON Schema with roles for the id, the primary geometry and the primary instant, typed dates and arrays', async () => {
    const { status, type, body } = await request(`/collections/${places}/queryables`);
    expect(status).toBe(200);
    expect(type).toBe('application/schema+json');
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
  });

  it('are linked from the collection with the OGC relation, and have an HTML page', async () => {
    const { body } = await request(`/collections/${places}`);
    const links = body['links'] as Array<{ rel: string; href: string; type: string }>;
    expect(links).toContainEqual(expect.objectContaining({ rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables', type: 'application/schema+json' }));
    expect(links).toContainEqual(expect.objectContaining({ rel: 'http://www.opengis.net/def/rel/ogc/1.0/sortables', type: 'application/schema+json' }));
    const html = await fetch(`${server.url}/collections/${places}/queryables?f=html`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('primary-geometry');
    expect((await request('/collections/no-such/queryables')).status).toBe(404);
  });

  it('are equality query parameters, typed (queryables-query-parameters)', async () => {
    expect(await ids({ name: 'Straße' })).toEqual(['A']);
    expect(await ids({ pop: '20' })).toEqual(['B']);
    expect(await ids({ open: 'false' })).toEqual(['B']);
    expect(await ids({ area: '0.5' })).toEqual(['C']);
    expect(await ids({ day: '2021-01-01' })).toEqual(['C']);
    expect(await ids({ start: '2020-01-05T01:00:00+01:00' })).toEqual(['B']);
    expect(await ids({ id: 'H' })).toEqual(['H']);
    expect((await request(itemsPath({ day: 'yesterday' }))).status).toBe(400);
  });
});

describe('filter, filter-lang, filter-crs (Part 3 filter, features-filter)', () => {
  it('combines filter with bbox and the parameters by AND', async () => {
    expect(await matching("name LIKE 'S%'", { bbox: '0.5,0.5,2,2' })).toEqual(['B']);
    expect(await matching('pop > 5', { open: 'true' })).toEqual(['A', 'C']);
  });

  it('reads CQL2 JSON given by filter-lang', async () => {
    expect(await matching(JSON.stringify({ op: '>=', args: [{ property: 'pop' }, 30] }), { 'filter-lang': 'cql2-json' })).toEqual(['C', 'E']);
  });

  it('reads geometry literals in filter-crs, in that CRS axis order', async () => {
    const crs84 = await matching('S_INTERSECTS(geometry, POLYGON((0.5 0.5, 3 0.5, 3 3, 0.5 3, 0.5 0.5)))');
    expect(sorted(crs84)).toEqual(['B', 'C', 'D', 'H', 'I']);
    const latLon = await matching('S_INTERSECTS(geometry, POLYGON((0.5 0.5, 0.5 3, 3 3, 3 0.5, 0.5 0.5)))', { 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/4326' });
    expect(latLon).toEqual(crs84);
    const toMercator = positionTransform(CRS84, 3857);
    const mercator = [
      [0.5, 0.5],
      [3, 0.5],
      [3, 3],
      [0.5, 3],
      [0.5, 0.5],
    ].map((p) => toMercator(p).join(' '));
    expect(await matching(`S_INTERSECTS(geometry, POLYGON((${mercator.join(', ')})))`, { 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/3857' })).toEqual(crs84);
    const [x, y] = positionTransform(CRS84, 3857)([1, 1]) as [number, number];
    expect(await matching(`S_INTERSECTS(geometry, BBOX(${x - 1}, ${y - 1}, ${x + 1}, ${y + 1}))`, { 'filter-crs': epsgCrs(3857).uri })).toEqual(['B', 'C', 'D']);
  });

  it.each([
    [{ filter: 'pop >', 'filter-lang': 'cql2-text' }, 'filter', 'filter-syntax', /at character 6: expected a property name, a value or a function, found end of filter/],
    [{ filter: '{"op":', 'filter-lang': 'cql2-json' }, 'filter', 'filter-syntax', /line 1, column \d+ of the JSON/],
    [{ filter: 'popx = 1' }, 'filter', 'unknown-queryable', /'popx'.*queryables: id, geometry, datetime, area, day, end, name, open, pop, start, tags/],
    [{ filter: "pop = 'ten'" }, 'filter', 'filter-type', /cannot compare a number with a string/],
    [{ filter: 'avg(pop) > 1' }, 'filter', 'invalid-filter', /no function 'avg'/],
    [{ filter: 'pop > 1', 'filter-lang': 'ecql' }, 'filter-lang', 'invalid-parameter', /cql2-text .* or cql2-json/],
    [{ 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/4326' }, 'filter-crs', 'invalid-parameter', /only meaningful together with filter/],
    [{ filter: 'S_INTERSECTS(geometry, POINT(1 1))', 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/99999' }, 'filter-crs', 'unsupported-crs', /not in placelink's CRS registry/],
  ])('%j → 400 %s (%s)', async (parameters, parameter, code, detail) => {
    const { status, type, body } = await request(itemsPath(parameters as Record<string, string>));
    expect(status).toBe(400);
    expect(type).toBe('application/problem+json');
    expect(body['type']).toBe(`urn:placelink:problem:${code}`);
    expect(body['parameter']).toBe(parameter);
    expect(body['detail']).toMatch(detail);
  });
});

describe('CQL2 classes', () => {
  it('basic-cql2: comparisons, IS NULL, three-valued NOT, boolean and temporal literals', async () => {
    expect(await matching('pop >= 20 AND pop <> 30')).toEqual(['B', 'E']);
    expect(await matching('pop IS NULL')).toEqual(['D', 'F', 'G', 'H']);
    expect(await matching('NOT (pop > 15)')).toEqual(['A', 'I']);
    expect(await matching('open = true')).toEqual(['A', 'C']);
    expect(await matching("day > DATE('2020-03-01')")).toEqual(['B', 'C']);
    expect(await matching("start = TIMESTAMP('2020-01-05T00:00:00Z')")).toEqual(['B']);
    expect(await matching('TRUE')).toEqual(IDS);
    expect(await matching('NOT TRUE')).toEqual([]);
    expect(await matching("name > 'Z'")).toEqual(['D', 'E', 'F', 'H', 'I']);
  });

  it('advanced-comparison-operators: LIKE with wildcards and escapes, BETWEEN inclusive, IN', async () => {
    expect(await matching("name LIKE 'under_score'")).toEqual(['H', 'I']);
    expect(await matching("name LIKE 'under\\_score'")).toEqual(['H']);
    expect(await matching("name LIKE '100\\%'")).toEqual(['G']);
    expect(await matching("name NOT LIKE '%e%'")).toEqual(['B', 'C', 'D', 'E', 'F', 'G']);
    expect(await matching('pop BETWEEN 10 AND 30')).toEqual(['A', 'B', 'C']);
    expect(await matching('pop NOT BETWEEN 10 AND 30')).toEqual(['E', 'I']);
    expect(await matching("name IN ('Straße', 'か', 'nope')")).toEqual(['A', 'F']);
    expect(await matching('pop NOT IN (10, 50)')).toEqual(['B', 'C', 'I']);
  });

  it('case-insensitive-comparison: CASEI is full Unicode case folding (ß = ss, final sigma)', async () => {
    expect(await matching("CASEI(name) = casei('strasse')")).toEqual(['A', 'B']);
    expect(await matching("CASEI(name) = casei('σίσυφος')")).toEqual(['D']);
    expect(await matching("CASEI(name) LIKE casei('STR%')")).toEqual(['A', 'B']);
  });

  it('accent-insensitive-comparison: ACCENTI removes diacritics but keeps the Japanese sound marks', async () => {
    expect(await matching("ACCENTI(name) = accenti('Chisinau')")).toEqual(['C']);
    expect(await matching("ACCENTI(name) = 'か'")).toEqual(['F']);
    expect(await matching("ACCENTI(CASEI(name)) = accenti(casei('CHIȘINĂU'))")).toEqual(['C']);
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

  it('basic-spatial-functions, basic-spatial-functions-plus and spatial-functions: every S_ function on every geometry type, as PostGIS decides', async () => {
    let nonEmpty = 0;
    for (const relation of RELATIONS) {
      for (const literal of LITERALS) {
        const wkt = literal.startsWith('BBOX') ? 'POLYGON((-1 -1, 2 -1, 2 2, -1 2, -1 -1))' : literal;
        const expected = await db.query<{ id: string }>({
          text: `SELECT id FROM feature WHERE collection_key = $1 AND ST_${relation.slice(2)}(geom, ST_GeomFromText($2, 4326)) ORDER BY seq`,
          values: [key, wkt],
        });
        const got = await matching(`${relation}(geometry, ${literal})`);
        expect(got, `${relation}(geometry, ${literal})`).toEqual(expected.map((r) => r.id));
        const swapped = await matching(`${relation}(${literal}, geometry)`);
        const expectedSwapped = await db.query<{ id: string }>({
          text: `SELECT id FROM feature WHERE collection_key = $1 AND ST_${relation.slice(2)}(ST_GeomFromText($2, 4326), geom) ORDER BY seq`,
          values: [key, wkt],
        });
        expect(swapped, `${relation}(${literal}, geometry)`).toEqual(expectedSwapped.map((r) => r.id));
        if (got.length > 0) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(25);
  });

  it('spatial-functions: an invalid literal (self-intersecting ring) is repaired, not a server error', async () => {
    const { status } = await request(itemsPath({ filter: 'S_OVERLAPS(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))' }));
    expect(status).toBe(200);
  });

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

  it.each(TEMPORAL)('temporal-functions: %s(INTERVAL(start, end), %s)', async (fn, interval, expected) => {
    expect(await matching(`${fn}(INTERVAL(start, end), ${interval})`)).toEqual(expected);
    const others = ['A', 'B', 'C'].filter((id) => !expected.includes(id));
    expect(await matching(`NOT ${fn}(INTERVAL(start, end), ${interval})`)).toEqual(others);
  });

  it('temporal-functions: instants, dates against timestamps, open ends and the primary instant', async () => {
    expect(await matching("T_AFTER(day, TIMESTAMP('2020-06-15T00:00:00Z'))")).toEqual(['C']);
    expect(await matching("T_EQUALS(day, DATE('2020-06-15'))")).toEqual(['B']);
    expect(await matching("T_INTERSECTS(datetime, INTERVAL('2020-01-03T00:00:00Z', '..'))")).toEqual(['B']);
    expect(await matching("T_BEFORE(start, INTERVAL('..', '..'))")).toEqual([]);
  });

  it('array-functions: A_ functions compare arrays as sets; a missing array is unknown', async () => {
    expect(await matching("A_CONTAINS(tags, ('a'))")).toEqual(['A', 'C']);
    expect(await matching("A_CONTAINEDBY(tags, ('a', 'b'))")).toEqual(['A', 'C', 'E']);
    expect(await matching("A_EQUALS(tags, ('b', 'a'))")).toEqual(['A']);
    expect(await matching("A_OVERLAPS(tags, ('c', 'x'))")).toEqual(['B']);
    expect(await matching("NOT A_OVERLAPS(tags, ('c', 'x'))")).toEqual(['A', 'C', 'E']);
    expect(await matching(JSON.stringify({ op: 'a_contains', args: [{ property: 'tags' }, ['b']] }), { 'filter-lang': 'cql2-json' })).toEqual(['A', 'B']);
  });

  it('property-property: properties on both sides, literals on the left', async () => {
    expect(await matching('pop > area')).toEqual(['A', 'B', 'C']);
    expect(await matching('30 <= pop')).toEqual(['C', 'E']);
    expect(await matching('S_INTERSECTS(geometry, geometry)')).toEqual(IDS.filter((id) => GEOMETRIES[id]));
    expect(await matching('T_BEFORE(start, end)')).toEqual(['A', 'B', 'C']);
  });

  it('arithmetic: + - * / % div ^, with null for undefined results', async () => {
    expect(await matching('pop + 5 = 15')).toEqual(['A']);
    expect(await matching('pop * 2 - 10 = 30')).toEqual(['B']);
    expect(await matching('pop % 20 = 10')).toEqual(['A', 'C', 'E']);
    expect(await matching('pop div 20 = 1')).toEqual(['B', 'C']);
    expect(await matching('pop / 4 = 2.5')).toEqual(['A']);
    expect(await matching('pop ^ 2 = 400')).toEqual(['B']);
    expect(await matching('pop / 0 = 1')).toEqual([]);
    expect(await matching('NOT ((pop - 10) ^ 0.5 > 0)')).toEqual(['A']);
  });

  it('functions: the registry at /functions, each function evaluated as PostGIS does', async () => {
    const { status, body } = await request('/functions');
    expect(status).toBe(200);
    const schema = parseYaml(readFileSync(path.join(CONFORMANCE_DIR, 'ogcapi-features', 'part3-filtering-1.0.0', 'openapi', 'schemas', 'functions.yml'), 'utf8')) as object;
    expect(new Ajv.default({ strict: false, validateFormats: false }).validate(schema, body)).toBe(true);
    expect((body['functions'] as Array<{ name: string }>).map((f) => f.name)).toEqual(['s_area', 's_length', 's_distance', 's_dwithin', 'char_length']);

    const oracle = async (sql: string) =>
      (await db.query<{ id: string }>({ text: `SELECT id FROM feature WHERE collection_key = $1 AND ${sql} ORDER BY seq`, values: [key] })).map((r) => r.id);
    expect(await matching('s_area(geometry) > 20000000000')).toEqual(await oracle('ST_Area(geom::geography) > 20000000000'));
    expect(await matching('s_length(geometry) > 200000')).toEqual(await oracle('ST_Length(geom::geography) > 200000'));
    expect(await matching('s_distance(geometry, POINT(0 0)) < 200000')).toEqual(await oracle("ST_Distance(geom::geography, 'SRID=4326;POINT(0 0)'::geography) < 200000"));
    expect(await matching('s_dwithin(geometry, POINT(0 0), 200000)')).toEqual(await oracle("ST_DWithin(geom::geography, 'SRID=4326;POINT(0 0)'::geography, 200000)"));
    expect(await matching('s_dwithin(geometry, POINT(0 0), 200000)')).toEqual(['A', 'B', 'C', 'D']);
    expect(await matching('char_length(name) = 6')).toEqual(IDS.filter((id) => [...String(PROPERTIES[id]!['name'])].length === 6));
  });
});

describe('sortby (Part 8 draft sorting, features-sorting, sortables)', () => {
  it('sortables are the queryables with ordered values', async () => {
    const { status, type, body } = await request(`/collections/${places}/sortables`);
    expect(status).toBe(200);
    expect(type).toBe('application/schema+json');
    const names = Object.keys(body['properties'] as object);
    expect(names).toEqual(expect.arrayContaining(['id', 'datetime', 'name', 'pop', 'day', 'start']));
    expect(names).not.toContain('geometry');
    expect(names).not.toContain('tags');
  });

  it('orders by several keys, either direction, missing values last, ties in the stable order', async () => {
    expect(await ids({ sortby: '-pop' })).toEqual(['E', 'C', 'B', 'A', 'I', 'D', 'F', 'G', 'H']);
    expect(await ids({ sortby: 'pop' })).toEqual(['I', 'A', 'B', 'C', 'E', 'D', 'F', 'G', 'H']);
    expect(await ids({ sortby: 'open,-pop' })).toEqual(['B', 'C', 'A', 'E', 'I', 'D', 'F', 'G', 'H']);
    const byName = IDS.map((id) => [id, String(PROPERTIES[id]!['name'])] as const).sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
    expect(await ids({ sortby: 'name' })).toEqual(byName.map(([id]) => id));
    expect(await ids({ sortby: '-id' })).toEqual([...IDS].reverse());
  });

  it('pages through a sorted, filtered selection with next and prev links, losing and repeating nothing', async () => {
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
    const offset = await ids({ sortby: '-open,pop', offset: '3', limit: '2' });
    expect(offset).toEqual(all.slice(3, 5));
  });

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

describe('properties (Part 6 draft property selection)', () => {
  it('returns only the selected properties, none for an empty list, on items and on one feature', async () => {
    const { body } = await request(itemsPath({ properties: 'name,pop', filter: "id IN ('A', 'F')" }));
    expect((body as unknown as Page).features.map((f) => f.properties)).toEqual([{ name: 'Straße', pop: 10 }, { name: 'か' }]);
    const none = await request(itemsPath({ properties: '', limit: '1' }));
    expect((none.body as unknown as Page).features[0]!.properties).toEqual({});
    const one = await request(`/collections/${places}/items/B?properties=open,geometry`);
    expect(one.body['properties']).toEqual({ open: false });
    expect(one.body['geometry']).toEqual(GEOMETRIES['B']);
    const refused = await request(itemsPath({ properties: 'name,nope' }));
    expect(refused.status).toBe(400);
    expect(refused.body['detail']).toMatch(/'nope'|"nope"/);
  });
});
