/**
 * Harvests from the real peer servers (../shared/peers: MapServer 8.0 on :8081, QGIS Server 3.22 on
 * :8082) into placelink, checked against the peers database itself: every feature's id, position
 * (PostGIS ST_Transform of the source geometry, the independent reference) and attributes.
 * Start the peers with `bash ../shared/peers/setup.sh`; the file is skipped when they are down.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateMappingFile, type LoadedMapping } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import type { Mapping } from '../../src/domain/mapping.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';
import { mappingFrom } from '../helpers/mappings.js';

const MAPSERVER = process.env['PLACELINK_PEER_MAPSERVER'] ?? 'http://127.0.0.1:8081/mapserv';
const QGIS = process.env['PLACELINK_PEER_QGIS'] ?? 'http://127.0.0.1:8082/qgis/wfs3';
const PEERS_DB = process.env['PLACELINK_PEERS_DB'] ?? 'postgresql://peers:peers@127.0.0.1:5432/peers';
const FILE = 'test/e2e/peers-harvest.test.ts';

async function reachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function peersDown(): Promise<string | null> {
  if (!(await reachable(`${MAPSERVER}?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities`))) return `the MapServer peer at ${MAPSERVER} is not reachable (start the peers: bash ../shared/peers/setup.sh)`;
  if (!(await reachable(`${QGIS}?f=json`))) return `the QGIS peer at ${QGIS} is not reachable (start the peers: bash ../shared/peers/setup.sh)`;
  const client = new pg.Client({ connectionString: PEERS_DB, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1 FROM streetlights LIMIT 1');
    return null;
  } catch (error) {
    return `the peers database ${PEERS_DB.replace(/:[^:@/]+@/, ':***@')} is not usable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

const skip = announceSkip(FILE, await peersDown());

/** lon/lat positions of every current feature, from a GeoJSON geometry column query. */
type Positions = Map<string, number[][]>;

function flatten(geojson: string): number[][] {
  const geometry = JSON.parse(geojson) as { type: string; coordinates: unknown };
  const depth = { Point: 0, LineString: 1, Polygon: 2, MultiPolygon: 3, MultiLineString: 2 }[geometry.type] ?? 0;
  return depth === 0 ? [geometry.coordinates as number[]] : ((geometry.coordinates as unknown[]).flat(depth - 1) as number[][]);
}

function worstDifference(ours: Positions, theirs: Positions): { worst: number; missing: string[]; extra: string[] } {
  let worst = 0;
  const missing = [...theirs.keys()].filter((id) => !ours.has(id));
  const extra = [...ours.keys()].filter((id) => !theirs.has(id));
  for (const [id, expected] of theirs) {
    const actual = ours.get(id);
    if (!actual) continue;
    if (actual.length !== expected.length) return { worst: Infinity, missing, extra: [...extra, `${id} has ${actual.length} positions, not ${expected.length}`] };
    expected.forEach((p, i) => (worst = Math.max(worst, Math.abs(p[0]! - actual[i]![0]!), Math.abs(p[1]! - actual[i]![1]!))));
  }
  return { worst, missing, extra };
}

describe.skipIf(skip)('harvesting the peer servers', () => {
  let db: Database;
  let store: Store;
  let peers: pg.Client;
  const collections: string[] = [];

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    peers = new pg.Client({ connectionString: PEERS_DB });
    await peers.connect();
  });
  afterAll(async () => {
    for (const id of collections) await store.collections.remove(id);
    await peers?.end();
    await db?.close();
  });

  async function ourPositions(collection: string): Promise<Positions> {
    const rows = await db.query<{ id: string; g: string }>({
      text: `SELECT f.id, ST_AsGeoJSON(f.geom, 10) AS g FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.retired_at IS NULL`,
      values: [collection],
    });
    return new Map(rows.map((r) => [r.id, flatten(r.g)]));
  }

  async function peerPositions(table: string, idColumn = 'id'): Promise<Positions> {
    const { rows } = await peers.query<{ id: string; g: string }>(`SELECT ${idColumn}::text AS id, ST_AsGeoJSON(ST_Transform(geom, 4326), 10) AS g FROM ${table}`);
    return new Map(rows.map((r) => [r.id, flatten(r.g)]));
  }

  function own(loaded: LoadedMapping): LoadedMapping {
    const collection = uniqueId(loaded.mapping.target.collection);
    collections.push(collection);
    const mapping: Mapping = { ...loaded.mapping, id: collection, target: { ...loaded.mapping.target, collection } };
    return { ...loaded, mapping };
  }

  it('MapServer WFS 2.0, GML 3.2 in EPSG:25832: all 200,000 streetlights, positions and attributes as in the peers table', { timeout: 300_000 }, async () => {
    const example = (await validateMappingFile(path.resolve('mappings/streetlights.yaml'), { PLACELINK_STREETLIGHTS_WFS: MAPSERVER })).loaded!;
    if (example.mapping.source.type !== 'wfs') throw new Error('the streetlights example is a WFS mapping');
    // The example asks for GeoJSON when offered (MapServer offers it); this test reads the GML 3.2 output.
    const loaded = own({ ...example, mapping: { ...example.mapping, source: { ...example.mapping.source, outputFormat: 'gml' } } });
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', expected: 200_000, counts: { read: 200_000, inserted: 200_000, rejected: 0, duplicates: 0 } });
    const { worst, missing, extra } = worstDifference(await ourPositions(loaded.mapping.target.collection), await peerPositions('streetlights'));
    expect({ missing: missing.length, extra: extra.length }).toEqual({ missing: 0, extra: 0 });
    expect(worst).toBeLessThan(1e-8);
    const { rows: theirs } = await peers.query<{ id: string; status: string; wattage: number; installed: string; street: string; local: string }>(
      `SELECT id, status, wattage, installed::text AS installed, street, inspire_local_id AS local FROM streetlights`,
    );
    const ours = new Map(
      (
        await db.query<{ id: string; p: Record<string, unknown>; local_id: string }>({
          text: `SELECT f.id, f.properties AS p, f.local_id FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1`,
          values: [loaded.mapping.target.collection],
        })
      ).map((r) => [r.id, r]),
    );
    let differing = 0;
    for (const row of theirs) {
      const mine = ours.get(row.id)!;
      const same = mine.p['operationalStatus'] === row.status && mine.p['powerRating'] === row.wattage && mine.p['dateServiceStarted'] === row.installed && mine.p['streetAddress'] === row.street && mine.local_id === row.local;
      if (!same) differing++;
    }
    expect(differing).toBe(0);
  });

  it('MapServer WFS 2.0, GeoJSON output: the 11,500 streets vertex by vertex, and a second harvest changes nothing', { timeout: 120_000 }, async () => {
    const loaded = own(
      await mappingFrom(`source:
  type: wfs
  url: ${MAPSERVER}?
  typeName: ms:streets
  outputFormat: geojson
  crs: urn:ogc:def:crs:EPSG::25832
  pageSize: 5000
target:
  collection: streets
identifiers:
  id: id
`),
    );
    const first = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(first).toMatchObject({ status: 'succeeded', counts: { read: 11_500, inserted: 11_500, rejected: 0 } });
    const { worst, missing, extra } = worstDifference(await ourPositions(loaded.mapping.target.collection), await peerPositions('streets'));
    expect({ missing: missing.length, extra: extra.length }).toEqual({ missing: 0, extra: 0 });
    expect(worst).toBeLessThan(1e-8);
    const second = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(second).toMatchObject({ status: 'succeeded', counts: { read: 11_500, inserted: 0, updated: 0, unchanged: 11_500, retired: 0 } });
  });

  it.each([
    ['MapServer WFS 1.1.0, GML 3.1.1', `${MAPSERVER}?`, 'ms:streets', '1.1.0', 'urn:ogc:def:crs:EPSG::25832'],
    ['MapServer WFS 1.0.0, GML 2 (no paging, one request)', `${MAPSERVER}?`, 'ms:streets', '1.0.0', 'EPSG:25832'],
    ['QGIS Server WFS 1.1.0, GML 3.1.1', `${QGIS.replace(/\/wfs3$/, '')}?`, 'streets', '1.1.0', 'urn:ogc:def:crs:EPSG::25832'],
  ])('%s: the 11,500 streets', { timeout: 180_000 }, async (_name, url, typeName, version, crs) => {
    const loaded = own(
      await mappingFrom(`source:
  type: wfs
  url: ${url}
  typeName: ${typeName}
  version: ${version}
  outputFormat: gml
  crs: ${crs}
  pageSize: 5000
target:
  collection: streets-${version.replaceAll('.', '')}
identifiers:
  id: id
`),
    );
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 11_500, inserted: 11_500, rejected: 0, duplicates: 0 } });
    const { worst, missing, extra } = worstDifference(await ourPositions(loaded.mapping.target.collection), await peerPositions('streets'));
    expect({ missing: missing.length, extra: extra.length }).toEqual({ missing: 0, extra: 0 });
    expect(worst).toBeLessThan(1e-8);
  });

  it('QGIS Server OGC API Features in EPSG:25832 (its /EPSG/9.6.2/ URIs): the 50,000 buildings, then nothing changes', { timeout: 300_000 }, async () => {
    const loaded = own(
      await mappingFrom(`source:
  type: ogcapi-features
  url: ${QGIS}
  collection: buildings
  crs: EPSG:25832
  pageSize: 1000
target:
  collection: buildings
`),
    );
    const first = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(first.error).toBeNull();
    expect(first).toMatchObject({ status: 'succeeded', expected: 50_000, counts: { read: 50_000, inserted: 50_000, rejected: 0, duplicates: 0 } });
    expect((await store.collections.get(loaded.mapping.target.collection))?.sourceSrid).toBe(25832);
    const { worst, missing, extra } = worstDifference(await ourPositions(loaded.mapping.target.collection), await peerPositions('buildings'));
    expect({ missing: missing.length, extra: extra.length }).toEqual({ missing: 0, extra: 0 });
    expect(worst).toBeLessThan(1e-8);
    const second = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(second).toMatchObject({ status: 'succeeded', counts: { read: 50_000, unchanged: 50_000, inserted: 0, updated: 0, retired: 0 } });
  });

  it('MapServer 8.0 OGC API, which ignores offset: the repeated page is detected and nothing is stored', { timeout: 120_000 }, async () => {
    const loaded = own(
      await mappingFrom(`source:
  type: ogcapi-features
  url: ${MAPSERVER}/peers/ogcapi
  collection: streetlights
  pageSize: 1000
target:
  collection: ms80-oapif
`),
    );
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^items page 2 \(.*offset=1000.*\) brought only features that earlier pages had already delivered: the server ignores the paging in its next links \(MapServer 8\.0 ignores offset\); refusing to store a partial layer/);
    expect(run.counts).toMatchObject({ pages: 2, read: 2000, duplicates: 1000 });
    expect((await store.collections.get(loaded.mapping.target.collection))?.featureCount ?? 0).toBe(0);
  });
});
