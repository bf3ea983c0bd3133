import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { startService, type RunningService } from '../../src/main.js';
import { demoCollections } from '../../src/services/features/demo-data.js';
import { testLogger } from '../helpers/database.js';

/**
 * The sensor side on the default code path: no DATABASE_URL, so the service runs on the embedded
 * PostGIS (PGlite). A push source linked to the demo street lights by property and by nearest
 * pole: observations are pushed, then read back as latest values, a time series, observation
 * items and a datastream's own collection.
 */
const KEY = 'embedded-sensors-key-0123456789';
const [, second] = demoCollections().find((d) => d.definition.id === 'streetlights')!.records;
const [lon, lat] = (second!.geometry as { coordinates: number[] }).coordinates as [number, number];

describe('sensors on the embedded PostGIS (no DATABASE_URL)', () => {
  let dataDir: string;
  let mappings: string;
  let service: RunningService | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-embedded-sensors-'));
    mappings = await mkdtemp(path.join(os.tmpdir(), 'placelink-embedded-mappings-'));
    await writeFile(
      path.join(mappings, 'demo-sensors.yaml'),
      `
id: demo-sensors
source: { type: http-push }
target: { collection: demo-observations }
datastreams:
  - { id: lux-1, name: Illuminance at SL-0001, unit: { symbol: lx }, resultType: number, properties: { poleId: SL-0001 } }
  - { id: lux-2, name: Illuminance near SL-0002, unit: { symbol: lx }, resultType: number, location: [${lon + 0.00002}, ${lat}] }
links:
  - { rule: property, collection: streetlights, sensorProperty: properties.poleId, priority: 1 }
  - { rule: nearest, collection: streetlights, maxDistance: 10, priority: 2 }
`,
    );
    const config = loadConfig({
      PORT: '0',
      PLACELINK_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PLACELINK_MAPPINGS: mappings,
      PLACELINK_OBSERVATIONS_API_KEY: KEY,
      PLACELINK_SENSOR_FEEDS: 'false',
      PLACELINK_HARVEST_SCHEDULE: 'false',
    });
    service = await startService(config, testLogger);
    await service.prepared;
  });

  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(mappings, { recursive: true, force: true });
  });

  it('links the datastreams to the demo street lights (property and nearest rule, geography KNN)', async () => {
    let linked: Record<string, string[]> = {};
    for (let i = 0; i < 100 && Object.keys(linked).length < 2; i++) {
      const page = (await (await fetch(`${service!.url}/collections/streetlights/items?limit=5`)).json()) as { features: { id: string; properties: { sensors?: { datastream: string }[] } }[] };
      linked = Object.fromEntries(page.features.filter((f) => f.properties.sensors).map((f) => [f.id, f.properties.sensors!.map((s) => s.datastream)]));
      if (Object.keys(linked).length < 2) await sleep(100);
    }
    expect(linked).toEqual({ 'SL-0001': ['lux-1'], 'SL-0002': ['lux-2'] });
  });

  it('accepts POST /observations and serves latest values, a time series and the observations', async () => {
    const pushed = await fetch(`${service!.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY },
      body: JSON.stringify([
        { datastream: 'lux-1', phenomenonTime: '2024-07-01T20:05:00Z', result: 12 },
        { datastream: 'lux-1', phenomenonTime: '2024-07-01T20:35:00Z', result: 18 },
        { datastream: 'lux-1', phenomenonTime: '2024-07-01T21:10:00Z', result: 30 },
        { datastream: 'lux-2', phenomenonTime: '2024-07-01T20:00:00Z', result: 7 },
        { datastream: 'lux-2', phenomenonTime: '2024-07-01T20:00:00Z', result: 7 },
        { datastream: 'nope', phenomenonTime: '2024-07-01T20:00:00Z', result: 1 },
      ]),
    });
    expect(pushed.status).toBe(202);
    expect(await pushed.json()).toMatchObject({ accepted: 5, inserted: 4, duplicates: 1, rejected: 1 });

    const sl1 = (await (await fetch(`${service!.url}/collections/streetlights/items/SL-0001`)).json()) as { properties: { sensors: { datastream: string; value: unknown; unit: string; observedAt: string }[] } };
    expect(sl1.properties.sensors).toEqual([expect.objectContaining({ datastream: 'lux-1', value: 30, unit: 'lx', observedAt: '2024-07-01T21:10:00Z' })]);

    const hourly = (await (await fetch(`${service!.url}/collections/streetlights/items/SL-0001/timeseries?datetime=2024-07-01T00:00:00Z/2024-07-02T00:00:00Z&aggregate=hour`)).json()) as { datastreams: { id: string; values: unknown[] }[] };
    expect(hourly.datastreams).toEqual([
      expect.objectContaining({
        id: 'lux-1',
        values: [
          { time: '2024-07-01T20:00:00Z', avg: 15, min: 12, max: 18, count: 2 },
          { time: '2024-07-01T21:00:00Z', avg: 30, min: 30, max: 30, count: 1 },
        ],
      }),
    ]);

    const items = (await (await fetch(`${service!.url}/collections/demo-observations/items?datastream=lux-2`)).json()) as { numberMatched: number; features: { geometry: { coordinates: number[] } }[] };
    expect(items.numberMatched).toBe(1);
    expect(items.features[0]!.geometry.coordinates[0]).toBeCloseTo(lon + 0.00002, 6);
    const own = (await (await fetch(`${service!.url}/collections/${encodeURIComponent('demo-observations:lux-1')}/items?datetime=2024-07-01T20:30:00Z/..`)).json()) as { numberMatched: number };
    expect(own.numberMatched).toBe(2);
  });

  it('runs a maintenance round (partitions ahead, retention, stale links) on the embedded database', async () => {
    await expect(service!.sensors.maintain()).resolves.toBeUndefined();
  });
});
