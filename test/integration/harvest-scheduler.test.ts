import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { progressLine } from '../../src/ingest/harvest-progress.js';
import { startHarvestScheduler } from '../../src/ingest/harvest-scheduler.js';
import type { Store } from '../../src/services/ports/store.js';
import { ZERO_COUNTS } from '../../src/domain/harvest-run.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFrom } from '../helpers/mappings.js';

describe('scheduled harvests', () => {
  let db: Database;
  let store: Store;
  let directory: string;
  const collection = uniqueId('scheduled');

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-schedule-'));
    await writeFile(path.join(directory, 'a.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', id: 'A', geometry: { type: 'Point', coordinates: [9, 52] }, properties: {} }] }));
  });
  afterAll(async () => {
    await store.collections.remove(collection);
    await db.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('runs a never-harvested mapping right away, then waits for its interval; an unscheduled one never runs', async () => {
    const id = `scheduled-${Date.now()}`;
    const scheduled = await mappingFrom(`id: ${id}\nsource:\n  type: file\n  path: a.geojson\ntarget:\n  collection: ${collection}\nschedule: { interval: 1h }\n`, path.join(directory, 'm.yaml'));
    const manual = await mappingFrom(`id: ${id}-manual\nsource:\n  type: file\n  path: a.geojson\ntarget:\n  collection: ${collection}-m\n`, path.join(directory, 'n.yaml'));
    const started = Date.now();
    const scheduler = await startHarvestScheduler(store, [scheduled, manual], testLogger);
    let runs = await store.runs.list({ mappingId: id, limit: 5 });
    for (let i = 0; i < 100 && !(runs[0]?.status === 'succeeded'); i++) {
      await sleep(50);
      runs = await store.runs.list({ mappingId: id, limit: 5 });
    }
    await scheduler.stop();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', trigger: 'schedule', counts: { inserted: 1 } });
    const next = scheduler.nextRuns().get(id)!.getTime();
    expect(next - started).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(next - started).toBeLessThan(3_600_000 + 30_000);
    expect(scheduler.nextRuns().has(`${id}-manual`)).toBe(false);
    expect(await store.runs.list({ mappingId: `${id}-manual`, limit: 1 })).toEqual([]);

    // A new scheduler (service restart) counts from the last run, so it does not run again now.
    const again = await startHarvestScheduler(store, [scheduled], testLogger);
    expect(Math.abs(again.nextRuns().get(id)!.getTime() - (Date.parse(runs[0]!.startedAt) + 3_600_000))).toBeLessThan(1000);
    await again.stop();
  });

  it('prints progress with the rate and, when the total is known, percent and ETA', () => {
    expect(progressLine({ runId: 1, counts: { ...ZERO_COUNTS, pages: 3, read: 3000, inserted: 2900, unchanged: 100 }, expected: 12_000, elapsedMs: 2000 })).toBe(
      '3 pages · 3,000 / 12,000 features · 1,500 features/s · 25 % · ETA 6s · 2900 new, 0 changed, 100 unchanged, 0 rejected',
    );
    expect(progressLine({ runId: 1, counts: { ...ZERO_COUNTS, pages: 1, read: 10 }, expected: null, elapsedMs: 1000 })).toBe('1 pages · 10 features · 10 features/s · 0 new, 0 changed, 0 unchanged, 0 rejected');
  });
});
