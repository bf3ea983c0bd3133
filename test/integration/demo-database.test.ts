import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Feature, Geometry, Position } from 'geojson';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { startService, type RunningService } from '../../src/main.js';
import { demoCollections } from '../../src/services/features/demo-data.js';
import { runCli } from '../helpers/cli.js';
import { isEmbedded, testDatabase, testLogger, testStore } from '../helpers/database.js';
import { mappingFrom } from '../helpers/mappings.js';

/**
 * PLACELINK_DEMO=true with a real PostgreSQL (DATABASE_URL): the service loads the demo data set on
 * start, and each collection's extent follows the data: it grows when `placelink import` moves a
 * feature away, and shrinks again when a harvest retires it.
 */

const DEMO = demoCollections();
const STREETS = DEMO.find((d) => d.definition.id === 'streets')!;

function positions(geometry: Geometry): Position[] {
  switch (geometry.type) {
    case 'Point':
      return [geometry.coordinates];
    case 'LineString':
    case 'MultiPoint':
      return geometry.coordinates;
    case 'Polygon':
    case 'MultiLineString':
      return geometry.coordinates.flat();
    case 'MultiPolygon':
      return geometry.coordinates.flat(2);
    case 'GeometryCollection':
      return geometry.geometries.flatMap(positions);
  }
}

function extentOf(records: readonly FeatureRecord[]): number[] {
  const all = records.flatMap((r) => (r.geometry ? positions(r.geometry) : []));
  const xs = all.map((p) => p[0]!);
  const ys = all.map((p) => p[1]!);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

const asGeoJson = (records: readonly FeatureRecord[]): { type: 'FeatureCollection'; features: Feature<Geometry | null>[] } => ({
  type: 'FeatureCollection',
  features: records.map((r) => ({ type: 'Feature', id: r.id, geometry: r.geometry, properties: r.properties })),
});

describe.skipIf(isEmbedded())('the demo data set on a real PostgreSQL', () => {
  let service: RunningService;
  let directory: string;
  const config = () =>
    loadConfig({
      DATABASE_URL: inject('databaseUrl'),
      PLACELINK_DEMO: 'true',
      PORT: '0',
      LOG_LEVEL: 'silent',
      PLACELINK_CATALOG_TTL_MS: '0',
      PLACELINK_SENSOR_FEEDS: 'false',
      PLACELINK_HARVEST_SCHEDULE: 'false',
    });

  async function collection(id: string): Promise<{ extent: { spatial: { bbox: number[][] } } }> {
    const response = await fetch(`${service.url}/collections/${id}?f=json`);
    expect(response.status).toBe(200);
    return (await response.json()) as { extent: { spatial: { bbox: number[][] } } };
  }

  async function expectExtent(id: string, expected: number[]): Promise<void> {
    const bbox = (await collection(id)).extent.spatial.bbox[0]!;
    expect(bbox).toHaveLength(4);
    bbox.forEach((value, i) => expect(value, `bbox[${i}] of ${id}`).toBeCloseTo(expected[i]!, 4));
  }

  async function matched(id: string): Promise<number> {
    return ((await (await fetch(`${service.url}/collections/${id}/items?limit=1`)).json()) as { numberMatched: number }).numberMatched;
  }

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-demo-'));
    // Demo collections left by an earlier run would not be loaded again: start from none.
    const db = testDatabase(1);
    const store = await testStore(db);
    for (const { definition } of DEMO) await store.collections.remove(definition.id);
    await db.close();
    service = await startService(config(), testLogger);
    await service.prepared;
  });

  afterAll(async () => {
    if (service) {
      for (const { definition } of DEMO) await service.store.collections.remove(definition.id);
      await service.stop();
    }
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('loads every demo collection on start, with its count and extent', async () => {
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    for (const { definition, records } of DEMO) {
      expect(await matched(definition.id)).toBe(records.length);
      await expectExtent(definition.id, extentOf(records));
    }
  });

  it('keeps the extent current after an import that moves a feature and a harvest that retires it, and does not load the demo over the changes on restart', async () => {
    const [moved, ...others] = STREETS.records;
    const far: FeatureRecord = { ...moved!, geometry: { type: 'LineString', coordinates: [[10.5, 53.5], [10.6, 53.6]] } };
    const update = path.join(directory, 'moved-street.json');
    await writeFile(update, JSON.stringify(asGeoJson([far])));
    const imported = await runCli(['import', update, '--collection', 'streets', '--namespace', moved!.namespace], { LOG_LEVEL: 'silent' });
    expect(imported.stdout).toMatch(/0 inserted, 1 updated/);
    expect(imported.code).toBe(0);
    await expectExtent('streets', extentOf([far, ...others]));

    await writeFile(path.join(directory, 'streets.geojson'), JSON.stringify(asGeoJson(others)));
    const mapping = await mappingFrom(
      'source:\n  type: file\n  path: streets.geojson\ntarget:\n  collection: streets\ndeletePolicy: { mode: retire, maxFraction: 0.5 }\n',
      path.join(directory, 'demo-streets.yaml'),
    );
    const run = await runHarvest(service.store, mapping, testLogger, { trigger: 'api' });
    expect(run).toMatchObject({ status: 'succeeded', counts: { retired: 1 } });
    expect(await matched('streets')).toBe(others.length);
    await expectExtent('streets', extentOf(others));
    expect((await fetch(`${service.url}/collections/streets/items/${moved!.id}`)).status).toBe(404);

    await service.stop();
    service = await startService(config(), testLogger);
    await service.prepared;
    expect(await matched('streets')).toBe(others.length);
    await expectExtent('streets', extentOf(others));
  });
});
