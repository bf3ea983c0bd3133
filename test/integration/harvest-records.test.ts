/**
 * What a run records and how it is shown: the first 100 rejections kept with complete counts,
 * `placelink runs` (list, one run with its rejections, JSON, bad arguments), and Z coordinates that
 * survive the trip into PostGIS and back out of the OGC API.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { runCli } from '../helpers/cli.js';
import { testLogger, uniqueId } from '../helpers/database.js';
import { getJson } from '../helpers/http-json.js';
import { harvestBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';

describe('run records', () => {
  const bench = harvestBench('records');
  const mappingId = `records-${Date.now()}`;

  async function harvest(features: unknown[], extra = '') {
    const collection = uniqueId('records');
    bench.collections.push(collection);
    await writeFile(path.join(bench.directory, `${collection}.geojson`), JSON.stringify({ type: 'FeatureCollection', features }));
    const loaded = await mappingFrom(`id: ${mappingId}\nsource:\n  type: file\n  path: ${collection}.geojson\ntarget:\n  collection: ${collection}\n${extra}`, path.join(bench.directory, 'inline.yaml'));
    return { run: await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' }), collection };
  }

  const point = (i: number, properties: Record<string, unknown>, coordinates: number[] = [9.7, 52.3]) => ({ type: 'Feature', id: `F${i}`, geometry: { type: 'Point', coordinates }, properties });

  it('keeps the first 100 rejections of a run and counts all of them', async () => {
    const features = Array.from({ length: 150 }, (_, i) => point(i, { wattage: i < 140 ? `lots-${i}` : i }));
    const { run } = await harvest(features, 'properties:\n  rules:\n    - { name: wattage, type: integer }\nrejections: { max: null }\n');
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 150, inserted: 10, rejected: 140 } });
    expect(run.rejections).toHaveLength(100);
    expect(run.rejections[0]).toEqual({ id: 'F0', location: expect.stringMatching(/feature 0 \(id F0\)$/), reason: expect.stringMatching(/^properties\.rules\[0\] \(wattage\): .*lots-0/) });
    expect(run.rejections[99]!.id).toBe('F99');
    const stored = await bench.store.runs.get(run.runId);
    expect(stored!.rejections).toHaveLength(100);
    expect(stored!.counts.rejected).toBe(140);
  });

  it('placelink runs lists runs newest first, shows one with its rejections, and speaks JSON', async () => {
    const ok = await harvest([point(1, {})]);
    const bad = await harvest([point(2, { wattage: 'x' })], 'properties:\n  rules:\n    - { name: wattage, type: integer }\n');
    const list = await runCli(['runs', mappingId, '--limit', '2']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\S+  ${mappingId} run ${bad.run.runId} succeeded in [\\d.]+ s: 1 read in 1 pages; 0 inserted, 0 updated, 0 unchanged, 0 retired, 0 purged, 1 rejected, 0 repaired, 0 duplicates$`));
    expect(lines[1]).toContain(`run ${ok.run.runId} succeeded`);

    const one = await runCli(['runs', '--run', String(bad.run.runId)]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`${mappingId} → ${bad.collection} (file `);
    expect(one.stdout).toMatch(/\n {2}rejected F2 at .*feature 0 \(id F2\): properties\.rules\[0\] \(wattage\): /);

    const json = await runCli(['runs', '--run', String(ok.run.runId), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: ok.run.runId, mappingId, status: 'succeeded', counts: { inserted: 1 } });

    expect((await runCli(['runs', 'no-such-mapping'])).stdout).toBe('no runs recorded\n');
    const wrong = await runCli(['runs', '--limit', '0']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('--limit must be an integer from 1 to 1000');
    const missing = await runCli(['runs', '--run', '999999999']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no run 999999999');
  });

  it('keeps Z through PostGIS and the OGC API (dimensions: keep), and drops it with dimensions: 2d', async () => {
    const kept = await harvest([point(1, {}, [9.75, 52.35, 57.25])]);
    expect(kept.run.status).toBe('succeeded');
    const [row] = await bench.db.query<{ z: number; dims: number }>({
      text: 'SELECT ST_Z(f.geom) AS z, ST_NDims(f.geom) AS dims FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1',
      values: [kept.collection],
    });
    expect(row).toEqual({ z: 57.25, dims: 3 });
    const { body } = await getJson<{ geometry: { coordinates: number[] } }>(`${bench.server.url}/collections/${kept.collection}/items/F1?f=json`);
    expect(body.geometry.coordinates).toEqual([9.75, 52.35, 57.25]);

    const flat = await harvest([point(1, {}, [9.75, 52.35, 57.25])], 'geometry:\n  dimensions: 2d\n');
    const [flatRow] = await bench.db.query<{ dims: number }>({
      text: 'SELECT ST_NDims(f.geom) AS dims FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1',
      values: [flat.collection],
    });
    expect(flatRow).toEqual({ dims: 2 });
  });
});
