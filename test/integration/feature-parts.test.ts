/**
 * The encoding seam: the same page read as GeoJSON text (the OGC API's fast path) and in parts (for
 * APIs that encode features their own way) holds the same features, in the same order, with the
 * same paging, whatever the selection, order and output CRS.
 */
import type { Feature } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/domain/collection.js';
import type { Database } from '../../src/db/database.js';
import type { FeatureParts } from '../../src/domain/feature.js';
import { standardParameters } from '../../src/ogcapi/ogcapi.js';
import { featureQueryService, type FeatureQueryService, type PageOutcome } from '../../src/services/features/query-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, feature, pointGrid } from '../helpers/fixtures.js';

let db: Database;
let store: Store;
let queries: FeatureQueryService;
let collection: Collection;
const id = uniqueId('parts');

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  queries = featureQueryService(store.pages, { countLimit: 100_000, countBudgetMs: 5_000 });
  const records = [
    ...pointGrid(120),
    { ...feature('area', { type: 'Polygon', coordinates: [[[9.7, 52.3], [9.71, 52.3], [9.71, 52.31], [9.7, 52.3]]] }, { kind: 'park', name: 'Ölpark' }), ngsiLdId: 'urn:ngsi-ld:Park:area' },
    feature('nowhere', null, { kind: 'note' }),
  ];
  await createCollection(store, { id }, records);
  collection = (await store.collections.get(id))!;
});

afterAll(async () => {
  await store?.collections.remove(id);
  await db?.close();
});

async function bothWays(query: Record<string, string>): Promise<{ geojson: Feature[]; parts: FeatureParts[]; outcomes: [PageOutcome, PageOutcome] }> {
  const request = standardParameters().readItems(query, collection);
  const text = await queries.page(collection, request);
  const pieces: string[] = [];
  for await (const piece of text.features) pieces.push(piece);
  const geojson = JSON.parse(`[${pieces.join(',')}]`) as Feature[];
  const partsPage = await queries.parts(collection, request);
  const parts: FeatureParts[] = [];
  for await (const batch of partsPage.parts) parts.push(...batch);
  return { geojson, parts, outcomes: [await text.outcome(), await partsPage.outcome()] };
}

describe('features in parts', () => {
  it.each([
    ['the first page', { limit: '10' }],
    ['a page of several chunks', { limit: '400' }],
    ['a bbox, a datetime and a property', { bbox: '9.7,52.3,9.705,52.305', datetime: '2020-01-01T00:00:00Z/2020-03-01T00:00:00Z', kind: 'lamp', limit: '50' }],
    ['a CQL2 filter and a sort order', { filter: 'n > 30 AND even = true', sortby: '-weight', limit: '7' }],
    ['an output CRS in another axis order', { crs: 'http://www.opengis.net/def/crs/EPSG/0/4326', limit: '5' }],
    ['a projected output CRS and a property selection', { crs: 'http://www.opengis.net/def/crs/EPSG/0/25832', properties: 'kind', limit: '5' }],
  ])('hold the same features as the GeoJSON page: %s', async (_name, query) => {
    const { geojson, parts, outcomes } = await bothWays(query);
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.map((p) => p.id)).toEqual(geojson.map((f) => f.id));
    expect(parts.map((p) => p.geometry)).toEqual(geojson.map((f) => f.geometry));
    expect(parts.map((p) => p.properties)).toEqual(geojson.map((f) => f.properties));
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('carry what GeoJSON leaves out: the NGSI-LD id, the feature time and when it was stored', async () => {
    const { parts } = await bothWays({ limit: '200' });
    const area = parts.find((p) => p.id === 'area')!;
    expect(area.ngsiLdId).toBe('urn:ngsi-ld:Park:area');
    expect(area.properties).toEqual({ kind: 'park', name: 'Ölpark' });
    const point = parts.find((p) => p.id === 'P-0003')!;
    expect(point).toMatchObject({ ngsiLdId: null, timeStart: '2020-01-04T00:00:00Z', timeEnd: '2020-01-04T00:00:00Z' });
    expect(Date.parse(point.createdAt!)).toBeLessThanOrEqual(Date.parse(point.modifiedAt!));
    expect(parts.find((p) => p.id === 'nowhere')).toMatchObject({ geometry: null, timeStart: null });
  });
});
