import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { announceSkip, missingPath } from '../helpers/environment.js';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { feature, pointGrid } from '../helpers/fixtures.js';
import { getJson, type Link } from '../helpers/http-json.js';
import { loadOgcSchemas, PART1, PART1_DIR, PART2, PART2_DIR, type SchemaSet } from '../helpers/ogc-schemas.js';

const skipped = announceSkip(
  'test/contract/ogcapi-schemas.test.ts',
  missingPath(PART1_DIR(), 'OGC API – Features Part 1 1.0.1 schemas') ?? missingPath(PART2_DIR(), 'OGC API – Features Part 2 1.0.1 schemas'),
);

const POINTS = pointGrid(25);
const SHAPES: FeatureRecord[] = [
  feature('line', { type: 'LineString', coordinates: [[4.9, 52.3], [4.95, 52.35]] }, { kind: 'road' }, '2021-03-01T10:00:00Z'),
  feature('multipoint', { type: 'MultiPoint', coordinates: [[4.9, 52.3], [4.91, 52.31]] }, { kind: 'lamps' }),
  feature('multiline', { type: 'MultiLineString', coordinates: [[[4.9, 52.3], [4.92, 52.3]], [[4.9, 52.32], [4.92, 52.32]]] }, { kind: 'rails' }),
  feature('polygon', { type: 'Polygon', coordinates: [[[4.8, 52.2], [4.9, 52.2], [4.9, 52.3], [4.8, 52.3], [4.8, 52.2]], [[4.82, 52.22], [4.84, 52.22], [4.84, 52.24], [4.82, 52.24], [4.82, 52.22]]] }, { kind: 'park' }),
  feature('multipolygon', { type: 'MultiPolygon', coordinates: [[[[5, 52], [5.1, 52], [5.1, 52.1], [5, 52]]], [[[5.2, 52], [5.3, 52], [5.3, 52.1], [5.2, 52]]]] }, { kind: 'fields' }),
  feature('collection', { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [5, 52] }, { type: 'LineString', coordinates: [[5, 52], [5.1, 52.1]] }] }, { kind: 'mixed' }),
  feature('nowhere', null, { kind: 'unlocated', note: 'no geometry' }),
  feature('nested', { type: 'Point', coordinates: [4.7, 52.1] }, { kind: 'nested', tags: ['a', 'b'], address: { street: 'Dam', number: 1 }, empty: null }),
];

let api: FixtureApi;
let schemas: SchemaSet;

describe.skipIf(skipped)('responses validate against the official OGC API – Features schemas', () => {
  beforeAll(async () => {
    schemas = loadOgcSchemas();
    api = await startFixtureApi([
      { prefix: 'schema-points', definition: { title: 'Points', description: 'a grid', keywords: ['grid', 'test'], license: 'https://creativecommons.org/publicdomain/zero/1.0/' }, records: POINTS },
      { prefix: 'schema-shapes', definition: { title: 'Every geometry type', sourceSrid: 28992, attribution: 'test data' }, records: SHAPES },
      { prefix: 'schema-empty', definition: { title: 'Nothing yet' }, records: [] },
    ]);
  });

  afterAll(async () => {
    await api?.close();
  });

  const get = <T>(path: string, accept = 'application/json') => getJson<T>(`${api.url}${path}`, accept);

  it('the validator is not vacuous: documents breaking the schemas are reported with their location', () => {
    expect(schemas.errorsOf(PART1, 'link.yaml', { rel: 'self' }).join()).toMatch(/must have required property 'href'/);
    expect(schemas.errorsOf(PART1, 'featureGeoJSON.yaml', { type: 'Feature', geometry: { type: 'Point', coordinates: [1] }, properties: {} }).join()).toMatch(/\/geometry/);
    expect(schemas.errorsOf(PART1, 'featureCollectionGeoJSON.yaml', { type: 'FeatureCollection', features: [], numberReturned: -1 }).join()).toMatch(/\/numberReturned must be >= 0/);
    expect(schemas.errorsOf(PART1, 'featureCollectionGeoJSON.yaml', { type: 'FeatureCollection', features: [], timeStamp: 'yesterday' }).join()).toMatch(/\/timeStamp must match format "date-time"/);
    expect(schemas.errorsOf(PART1, 'extent.yaml', { spatial: { bbox: [[1, 2, 3]] } }).join()).toMatch(/\/spatial\/bbox\/0/);
    expect(schemas.errorsOf(PART2, 'collection.yaml', { id: 'x', links: [], storageCrs: 'not a uri' }).join()).toMatch(/\/storageCrs must match format "uri"/);
    expect(schemas.errorsOf(PART2, 'collection.yaml', { id: 'x' }).join()).toMatch(/must have required property 'links'/);
    // `nullable` from OpenAPI 3.0 is honoured where the schema says so, and only there
    expect(schemas.errorsOf(PART1, 'extent.yaml', { temporal: { interval: [['2020-01-01T00:00:00Z', null]] } })).toEqual([]);
    expect(schemas.errorsOf(PART1, 'link.yaml', { href: null, rel: 'self' }).join()).toMatch(/\/href must be string/);
  });

  it('landing page', async () => {
    const { status, body } = await get<{ links: Link[] }>('/');
    expect(status).toBe(200);
    schemas.assertValid(PART1, 'landingPage.yaml', body, 'GET /');
    expect(body.links.length).toBeGreaterThanOrEqual(6);
  });

  it('conformance', async () => {
    const { body } = await get<{ conformsTo: string[] }>('/conformance');
    schemas.assertValid(PART1, 'confClasses.yaml', body, 'GET /conformance');
    expect(body.conformsTo).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core');
  });

  it('collections (Part 1 and the Part 2 extension)', async () => {
    const { body } = await get<{ collections: Array<{ id: string }> }>('/collections');
    schemas.assertValid(PART1, 'collections.yaml', body, 'GET /collections');
    schemas.assertValid(PART2, 'collections.yaml', body, 'GET /collections');
    expect(body.collections.map((c) => c.id)).toEqual(expect.arrayContaining(Object.values(api.ids)));
  });

  it('each collection, with and without features (Part 1 and the Part 2 extension)', async () => {
    for (const id of Object.values(api.ids)) {
      const { status, body } = await get<{ id: string; storageCrs: string; crs: string[] }>(`/collections/${id}`);
      expect(status).toBe(200);
      schemas.assertValid(PART1, 'collection.yaml', body, `GET /collections/${id}`);
      schemas.assertValid(PART2, 'collection.yaml', body, `GET /collections/${id}`);
      expect(body.id).toBe(id);
      expect(body.crs).toContain(body.storageCrs);
    }
  });

  it('items pages: first, next, filtered, reprojected, empty, and with every geometry type', async () => {
    const points = api.ids['schema-points']!;
    const shapes = api.ids['schema-shapes']!;
    const pages = [
      `/collections/${points}/items`,
      `/collections/${points}/items?limit=7&offset=21`,
      `/collections/${points}/items?bbox=9.7,52.3,9.702,52.302&datetime=2020-01-01T00:00:00Z/..`,
      `/collections/${points}/items?crs=http://www.opengis.net/def/crs/EPSG/0/3035&limit=3`,
      `/collections/${points}/items?bbox=-10,-10,-9,-9`,
      `/collections/${shapes}/items?limit=100`,
      `/collections/${api.ids['schema-empty']}/items`,
    ];
    for (const path of pages) {
      const { status, body } = await get<{ features: unknown[]; links: Link[] }>(path, 'application/geo+json');
      expect(status, path).toBe(200);
      schemas.assertValid(PART1, 'featureCollectionGeoJSON.yaml', body, `GET ${path}`);
      const next = body.links.find((l) => l.rel === 'next');
      if (next) {
        const second = await getJson(next.href, 'application/geo+json');
        schemas.assertValid(PART1, 'featureCollectionGeoJSON.yaml', second.body, `GET ${next.href}`);
      }
    }
    const all = await get<{ features: Array<{ geometry: { type: string } | null }> }>(`/collections/${shapes}/items?limit=100`, 'application/geo+json');
    expect(all.body.features.map((f) => f.geometry?.type ?? null).sort((a, b) => String(a).localeCompare(String(b)))).toEqual(
      ['GeometryCollection', 'LineString', 'MultiLineString', 'MultiPoint', 'MultiPolygon', 'Point', 'Polygon', null].sort((a, b) => String(a).localeCompare(String(b))),
    );
  });

  it('single features of every geometry type, including one without geometry', async () => {
    const shapes = api.ids['schema-shapes']!;
    for (const record of [...SHAPES, POINTS[3]!]) {
      const collection = record === POINTS[3] ? api.ids['schema-points']! : shapes;
      const path = `/collections/${collection}/items/${encodeURIComponent(record.id)}`;
      const { status, body } = await get<{ id: string; properties: Record<string, unknown> }>(path, 'application/geo+json');
      expect(status, path).toBe(200);
      schemas.assertValid(PART1, 'featureGeoJSON.yaml', body, `GET ${path}`);
      expect(body.id).toBe(record.id);
      expect(body.properties).toEqual(record.properties);
    }
  });
});
