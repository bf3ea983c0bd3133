import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { announceSkip, missingCommand } from '../helpers/environment.js';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { feature, pointGrid } from '../helpers/fixtures.js';
import { runCommand } from '../helpers/run-command.js';

const skipped = announceSkip('test/e2e/gdal.test.ts', missingCommand('ogrinfo', ['--version'], 'install it with `apt-get install -y gdal-bin`'));

/** More than two pages at GDAL's page size below, with a count that is not a multiple of it. */
const POINTS = pointGrid(2500);
const PAGE_SIZE = 1000;
const square = (x: number, y: number, d: number) => ({ type: 'Polygon' as const, coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });
const AREAS: FeatureRecord[] = [
  feature('A-1', square(6.1, 50.2, 0.5), { name: 'west', rank: 1 }),
  feature('A-2', square(7.3, 51.0, 0.25), { name: 'middle', rank: 2 }),
  feature('A-3', square(8.0, 49.4, 1.0), { name: 'east', rank: 3 }),
];
const LINES: FeatureRecord[] = [
  feature('L-1', { type: 'LineString', coordinates: [[-3.2, 40.1], [-2.9, 40.6], [-2.4, 40.2]] }, { road: 'N-1' }),
  feature('L-2', { type: 'LineString', coordinates: [[-3.0, 39.8], [-2.1, 39.9]] }, { road: 'N-2' }),
];

interface Summary {
  featureCount: number;
  extent: [number, number, number, number];
  geometry: string;
  fields: string[];
}

/** Parses `ogrinfo -so` output into one summary per layer. */
function parseOgrinfo(stdout: string): Map<string, Summary> {
  const layers = new Map<string, Summary>();
  for (const block of stdout.split(/^Layer name: /m).slice(1)) {
    const name = block.slice(0, block.indexOf('\n')).trim();
    const count = /^Feature Count: (-?\d+)$/m.exec(block);
    const extent = /^Extent: \(([-\d.e+]+), ([-\d.e+]+)\) - \(([-\d.e+]+), ([-\d.e+]+)\)$/m.exec(block);
    const geometry = /^Geometry: (.+)$/m.exec(block);
    const fields = [...block.matchAll(/^(\w+): (?:String|Integer|Integer64|Real|Date|DateTime)/gm)].map((m) => m[1]!);
    layers.set(name, {
      featureCount: count ? Number(count[1]) : Number.NaN,
      extent: extent ? [Number(extent[1]), Number(extent[2]), Number(extent[3]), Number(extent[4])] : [Number.NaN, Number.NaN, Number.NaN, Number.NaN],
      geometry: geometry ? geometry[1]!.trim() : '',
      fields,
    });
  }
  return layers;
}

function envelope(records: readonly FeatureRecord[]): [number, number, number, number] {
  const coords: number[][] = [];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') coords.push(c as number[]);
    else if (Array.isArray(c)) c.forEach(walk);
  };
  for (const r of records) walk((r.geometry as { coordinates: unknown }).coordinates);
  return [Math.min(...coords.map((c) => c[0]!)), Math.min(...coords.map((c) => c[1]!)), Math.max(...coords.map((c) => c[0]!)), Math.max(...coords.map((c) => c[1]!))];
}

let api: FixtureApi;
let workDir: string;

describe.skipIf(skipped)('GDAL OAPIF driver against placelink', () => {
  beforeAll(async () => {
    api = await startFixtureApi([
      { prefix: 'gdal-points', definition: { title: 'GDAL points' }, records: POINTS },
      { prefix: 'gdal-areas', definition: { title: 'GDAL areas', sourceSrid: 25832 }, records: AREAS },
      { prefix: 'gdal-lines', definition: { title: 'GDAL lines' }, records: LINES },
    ]);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-gdal-'));
  });

  afterAll(async () => {
    await api?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const ogr = async (command: 'ogrinfo' | 'ogr2ogr', args: string[]) => {
    const result = await runCommand(command, args, { timeoutMs: 60_000, env: { GDAL_HTTP_TIMEOUT: '30', CPL_DEBUG: 'ON' } });
    expect(result.code, `${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-3000)}`).toBe(0);
    return result;
  };

  const collectionExtent = async (id: string): Promise<number[]> => {
    const response = await fetch(`${api.url}/collections/${id}`, { headers: { Accept: 'application/json' } });
    const body = (await response.json()) as { extent: { spatial: { bbox: number[][] } } };
    return body.extent.spatial.bbox[0]!;
  };

  it('ogrinfo lists every collection of the service with its feature count, geometry type, fields and extent', async () => {
    const { stdout } = await ogr('ogrinfo', ['-ro', '-al', '-so', `OAPIF:${api.url}`]);
    const layers = parseOgrinfo(stdout);
    const expected: Array<[string, FeatureRecord[], string, string[]]> = [
      ['gdal-points', POINTS, 'Point', ['id', 'n', 'even', 'kind', 'weight']],
      ['gdal-areas', AREAS, 'Polygon', ['id', 'name', 'rank']],
      ['gdal-lines', LINES, 'Line String', ['id', 'road']],
    ];
    for (const [prefix, records, geometry, fields] of expected) {
      const id = api.ids[prefix]!;
      const layer = layers.get(id);
      expect(layer, `layer ${id} missing from ogrinfo output:\n${stdout.slice(0, 2000)}`).toBeDefined();
      expect(layer!.featureCount).toBe(records.length);
      expect(layer!.geometry).toBe(geometry);
      expect(layer!.fields).toEqual(fields);
      const served = await collectionExtent(id);
      const computed = envelope(records);
      // ogrinfo prints six decimals
      layer!.extent.forEach((value, i) => {
        expect(value).toBeCloseTo(served[i]!, 5);
        expect(value).toBeCloseTo(computed[i]!, 5);
      });
    }
  });

  it('ogrinfo on each collection alone reads the same count and extent, and a spatial filter is answered by the server', async () => {
    for (const [prefix, records] of [['gdal-points', POINTS], ['gdal-areas', AREAS], ['gdal-lines', LINES]] as const) {
      const layerId = api.ids[prefix]!;
      const layer = parseOgrinfo((await ogr('ogrinfo', ['-ro', '-so', `OAPIF:${api.url}`, layerId])).stdout).get(layerId);
      expect(layer?.featureCount, layerId).toBe(records.length);
      layer!.extent.forEach((value, i) => expect(value).toBeCloseTo(envelope(records)[i]!, 5));
    }
    const id = api.ids['gdal-points']!;

    // A box holding the grid's columns 0..9 and rows 0..4: 50 points.
    const box = ['9.6995', '52.2995', '9.7095', '52.3045'];
    const { stdout, stderr } = await ogr('ogrinfo', ['-ro', '-so', '-spat', ...box, `OAPIF:${api.url}`, id]);
    const sent = /HTTP: Fetch\(\S+\/items\?\S*bbox=([^&)]+)/.exec(stderr);
    expect(sent, 'GDAL did not send the spatial filter as bbox').not.toBeNull();
    decodeURIComponent(sent![1]!)
      .split(',')
      .forEach((value, i) => expect(Number(value)).toBeCloseTo(Number(box[i]), 9));
    const expected = POINTS.filter((f) => {
      const [x, y] = (f.geometry as { coordinates: number[] }).coordinates as [number, number];
      return x >= 9.6995 && x <= 9.7095 && y >= 52.2995 && y <= 52.3045;
    }).length;
    expect(expected).toBe(50);
    expect(parseOgrinfo(stdout).get(id)?.featureCount).toBe(expected);
  });

  it('ogrinfo -where on a declared queryable is sent to the server (read from /api) and gives the right count', async () => {
    const id = api.ids['gdal-points']!;
    const { stdout, stderr } = await ogr('ogrinfo', ['-ro', '-so', '-where', "kind = 'bench'", `OAPIF:${api.url}`, id]);
    expect(stderr).toMatch(/HTTP: Fetch\(\S+\/items\?\S*kind=bench/);
    expect(parseOgrinfo(stdout).get(id)?.featureCount).toBe(POINTS.filter((f) => f.properties['kind'] === 'bench').length);
  });

  it(`ogr2ogr pages through ${POINTS.length} features at ${PAGE_SIZE} a page without losing or duplicating any`, async () => {
    const id = api.ids['gdal-points']!;
    const out = path.join(workDir, 'points.geojson');
    const { stderr } = await ogr('ogr2ogr', ['-f', 'GeoJSON', out, `OAPIF:${api.url}`, id, '-oo', `PAGE_SIZE=${PAGE_SIZE}`]);
    const pages = [...stderr.matchAll(/HTTP: Fetch\((\S+\/items\?\S*)\)/g)].map((m) => m[1]!);
    // GDAL asks for the first page twice (once to learn the layer), then follows two `next` links.
    expect(pages.filter((u) => u.includes('cursor=')).length).toBe(Math.ceil(POINTS.length / PAGE_SIZE) - 1);
    expect(pages.every((u) => u.includes(`limit=${PAGE_SIZE}`))).toBe(true);

    const written = JSON.parse(await readFile(out, 'utf8')) as { features: Array<{ properties: { id: string; n: number }; geometry: { coordinates: number[] } }> };
    const ids = written.features.map((f) => f.properties.id);
    expect(ids.length).toBe(POINTS.length);
    expect(new Set(ids).size).toBe(POINTS.length);
    expect([...ids].sort()).toEqual(POINTS.map((f) => f.id).sort());
    const byId = new Map(written.features.map((f) => [f.properties.id, f]));
    for (const index of [0, 999, 1000, 1999, 2000, 2499]) {
      const source = POINTS[index]!;
      const copy = byId.get(source.id)!;
      expect(copy.properties.n).toBe(index);
      expect(copy.geometry.coordinates[0]).toBeCloseTo((source.geometry as { coordinates: number[] }).coordinates[0]!, 9);
      expect(copy.geometry.coordinates[1]).toBeCloseTo((source.geometry as { coordinates: number[] }).coordinates[1]!, 9);
    }
  });

  it('ogr2ogr copies polygons with their coordinates and properties', async () => {
    const id = api.ids['gdal-areas']!;
    const out = path.join(workDir, 'areas.geojson');
    await ogr('ogr2ogr', ['-f', 'GeoJSON', out, `OAPIF:${api.url}`, id]);
    const written = JSON.parse(await readFile(out, 'utf8')) as { features: Array<{ properties: Record<string, unknown>; geometry: { type: string; coordinates: number[][][] } }> };
    expect(written.features.map((f) => f.properties)).toEqual(AREAS.map((a) => ({ id: a.id, ...a.properties })));
    expect(written.features.map((f) => f.geometry)).toEqual(AREAS.map((a) => a.geometry));
  });
});
