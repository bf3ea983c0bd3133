/**
 * `placelink ingest` killed with SIGKILL in the middle of a run: the database rolls its transaction
 * back and releases the harvest lock with the connection, readers never see the half-written run,
 * and the next run marks the dead one failed and completes. A collection harvested before keeps
 * exactly the earlier run's data through the killed run.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateMappingFile } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import { harvestSql } from '../../src/db/sql/harvest-sql.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { isEmbedded, testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';

const FEATURES = 40_000;

/** FEATURES points; `label` goes into every feature's `n` property, so runs can be told apart. */
function document(label: string): string {
  const members = Array.from(
    { length: FEATURES },
    (_, i) => `<gml:featureMember><t:P gml:id="p${i}"><t:n>${label}-${i}</t:n><t:g><gml:Point srsName="EPSG:25832"><gml:pos>${550000 + (i % 200) * 10} ${5800000 + Math.floor(i / 200) * 10}</gml:pos></gml:Point></t:g></t:P></gml:featureMember>`,
  );
  return `<?xml version="1.0"?>\n<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:t="http://example.org/t">\n${members.join('\n')}\n</gml:FeatureCollection>\n`;
}
const skip = announceSkip('test/e2e/harvest-killed.test.ts', isEmbedded() ? 'needs PostgreSQL (the embedded database serves one connection)' : null);

describe.skipIf(skip)('a harvest process killed mid-run', () => {
  let db: Database;
  let store: Store;
  let directory: string;
  const collection = uniqueId('killed');
  const mappingId = `killed-${Date.now()}`;

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-killed-'));
    await writeFile(path.join(directory, 'big.gml'), document('v1'));
    await writeFile(path.join(directory, 'killed.yaml'), `id: ${mappingId}\nsource:\n  type: file\n  path: big.gml\ntarget:\n  collection: ${collection}\n`);
  });
  afterAll(async () => {
    await store.collections.remove(collection);
    await db.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** Starts `placelink ingest` and kills it with SIGKILL once its run has recorded progress; the killed run's id. */
  async function killMidRun(): Promise<{ runId: number; read: number }> {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: inject('databaseUrl'), PLACELINK_MAPPINGS: directory, LOG_LEVEL: 'silent' };
    delete env['BASE_URL'];
    const before = await db.query<{ run_id: string }>({ text: 'SELECT run_id::text FROM harvest_run WHERE mapping_id = $1', values: [mappingId] });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'ingest', mappingId], { env, stdio: 'ignore' });
    let running: { run_id: string; read: string } | undefined;
    for (let i = 0; i < 300 && !running; i++) {
      await sleep(100);
      [running] = await db.query<{ run_id: string; read: string }>({
        text: `SELECT run_id::text, read::text FROM harvest_run WHERE mapping_id = $1 AND status = 'running' AND read > 0 AND NOT run_id = ANY($2::bigint[])`,
        values: [mappingId, before.map((r) => r.run_id)],
      });
    }
    expect(running, 'the run never reported progress').toBeDefined();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // PostgreSQL ends the dead client's backend (and its transaction and lock) only once it notices
    // the closed connection, which on a busy machine can take a moment after the process is gone.
    for (let i = 0; i < 300; i++) {
      const [lock] = await db.query<{ held: boolean }>(harvestSql.lockHeld(collection));
      if (!lock!.held) break;
      await sleep(100);
    }
    return { runId: Number(running!.run_id), read: Number(running!.read) };
  }

  async function labels(): Promise<{ label: string; n: string }[]> {
    return db.query<{ label: string; n: string }>({
      text: `SELECT split_part(f.properties->>'n', '-', 1) AS label, count(*)::text AS n FROM feature f JOIN collection c USING (collection_key)
             WHERE c.id = $1 AND f.retired_at IS NULL GROUP BY 1 ORDER BY 1`,
      values: [collection],
    });
  }

  it('leaves nothing half-written, and the next run marks it failed and completes', async () => {
    const killed = await killMidRun();
    expect(killed.read).toBeLessThan(FEATURES);

    // Readers never saw the killed run's writes: the collection may exist from the roll-back's point of view only as empty.
    expect((await store.collections.get(collection))?.featureCount ?? 0).toBe(0);

    const loaded = (await validateMappingFile(path.join(directory, 'killed.yaml'))).loaded!;
    const next = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(next).toMatchObject({ status: 'succeeded', counts: { read: FEATURES, inserted: FEATURES, duplicates: 0 } });
    expect((await store.collections.get(collection))?.featureCount).toBe(FEATURES);
    expect(await store.runs.get(killed.runId)).toMatchObject({ status: 'failed', error: 'interrupted: the process ended before the run finished (nothing it read was stored)' });
  });

  it('keeps the earlier run\'s data exactly through a run killed mid-way, and the run after it completes', async () => {
    // The collection holds the complete v1 harvest of the test above.
    expect(await labels()).toEqual([{ label: 'v1', n: String(FEATURES) }]);
    const version = (await store.collections.get(collection))!.dataVersion;

    await writeFile(path.join(directory, 'big.gml'), document('v2'));
    const killed = await killMidRun();
    expect(killed.read).toBeLessThan(FEATURES);
    expect(await labels()).toEqual([{ label: 'v1', n: String(FEATURES) }]);
    const afterKill = await store.collections.get(collection);
    expect(afterKill).toMatchObject({ featureCount: FEATURES, dataVersion: version });

    const loaded = (await validateMappingFile(path.join(directory, 'killed.yaml'))).loaded!;
    const third = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(third).toMatchObject({ status: 'succeeded', counts: { read: FEATURES, updated: FEATURES, inserted: 0, duplicates: 0 } });
    expect(await labels()).toEqual([{ label: 'v2', n: String(FEATURES) }]);
    expect(await store.runs.get(killed.runId)).toMatchObject({ status: 'failed' });
  });
});
