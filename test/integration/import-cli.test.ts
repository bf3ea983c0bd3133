import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports/store.js';
import { runCli } from '../helpers/cli.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';

let db: Database;
let store: Store;
let dir: string;
const created: string[] = [];

const point = (id: string, coordinates: number[], properties: Record<string, unknown> = {}) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates }, properties });

async function file(name: string, content: unknown): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, typeof content === 'string' ? content : JSON.stringify(content));
  return target;
}

function collectionId(prefix: string): string {
  const id = uniqueId(prefix);
  created.push(id);
  return id;
}

async function count(id: string): Promise<number> {
  return (await store.collections.get(id))?.featureCount ?? 0;
}

/** Everything stored for a collection: its row (counts, extent, version, queryables) and each feature as stored. */
async function stored(id: string): Promise<unknown> {
  const [collection] = await db.query({
    text: 'SELECT feature_count, spatial_extent, data_version, queryables, updated_at FROM collection WHERE id = $1',
    values: [id],
  });
  const features = await db.query({
    text: 'SELECT f.id, f.seq, f.content_hash, f.geojson, f.retired_at, f.updated_at FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 ORDER BY f.id',
    values: [id],
  });
  return { collection, features };
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  dir = await mkdtemp(path.join(os.tmpdir(), 'placelink-import-'));
});

afterAll(async () => {
  for (const id of created) await store.collections.remove(id);
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('placelink import', () => {
  it('loads a GeoJSON file, then finds a second import of it unchanged', async () => {
    const id = collectionId('cli');
    const source = await file('ok.json', { type: 'FeatureCollection', features: [point('a', [9.7, 52.3], { kind: 'lamp' }), point('b', [9.8, 52.4], { kind: 'bench' })] });
    const first = await runCli(['import', source, '--collection', id, '--title', 'CLI test']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2 features read .* 2 inserted, 0 updated, 0 unchanged/);
    const collection = await store.collections.get(id);
    expect(collection).toMatchObject({ title: 'CLI test', featureCount: 2, queryables: { kind: { type: 'string' } } });
    const again = await runCli(['import', source, '--collection', id]);
    expect(again.stdout).toMatch(/0 inserted, 0 updated, 2 unchanged/);
  });

  it('reprojects from --crs exactly as PostGIS does', async () => {
    const id = collectionId('cli-25832');
    const source = await file('utm.json', { type: 'FeatureCollection', features: [point('p', [552262.59, 5800492.68])] });
    const result = await runCli(['import', source, '--collection', id, '--crs', '25832']);
    expect(result.code).toBe(0);
    const [row] = await db.query<{ dx: number; dy: number; srid: number }>({
      text: `SELECT abs(ST_X(f.geom) - ST_X(t.g)) AS dx, abs(ST_Y(f.geom) - ST_Y(t.g)) AS dy, c.source_srid AS srid
             FROM feature f JOIN collection c USING (collection_key),
                  (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(552262.59, 5800492.68), 25832), 4326) AS g) t
             WHERE c.id = $1`,
      values: [id],
    });
    expect(row!.srid).toBe(25832);
    expect(row!.dx).toBeLessThan(1e-8);
    expect(row!.dy).toBeLessThan(1e-8);
  });

  it('refuses a file that is not JSON, naming the line and the feature, and changes nothing', async () => {
    const id = collectionId('cli-bad');
    await runCli(['import', await file('seed.json', { type: 'FeatureCollection', features: [point('keep', [1, 2])] }), '--collection', id]);
    const broken = await file('broken.json', '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature" "id": 1}\n]}');
    const result = await runCli(['import', broken, '--collection', id]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/broken\.json is not valid JSON at line 3 \(in feature 0\): expected .,./);
    expect(await count(id)).toBe(1);
  });

  it('refuses JSON that is not GeoJSON', async () => {
    const result = await runCli(['import', await file('other.json', { hello: 'world' }), '--collection', collectionId('cli-other')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not a GeoJSON FeatureCollection or Feature/);
  });

  it('refuses a file with invalid features as a whole by default, and loads the rest with --skip-invalid', async () => {
    const id = collectionId('cli-mixed');
    const source = await file('mixed.json', {
      type: 'FeatureCollection',
      features: [point('good', [1, 2]), { type: 'Feature', id: 'short', geometry: { type: 'Point', coordinates: [1] }, properties: {} }, point('good', [3, 4])],
    });
    const refused = await runCli(['import', source, '--collection', id]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/feature 1: Position must be at least two elements/);
    expect(refused.stderr).toMatch(/feature 2 \(id good\): duplicate id, first used by feature 0/);
    expect(refused.stderr).toMatch(/2 of 3 features are invalid; nothing was imported/);
    expect(await count(id)).toBe(0);

    const partial = await runCli(['import', source, '--collection', id, '--skip-invalid']);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(/1 inserted.*2 rejected/);
    expect(await count(id)).toBe(1);
  });

  it('loses nothing of a collection with data when a non-GeoJSON file or a file with invalid features is imported into it', async () => {
    const id = collectionId('cli-keep');
    const seed = await file('keep.json', { type: 'FeatureCollection', features: [point('a', [9.7, 52.3], { kind: 'lamp' }), point('b', [9.8, 52.4], { kind: 'bench' }), point('c', [9.9, 52.5])] });
    expect((await runCli(['import', seed, '--collection', id])).code).toBe(0);
    const before = await stored(id);
    expect(before).toMatchObject({ collection: { feature_count: '3' }, features: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
    const refused = [
      await file('keep.csv', 'id;x;y\na;1;2\n'),
      await file('keep-topology.json', { type: 'Topology', objects: {}, arcs: [] }),
      await file('keep-mixed.json', {
        type: 'FeatureCollection',
        features: [point('a', [0, 0], { kind: 'moved' }), point('d', [1, 1]), { type: 'Feature', id: 'bad', geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] }, properties: {} }],
      }),
    ];
    for (const source of refused) {
      const result = await runCli(['import', source, '--collection', id]);
      expect(result.code, `${source}: ${result.stderr}`).not.toBe(0);
      expect(await stored(id), source).toEqual(before);
    }
  });

  it('repairs a self-intersecting polygon with ST_MakeValid and reports it', async () => {
    const id = collectionId('cli-bowtie');
    const bowtie = { type: 'Feature', id: 'bow', geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] }, properties: {} };
    const result = await runCli(['import', await file('bowtie.json', { type: 'FeatureCollection', features: [bowtie] }), '--collection', id]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/repaired bow: Self-intersection/);
    expect(result.stdout).toMatch(/1 geometries repaired/);
    const [row] = await db.query<{ valid: boolean; repair: string; area: number }>({
      text: 'SELECT ST_IsValid(f.geom) AS valid, f.geometry_repair AS repair, ST_Area(f.geom) AS area FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1',
      values: [id],
    });
    expect(row).toMatchObject({ valid: true, repair: expect.stringMatching(/Self-intersection/) });
    expect(row!.area).toBeCloseTo(0.5, 9);
  });

  it('names an unknown CRS', async () => {
    const result = await runCli(['import', await file('x.json', { type: 'FeatureCollection', features: [] }), '--collection', collectionId('cli-crs'), '--crs', 'EPSG:999999']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/EPSG:999999/);
  });

  it('explains missing arguments', async () => {
    const noCollection = await runCli(['import', 'somewhere.json']);
    expect(noCollection.code).toBe(2);
    expect(noCollection.stderr).toMatch(/--collection <id> is required/);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const badId = await runCli(['import', 'x.json', '--collection', '../etc']);
    expect(badId.code).toBe(2);
  });
});
