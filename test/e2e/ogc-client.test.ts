import { enableFallbackWithoutWorker, OgcApiEndpoint, setFetchOptions } from '@camptocamp/ogc-client';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { CONFORMANCE } from '../../src/ogcapi/vocabulary.js';
import { SERVICE_INFO } from '../../src/api/service-info.js';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { feature, pointGrid } from '../helpers/fixtures.js';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const epsg = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`;

const POINTS = pointGrid(40);
const SITES: FeatureRecord[] = [
  feature('site-1', { type: 'Polygon', coordinates: [[[11.5, 48.1], [11.6, 48.1], [11.6, 48.2], [11.5, 48.1]]] }, { name: 'Nord', since: 1990 }, '2019-05-01T00:00:00Z'),
  feature('site-2', { type: 'Point', coordinates: [11.55, 48.05] }, { name: 'Süd', since: 2005 }, '2022-07-15T12:30:00Z'),
];
const coordsOf = (r: FeatureRecord) => (r.geometry as { coordinates: number[] }).coordinates;
/** ETRS89 / UTM zone 32N, written out here rather than taken from the server's own CRS table. */
const UTM32N = '+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs';

interface Item {
  id: string;
  properties: Record<string, unknown>;
  geometry: { type: string; coordinates: number[] };
}

let api: FixtureApi;
let endpoint: OgcApiEndpoint;

describe('@camptocamp/ogc-client OgcApiEndpoint against placelink', () => {
  beforeAll(async () => {
    // ogc-client's Node build supplies `location` and uses the global fetch; it has no Cache API and
    // no web workers in Node, so it runs its parsing in the main thread.
    enableFallbackWithoutWorker();
    setFetchOptions({});
    api = await startFixtureApi([
      { prefix: 'client-points', definition: { title: 'Client points', description: 'A grid of points' }, records: POINTS },
      { prefix: 'client-sites', definition: { title: 'Client sites', sourceSrid: 25832, keywords: ['sites'] }, records: SITES },
    ]);
    endpoint = new OgcApiEndpoint(api.url);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('reads the endpoint info and the conformance classes', async () => {
    const info = await endpoint.info;
    expect(info.title).toBe(SERVICE_INFO.title);
    expect(info.description).toBe(SERVICE_INFO.description);
    expect(await endpoint.conformanceClasses).toEqual(expect.arrayContaining([CONFORMANCE.core, CONFORMANCE.geojson, CONFORMANCE.crs]));
    expect(await endpoint.hasFeatures).toBe(true);
    expect(await endpoint.hasRecords).toBe(false);
    expect(await endpoint.hasTiles).toBe(false);
  });

  it('discovers the feature collections', async () => {
    const ids = await endpoint.featureCollections;
    expect(ids).toEqual(expect.arrayContaining([api.ids['client-points'], api.ids['client-sites']]));
    const all = await endpoint.allCollections;
    expect(all.find((c) => c.name === api.ids['client-sites'])).toEqual({ name: api.ids['client-sites'], hasFeatures: true });
  });

  it('reads collection info: title, formats, CRS list, storage CRS and extent', async () => {
    const info = await endpoint.getCollectionInfo(api.ids['client-sites']!);
    expect(info.id).toBe(api.ids['client-sites']);
    expect(info.title).toBe('Client sites');
    expect(info.itemType).toBe('feature');
    expect(info.keywords).toEqual(['sites']);
    expect(info.itemFormats).toEqual(expect.arrayContaining(['application/geo+json', 'text/html']));
    expect(info.crs).toEqual(expect.arrayContaining([CRS84, epsg(4326), epsg(3857), epsg(25832)]));
    expect(info.storageCrs).toBe(CRS84);
    // ogc-client passes the collection's `extent` object through as it is
    const extent = info.extent as unknown as { spatial: { bbox: number[][]; crs: string }; temporal: { interval: string[][] } };
    expect(extent.spatial.crs).toBe(CRS84);
    const [w, s, e, n] = extent.spatial.bbox[0]!;
    expect([w, s, e, n].map((v) => Number(v!.toFixed(9)))).toEqual([11.5, 48.05, 11.6, 48.2]);
    expect(extent.temporal.interval[0]).toEqual(['2019-05-01T00:00:00Z', '2022-07-15T12:30:00Z']);
    // ogc-client follows the collection's queryables link (Part 3) and reads the JSON Schema
    expect(info.queryables.map((q) => q.name)).toEqual(['id', 'geometry', 'datetime', 'name', 'since']);
    expect(info.queryables.find((q) => q.name === 'since')).toMatchObject({ type: 'integer' });
    expect(info.queryables.find((q) => q.name === 'name')).toMatchObject({ type: 'string' });
  });

  it('reads items page by page with limit and offset', async () => {
    const id = api.ids['client-points']!;
    const first = (await endpoint.getCollectionItems(id, 5)) as unknown as Item[];
    expect(first.map((f) => f.id)).toEqual(POINTS.slice(0, 5).map((f) => f.id));
    const third = (await endpoint.getCollectionItems(id, 5, 10)) as unknown as Item[];
    expect(third.map((f) => f.id)).toEqual(POINTS.slice(10, 15).map((f) => f.id));
    expect(third[0]!.properties).toEqual(POINTS[10]!.properties);
    third[0]!.geometry.coordinates.forEach((c, i) => expect(c).toBeCloseTo(coordsOf(POINTS[10]!)[i]!, 9));
    const all = (await endpoint.getCollectionItems(id, 1000)) as unknown as Item[];
    expect(all.length).toBe(POINTS.length);
  });

  it('reads items filtered by bounding box and by date', async () => {
    const id = api.ids['client-points']!;
    const box: [number, number, number, number] = [9.6995, 52.2995, 9.7035, 52.3005];
    const inBox = (await endpoint.getCollectionItems(id, 100, 0, undefined, undefined, box)) as unknown as Item[];
    const expected = POINTS.filter((f) => {
      const [x, y] = coordsOf(f) as [number, number];
      return x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];
    });
    expect(expected.length).toBe(4);
    expect(inBox.map((f) => f.id).sort()).toEqual(expected.map((f) => f.id).sort());

    const sites = api.ids['client-sites']!;
    const recent = (await endpoint.getCollectionItems(sites, 10, 0, undefined, undefined, undefined, undefined, { start: new Date('2020-01-01T00:00:00Z') })) as unknown as Item[];
    expect(recent.map((f) => f.id)).toEqual(['site-2']);
    const early = (await endpoint.getCollectionItems(sites, 10, 0, undefined, undefined, undefined, undefined, { end: new Date('2020-01-01T00:00:00Z') })) as unknown as Item[];
    expect(early.map((f) => f.id)).toEqual(['site-1']);
  });

  it('reads one item by id', async () => {
    const item = (await endpoint.getCollectionItem(api.ids['client-sites']!, 'site-2')) as unknown as Item;
    expect(item.id).toBe('site-2');
    expect(item.properties).toEqual({ name: 'Süd', since: 2005 });
    expect(item.geometry).toEqual(SITES[1]!.geometry);
  });

  it('builds an items URL in another CRS that the server answers in that CRS', async () => {
    const url = await endpoint.getCollectionItemsUrl(api.ids['client-sites']!, { asJson: true, limit: 2, outputCrs: epsg(25832) });
    const response = await fetch(url, { headers: { Accept: 'application/geo+json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-crs')).toBe(`<${epsg(25832)}>`);
    const body = (await response.json()) as { features: Item[] };
    const point = body.features.find((f) => f.id === 'site-2')!;
    const [x, y] = proj4('EPSG:4326', UTM32N, coordsOf(SITES[1]!)) as [number, number];
    expect(point.geometry.coordinates[0]).toBeCloseTo(x, 3);
    expect(point.geometry.coordinates[1]).toBeCloseTo(y, 3);
  });

  it('works from a collection URL as its base, finding only that collection', async () => {
    const nested = new OgcApiEndpoint(`${api.url}/collections/${api.ids['client-points']}`);
    expect(await nested.featureCollections).toEqual([api.ids['client-points']]);
    const items = (await nested.getCollectionItems(api.ids['client-points']!, 3)) as unknown as Item[];
    expect(items.map((f) => f.id)).toEqual(POINTS.slice(0, 3).map((f) => f.id));
  });
});
