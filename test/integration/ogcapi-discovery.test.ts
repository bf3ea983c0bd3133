/**
 * What the harvester's discovery reads from the recorded OGC API documents of
 * ../shared/fixtures/ogcapi-features (landing pages, conformance, /collections, collection
 * metadata; queryables and sortables, which ogc-client fetches with the collection), served on
 * loopback by test/helpers/ogcapi-fixture-server.ts: the items link it starts from, the CRS it asks
 * for, the CRS it records as the source's, the extent, and Part 2 conformance. Expected values are
 * read off the recorded JSON (e.g. airports: storageCrs EPSG/0/27700, extent.spatial.bbox[0]).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { OgcApiFeaturesSource } from '../../src/domain/mapping.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { createHttpClient } from '../../src/ingest/http/http-client.js';
import { discoverCollection, FEATURES_CRS_CONFORMANCE, type CollectionDiscovery } from '../../src/ingest/ogcapi-features/ogcapi-discovery.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFrom } from '../helpers/mappings.js';
import { startOgcApiFixtureServer } from '../helpers/ogcapi-fixture-server.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';
import { startUpstream, type UpstreamServer } from '../helpers/upstream-server.js';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const epsg = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`;
const ZOOMSTACK_CRS = [CRS84, epsg(27700), epsg(4258), epsg(4326), epsg(3857)];

async function sourceFor(url: string, collection: string, extra = ''): Promise<OgcApiFeaturesSource> {
  const loaded = await mappingFrom(`source:\n  type: ogcapi-features\n  url: ${url}\n  collection: ${collection}\n  pageSize: 10\n  http: { retries: { attempts: 1 } }\n${extra}target:\n  collection: discovery\n`);
  return loaded.mapping.source as OgcApiFeaturesSource;
}

async function discover(url: string, collection: string, extra = ''): Promise<{ discovery: CollectionDiscovery; warnings: string[] }> {
  const source = await sourceFor(url, collection, extra);
  const warnings: string[] = [];
  const http = createHttpClient({ http: source.http, redact: (text) => text });
  const discovery = await discoverCollection({ source, http, discoveryHeaders: {}, warn: (message) => warnings.push(message) });
  return { discovery, warnings };
}

async function refusal(url: string, collection: string): Promise<string> {
  return discover(url, collection).then(
    () => 'no error',
    (error: unknown) => (error as Error).message,
  );
}

describe.skipIf(!haveFixtures)('OGC API Features discovery on recorded servers', () => {
  let server: UpstreamServer;
  let rootServer: UpstreamServer;
  let base: string;

  beforeAll(async () => {
    server = await startOgcApiFixtureServer();
    rootServer = await startOgcApiFixtureServer({ root: 'sample-data' });
    base = server.url;
  });
  afterAll(async () => {
    await server.close();
    await rootServer.close();
  });

  const requestsDuring = async <T>(on: UpstreamServer, work: () => Promise<T>) => {
    const before = on.requests.length;
    const result = await work();
    return { result, requests: on.requests.slice(before).map((r) => r.replace(/\?.*$/, '')) };
  };

  describe('OS Open Zoomstack on ldproxy (sample-data): Part 2 declared, storageCrs EPSG:27700', () => {
    it('airports: the GeoJSON items link (not the JSON-FG one ogc-client prefers), CRS84, 27700 as the source CRS; queryables and sortables read, schemas not', async () => {
      const { result, requests } = await requestsDuring(server, () => discover(`${base}/sample-data`, 'airports'));
      expect(result.warnings).toEqual([]);
      expect(result.discovery).toEqual({
        itemsUrl: `${base}/sample-data/collections/airports/items?f=json&limit=10`,
        requestedCrs: null,
        sourceSrid: 27700,
        crs: ZOOMSTACK_CRS,
        extent: [-7.942759150065165, 49.901607895996534, 1.9957427933628138, 60.133709755754],
        conformsToCrs: true,
      });
      expect(new Set(requests.filter((r) => r.includes('/airports')))).toEqual(
        new Set(['/sample-data/collections/airports', '/sample-data/collections/airports/queryables', '/sample-data/collections/airports/sortables']),
      );
      expect(requests).toContain('/sample-data/conformance');
    });

    it('roads_national in EPSG:27700: asked with the crs parameter, no warning (the server declares Part 2)', async () => {
      const { result, requests } = await requestsDuring(server, () => discover(`${base}/sample-data`, 'roads_national', '  crs: EPSG:27700\n'));
      expect(result.warnings).toEqual([]);
      expect(result.discovery).toMatchObject({ requestedCrs: epsg(27700), sourceSrid: 27700, crs: ZOOMSTACK_CRS, conformsToCrs: true });
      expect(result.discovery.extent).toEqual([-6.4956758012099645, 50.08021976237488, 2.383883951687144, 58.54688148276149]);
      expect(new URL(result.discovery.itemsUrl).searchParams.get('crs')).toBe(epsg(27700));
      expect(requests).toEqual(expect.arrayContaining(['/sample-data/collections/roads_national/queryables', '/sample-data/collections/roads_national/sortables']));
    });

    it('dutch-metadata (a record collection without a crs list): CRS84 with a warning when another CRS is wanted; its queryables read', async () => {
      const { result, requests } = await requestsDuring(server, () => discover(`${base}/sample-data`, 'dutch-metadata', '  crs: EPSG:28992\n'));
      expect(result.warnings).toEqual(['collection dutch-metadata does not list EPSG:28992 among its CRSs (none); reading CRS84']);
      expect(result.discovery).toMatchObject({ itemsUrl: `${base}/sample-data/collections/dutch-metadata/items?f=json&limit=10`, requestedCrs: null, sourceSrid: 4326, crs: [], extent: [3.37, 50.75, 7.21, 53.47] });
      expect(requests).toContain('/sample-data/collections/dutch-metadata/queryables');
    });

    it('the same landing page recorded at a server root (sample-data-root) leads to the same collection', async () => {
      const { result, requests } = await requestsDuring(rootServer, () => discover(rootServer.url, 'airports'));
      expect(result.discovery).toMatchObject({ itemsUrl: `${rootServer.url}/sample-data/collections/airports/items?f=json&limit=10`, sourceSrid: 27700, conformsToCrs: true });
      expect(requests.slice(0, 3)).toEqual(['/', '/conformance', '/collections']);
    });
  });

  it('geOrchestra data-api (sample-data-2): the application/geo+json link (f=geojson), its mixed CRS list, no extent', async () => {
    const { discovery, warnings } = await discover(`${base}/sample-data-2`, 'aires-covoiturage');
    expect(warnings).toEqual([]);
    expect(discovery).toEqual({
      itemsUrl: `${base}/sample-data-2/collections/aires-covoiturage/items?f=geojson&limit=10`,
      requestedCrs: null,
      sourceSrid: 4326,
      crs: [CRS84, 'EPSG:4326'],
      extent: null,
      conformsToCrs: true,
    });
  });

  describe('ldproxy NRW cadastre (ets-ogcapi-features10 core): no Part 2, flat extent boxes', () => {
    it.each([
      ['flurstueck', [5.61272621360749, 50.2373512077239, 9.58963433710139, 52.5286304537795]],
      ['gebaeudebauwerk', [5, 50, 9, 52]],
      ['verwaltungseinheit', [5.61272621360749, 50.2373512077239, 9.58963433710139, 52.5286304537795]],
    ] as const)('%s: GeoJSON items link, CRS84, extent %j', async (collection, extent) => {
      const { discovery, warnings } = await discover(`${base}/kataster`, collection);
      expect(warnings).toEqual([]);
      expect(discovery).toEqual({ itemsUrl: `${base}/kataster/collections/${collection}/items?f=json&limit=10`, requestedCrs: null, sourceSrid: 4326, crs: [], extent: [...extent], conformsToCrs: false });
    });

    it('warns when the mapping wants a CRS the collection does not list, and when its bbox misses the extent', async () => {
      const { discovery, warnings } = await discover(`${base}/kataster`, 'gebaeudebauwerk', '  crs: EPSG:25832\n  bbox: [10, 53, 11, 54]\n');
      expect(discovery.requestedCrs).toBeNull();
      expect(warnings).toEqual([
        'collection gebaeudebauwerk does not list EPSG:25832 among its CRSs (none); reading CRS84',
        'source.bbox 10,53,11,54 lies outside the extent of collection gebaeudebauwerk (5,50,9,52): expect no features',
      ]);
    });
  });

  describe('servers discovery refuses, with the reason', () => {
    it('GNOSIS NaturalEarth groups collections and has no items link', async () => {
      expect(await refusal(`${base}/gnosis-earth`, 'NaturalEarth')).toBe(
        `collection 'NaturalEarth' of ${base}/gnosis-earth has no items link: it is not a feature collection ` +
          '(it groups 5 collections: NaturalEarth, NaturalEarth__raster, NaturalEarth__raster__HYP_HR_SR_OB_DR, NaturalEarth__physical, NaturalEarth__physical__ne_10m_lakes_pluvial)',
      );
    });

    it('GNOSIS without the collection asked for: its 118 conformance classes name no OGC API Features core (the recording rewrote ogcapi to gnosis-earth)', async () => {
      expect(await refusal(`${base}/gnosis-earth`, 'airports')).toMatch(
        /has no collection 'airports' \(it has NaturalEarth, .*, NaturalEarth__physical__ne_10m_lakes_pluvial\); its conformance declaration \(118 classes\) does not include OGC API Features Part 1 core$/,
      );
    });

    it('a landing page without a data link (no-collection): its conformance is tiles and styles only', async () => {
      expect(await refusal(`${base}/no-collection`, 'airports')).toBe(`${base}/no-collection has no collection 'airports' (it has none); its conformance declaration (11 classes) does not include OGC API Features Part 1 core`);
    });

    it('a landing page with only a self link (invalid)', async () => {
      expect(await refusal(`${base}/invalid`, 'airports')).toBe(
        `${base}/invalid is not a usable OGC API: The endpoint appears non-conforming, the following error was encountered: ` +
          "Could not find a root JSON document containing both a link with rel='data' and a link with rel='service-desc' (or 'service-doc').",
      );
    });
  });
});

describe.skipIf(!haveFixtures)('a collection that offers the server-wide CRS list (#/crs)', () => {
  let upstream: UpstreamServer;
  let collections: { collections: { id: string }[] };

  beforeAll(async () => {
    collections = JSON.parse(await readFile(fixture('ogcapi-features', 'etsoapif-crs_discovery_collections_collections.json'), 'utf8')) as typeof collections;
    upstream = await startUpstream((_request, response, url) => {
      const json = (body: unknown) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      const base = upstream.url;
      if (url.pathname === '/') return json({ links: [{ rel: 'data', href: `${base}/collections` }, { rel: 'conformance', href: `${base}/conformance` }, { rel: 'service-desc', href: `${base}/api` }] });
      if (url.pathname === '/conformance') return json({ conformsTo: ['http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core', FEATURES_CRS_CONFORMANCE] });
      // The recorded collections have no links (which ogc-client cannot read: it needs them); the served ones get self and items links.
      const links = (id: string) => [
        { rel: 'self', type: 'application/json', href: `${base}/collections/${encodeURIComponent(id)}` },
        { rel: 'items', type: 'application/geo+json', href: `${base}/collections/${encodeURIComponent(id)}/items` },
      ];
      if (url.pathname === '/collections') return json({ ...collections, collections: collections.collections.map((c) => ({ ...c, links: links(c.id) })) });
      const id = decodeURIComponent(url.pathname.replace(/^\/collections\//, ''));
      const recorded = collections.collections.find((c) => c.id === id);
      if (!recorded) return void response.writeHead(404).end();
      json({ ...recorded, links: links(id) });
    });
  });
  afterAll(() => upstream.close());

  it('ne:populated_places (only #/crs): EPSG:3857 is found in the /collections list and asked for', async () => {
    const { discovery, warnings } = await discover(upstream.url, 'ne:populated_places', '  crs: EPSG:3857\n');
    expect(warnings).toEqual([]);
    expect(discovery).toMatchObject({ crs: [CRS84, epsg(4326), epsg(3857), epsg(4087)], requestedCrs: epsg(3857), sourceSrid: 3857, conformsToCrs: true });
    expect(new URL(discovery.itemsUrl).searchParams.get('crs')).toBe(epsg(3857));
  });

  it('sf:archsites (its own EPSG:26713 first, then #/crs): storageCrs 26713 is the source CRS when CRS84 is read', async () => {
    const { discovery } = await discover(upstream.url, 'sf:archsites');
    expect(discovery).toMatchObject({ crs: [epsg(26713), CRS84, epsg(4326), epsg(3857), epsg(4087)], requestedCrs: null, sourceSrid: 26713 });
    expect(discovery.extent).toEqual([-103.8725637911543, 44.37740330855979, -103.63794182141925, 44.48804280772808]);
  });
});

describe.skipIf(!haveFixtures)('harvests that start from discovery', () => {
  let db: Database;
  let store: Store;
  let server: UpstreamServer;

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    server = await startOgcApiFixtureServer();
  });
  afterAll(async () => {
    await server.close();
    await db.close();
  });

  it('the NRW parcels: page 1 read from the GeoJSON items link (10 features), then the unrecorded page=2 fails the run and nothing is kept', async () => {
    const target = uniqueId('kataster');
    const loaded = await mappingFrom(`source:\n  type: ogcapi-features\n  url: ${server.url}/kataster\n  collection: flurstueck\n  pageSize: 10\n  http: { retries: { attempts: 1 } }\ntarget:\n  collection: ${target}\n`);
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(run).toMatchObject({ status: 'failed', counts: { pages: 1, read: 10, inserted: 10 } });
    expect(run.error).toBe(`${server.url}/kataster/collections/flurstueck/items?f=json&page=2&limit=10 answered HTTP 404 Not Found: {"title":"not recorded"}`);
    expect(server.requests.filter((r) => r.startsWith('/kataster/collections/flurstueck/items'))).toEqual(['/kataster/collections/flurstueck/items?f=json&limit=10', '/kataster/collections/flurstueck/items?f=json&page=2&limit=10']);
    expect((await store.collections.get(target))?.featureCount ?? 0).toBe(0);
  });

  it('GNOSIS NaturalEarth: the run fails with the reason instead of a TypeError from ogc-client', async () => {
    const loaded = await mappingFrom(`source:\n  type: ogcapi-features\n  url: ${server.url}/gnosis-earth\n  collection: NaturalEarth\ntarget:\n  collection: ${uniqueId('gnosis')}\n`);
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^collection 'NaturalEarth' of http:\/\/127\.0\.0\.1:\d+\/gnosis-earth has no items link: it is not a feature collection \(it groups 5 collections/);
  });
});
