/**
 * OGC API Features harvests against the recorded responses of ../shared/fixtures/ogcapi-features,
 * served on loopback (test/helpers/ogcapi-fixture-server.ts): discovery with ogc-client, paging by
 * next links, stopping at an empty page that still has a next link, and clear failures for the
 * landing pages that are not usable and for pages that were never recorded.
 */
import { describe, expect, it } from 'vitest';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { testLogger, uniqueId } from '../helpers/database.js';
import { upstreamBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';
import { startOgcApiFixtureServer } from '../helpers/ogcapi-fixture-server.js';
import { haveFixtures } from '../helpers/shared-fixtures.js';

const quick = 'http:\n    retries: { attempts: 2, initialDelay: 10ms, maxDelay: 20ms }\n    timeout: 10s';

describe.skipIf(!haveFixtures)('harvesting recorded OGC API Features responses', () => {
  const bench = upstreamBench(() => startOgcApiFixtureServer());

  async function harvest(root: string, collection: string, extra = '') {
    const target = uniqueId(collection.replace(/_/g, '-'));
    bench.collections.push(target);
    const loaded = await mappingFrom(`source:\n  type: ogcapi-features\n  url: ${bench.upstream.url}${root}\n  collection: ${collection}\n  pageSize: 10\n  ${quick}\ntarget:\n  collection: ${target}\n${extra}`);
    return { run: await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' }), target };
  }

  it('follows the ets paging chain (startindex) and stops at the empty page that still links to a next one', async () => {
    const { run, target } = await harvest('/', 'lakes');
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ pages: 3, read: 25, inserted: 25, rejected: 0 });
    expect(run.expected).toBe(25);
    const pageRequests = bench.upstream.requests.filter((r) => r.startsWith('/collections/lakes/items'));
    expect(pageRequests.slice(-4).map((r) => new URL(r, bench.upstream.url).searchParams.get('startindex'))).toEqual([null, '10', '20', '30']);
    const stored = await bench.store.collections.get(target);
    expect(stored?.featureCount).toBe(25);
    // the features carry their id in an upper-case ID member; the first one is 0
    const first = await bench.store.pages.byId(stored!.key, '0', { srid: 4326, swapAxes: false, decimals: 9, properties: null });
    expect(JSON.parse(first!.json).geometry.coordinates[0][0]).toEqual([106.579985793, 52.799981594]);
  });

  it('reads the OS Open Zoomstack airports page through ldproxy-style discovery, then fails on the next page that was not recorded (404, not retried)', async () => {
    const { run, target } = await harvest('/sample-data', 'airports');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/\/sample-data\/collections\/airports\/items\?f=json&offset=10 answered HTTP 404/);
    // the GeoJSON items link: ogc-client alone would pick the JSON-FG one (f=jsonfg), whose `place` carries non-WGS 84 CRSs
    expect(bench.upstream.requests.filter((r) => r.includes('airports/items'))[0]).toBe('/sample-data/collections/airports/items?f=json&limit=10');
    expect(bench.upstream.requests.filter((r) => r.includes('airports/items') && r.includes('offset=10'))).toHaveLength(1);
    expect(run.counts).toMatchObject({ pages: 1, read: 10, inserted: 10 });
    // the run failed, so nothing it read is visible
    expect((await bench.store.collections.get(target))?.featureCount ?? 0).toBe(0);
  });

  it('reads the geOrchestra items with @id members and a geometry carrying @name/@srs; a record without the mapped id is rejected by name', async () => {
    const byId = await harvest('/sample-data-2', 'aires-covoiturage');
    // the next link (offset=1) was not recorded
    expect(byId.run.error).toMatch(/answered HTTP 404/);
    expect(byId.run.counts).toMatchObject({ pages: 1, read: 10, inserted: 10, rejected: 0 });
    const byProperty = await harvest('/sample-data-2', 'aires-covoiturage', 'identifiers:\n  id: id_lieu\n');
    expect(byProperty.run.counts).toMatchObject({ read: 10, inserted: 9, rejected: 1 });
    expect(byProperty.run.rejections).toEqual([{ id: null, location: 'items page 1 feature 8 (id 9)', reason: 'identifiers.id: no value from id_lieu' }]);
  });

  it('says which collections a GNOSIS server with nested collections has when the one asked for is missing', async () => {
    const { run } = await harvest('/gnosis-earth', 'no-such-collection');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/has no collection 'no-such-collection' \(it has .*NaturalEarth/);
  });

  it.each([
    ['/invalid', 'a landing page with only a self link', /\/invalid is not a usable OGC API: .*Could not find a root JSON document containing both a link with rel='data'/],
    ['/no-collection', 'a landing page without a data link', /\/no-collection has no collection 'airports' \(it has none\); its conformance declaration \(11 classes\) does not include OGC API Features Part 1 core$/],
  ])('fails clearly on %s (%s)', async (root, _what, reason) => {
    const { run } = await harvest(root, 'airports');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(reason);
  });
});
