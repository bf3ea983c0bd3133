import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { startService, type RunningService } from '../../src/main.js';
import { demoCollections } from '../../src/services/features/demo-data.js';
import { testLogger } from '../helpers/database.js';

/** The default code path: no DATABASE_URL, so the service runs on the embedded PostGIS (PGlite). */
describe('embedded PostGIS (no DATABASE_URL)', () => {
  let dataDir: string;
  let service: RunningService | undefined;
  const config = () => loadConfig({ PORT: '0', PLACELINK_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-embedded-'));
    service = await startService(config(), testLogger);
    await service.prepared;
  });

  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the demo data set over the same pg code path', async () => {
    const ready = await fetch(`${service!.url}/readyz`);
    expect(ready.status).toBe(200);
    const { collections } = (await (await fetch(`${service!.url}/collections?f=json`)).json()) as { collections: Array<{ id: string }> };
    const demo = demoCollections();
    expect(collections.map((c) => c.id).sort()).toEqual(demo.map((d) => d.definition.id).sort());
    for (const { definition, records } of demo) {
      const page = (await (await fetch(`${service!.url}/collections/${definition.id}/items?limit=5`)).json()) as { numberMatched: number; features: unknown[] };
      expect(page.numberMatched).toBe(records.length);
      expect(page.features).toHaveLength(5);
    }
  });

  it('pages, filters by bbox and reprojects like the server path', async () => {
    const first = (await (await fetch(`${service!.url}/collections/streetlights/items?limit=50&crs=${encodeURIComponent('http://www.opengis.net/def/crs/EPSG/0/25832')}`)).json()) as {
      features: Array<{ geometry: { coordinates: number[] } }>;
      links: Array<{ rel: string; href: string }>;
    };
    const [x, y] = first.features[0]!.geometry.coordinates;
    expect(x).toBeGreaterThan(540_000);
    expect(y).toBeGreaterThan(5_790_000);
    const next = first.links.find((l) => l.rel === 'next')!;
    const second = (await (await fetch(next.href)).json()) as { features: unknown[] };
    expect(second.features).toHaveLength(50);
  });

  it('keeps its data across a restart, and records its socket port in the data folder', async () => {
    const lock = JSON.parse(await readFile(path.join(dataDir, 'placelink.lock'), 'utf8')) as { pid: number; port: number };
    expect(lock.pid).toBe(process.pid);
    await service!.stop();
    service = await startService(config(), testLogger);
    await service.prepared;
    const page = (await (await fetch(`${service.url}/collections/buildings/items?limit=1`)).json()) as { numberMatched: number };
    expect(page.numberMatched).toBe(demoCollections().find((d) => d.definition.id === 'buildings')!.records.length);
  });
});
