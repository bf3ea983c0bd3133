import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { announceSkip, conformanceDir, missingPath } from '../helpers/environment.js';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { feature } from '../helpers/fixtures.js';
import { runCommand } from '../helpers/run-command.js';

const PROBE_DIR = path.join(conformanceDir(), 'ogc-probe');
const PROBE = path.join(PROBE_DIR, 'ogc-probe.mjs');
const skipped = announceSkip('test/e2e/ogc-probe.test.ts', missingPath(PROBE, 'The ogc-probe (OGC CITE checks for OGC API – Features)'));

interface ProbeResult {
  status: 'PASS' | 'FAIL' | 'SKIP';
  id: string;
  kind: 'ets' | 'extra';
  reason: string;
  fallback: boolean;
}
interface ProbeReport {
  summary: { passed: number; failed: number; skipped: number };
  requests: number;
  results: ProbeResult[];
}

const point = (lon: number, lat: number) => ({ type: 'Point' as const, coordinates: [lon, lat] });
const box = (w: number, s: number, e: number, n: number) => ({ type: 'Polygon' as const, coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] });
const interval = (record: FeatureRecord, start: string | null, end: string | null): FeatureRecord => ({ ...record, timeStart: start, timeEnd: end });

/**
 * Stations with a feature inside each of the boxes the CITE suite always asks for (around the prime
 * meridian, the equator, the antimeridian and both poles), so its bbox response checks have
 * something to check instead of skipping; and a cluster of sensors at the first one, so the probe's
 * small-box paging walk crosses several pages.
 */
const STATIONS: FeatureRecord[] = [
  feature('greenwich', point(-0.0015, 51.4778), { name: 'Royal Observatory', elevation: 46 }, '2020-03-01T00:00:00Z'),
  ...Array.from({ length: 12 }, (_, i) =>
    feature(`greenwich-sensor-${i + 1}`, point(-0.0015 + (i % 4) * 0.0001, 51.4778 + Math.floor(i / 4) * 0.0001), { name: `Sensor ${i + 1}`, elevation: 46 + i }, `2020-03-${String(2 + i).padStart(2, '0')}T00:00:00Z`),
  ),
  feature('dover', point(1.3132, 51.1279), { name: 'Dover', elevation: 5 }, '2020-04-01T00:00:00Z'),
  feature('quito', point(-78.4678, -0.1807), { name: 'Quito', elevation: 2850 }, '2021-01-15T00:00:00Z'),
  feature('equator-west', point(-74.0, 0.5), { name: 'Equator west', elevation: 12 }, '2021-02-15T00:00:00Z'),
  feature('chukotka', point(178.5, 66.5), { name: 'Chukotka', elevation: 80 }, '2022-06-01T00:00:00Z'),
  feature('chukchi-buoy', point(-178.2, 68.9), { name: 'Chukchi Sea buoy', elevation: 0 }, '2022-06-02T00:00:00Z'),
  feature('ice-station', point(10.0, 88.2), { name: 'Drifting ice station', elevation: 0 }, '2023-01-10T00:00:00Z'),
  feature('south-pole', point(-45.0, -89.99), { name: 'Amundsen–Scott', elevation: 2835 }, '2023-02-10T00:00:00Z'),
  feature('hannover', point(9.732, 52.3759), { name: 'Hannover', elevation: 55 }, '2024-05-05T00:00:00Z'),
];

/**
 * Survey areas with validity intervals (open-ended ones too) and a date property, then small plots at
 * the first one. The plots come last: the suite's bbox-crs check compares the first page (10) of a
 * bbox request in CRS84 with the first page in each other CRS, whose box is only the two transformed
 * corners of the extent (in EPSG:3035 a thin strip through both poles); with the large areas on the
 * first page both first pages hold the same polar areas.
 */
const AREAS: FeatureRecord[] = [
  interval(feature('thames', box(-0.5, 51.3, 0.5, 51.7), { name: 'Thames survey', surveyed: '2019-06-01' }), '2019-01-01T00:00:00Z', '2019-12-31T23:59:59Z'),
  interval(feature('andes', box(-79.0, -1.0, -78.0, 0.0), { name: 'Andes survey', surveyed: '2020-02-01' }), '2020-01-01T00:00:00Z', '2020-06-30T00:00:00Z'),
  interval(feature('bering', box(178.0, 66.0, 179.5, 67.0), { name: 'Bering west', surveyed: '2021-08-01' }), '2021-07-01T00:00:00Z', null),
  interval(feature('arctic', box(-20.0, 86.0, 20.0, 87.0), { name: 'Arctic ice', surveyed: '2022-03-01' }), null, '2022-04-01T00:00:00Z'),
  interval(feature('antarctic', box(0.0, -88.0, 30.0, -86.0), { name: 'Polar plateau', surveyed: '2023-01-01' }), '2022-12-01T00:00:00Z', '2023-02-28T00:00:00Z'),
  ...Array.from({ length: 8 }, (_, i) =>
    interval(feature(`thames-plot-${i + 1}`, box(-0.5 + i * 0.0001, 51.3, -0.49995 + i * 0.0001, 51.30005), { name: `Plot ${i + 1}`, surveyed: '2019-07-01' }), '2019-07-01T00:00:00Z', '2019-07-31T00:00:00Z'),
  ),
];

/**
 * The Chukchi Sea straddles the antimeridian: points on both sides of it, and a line and an area
 * split at it as RFC 7946 §3.1.9 asks. No point lies on ±180° itself: the suite writes transformed
 * boxes with 7 decimals, so EPSG:3857's ±20037508.3427892 ends a hair short of the antimeridian.
 */
const DATELINE: FeatureRecord[] = [
  ...Array.from({ length: 11 }, (_, i) => {
    const lon = 178.1 + i * 0.4;
    return feature(`buoy-${i + 1}`, point(lon > 180 ? Number((lon - 360).toFixed(6)) : lon, 68.5), { name: `Buoy ${i + 1}`, side: lon > 180 ? 'west' : 'east' });
  }),
  feature('cable', { type: 'MultiLineString', coordinates: [[[179.0, 67.0], [180.0, 67.2]], [[-180.0, 67.2], [-179.0, 67.5]]] }, { name: 'Cable', side: 'both' }),
  feature('ice-shelf', { type: 'MultiPolygon', coordinates: [[[[179.5, 69.0], [180.0, 69.0], [180.0, 69.5], [179.5, 69.5], [179.5, 69.0]]], [[[-180.0, 69.0], [-179.5, 69.0], [-179.5, 69.5], [-180.0, 69.5], [-180.0, 69.0]]]] }, { name: 'Ice', side: 'both' }),
];

let api: FixtureApi;
let workDir: string;
let report: ProbeReport;
let probeSkip: string | null = null;

const line = (r: ProbeResult) => `${r.status} ${r.id} ${r.reason}`;

describe.skipIf(skipped)('ogc-probe (the CITE ets-ogcapi-features10 checks, Part 1 and Part 2)', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(PROBE_DIR, 'node_modules'))) {
      const install = await runCommand('npm', ['ci', '--prefix', PROBE_DIR, '--no-audit', '--no-fund'], { timeoutMs: 120_000 });
      if (install.code !== 0) probeSkip = `npm ci --prefix ${PROBE_DIR} failed (${install.code}): ${install.stderr.slice(-500)}`;
    }
    if (probeSkip) {
      announceSkip('test/e2e/ogc-probe.test.ts', probeSkip);
      return;
    }
    api = await startFixtureApi([
      { prefix: 'probe-stations', definition: { title: 'Stations', description: 'Points near the boxes the CITE suite asks for' }, records: STATIONS },
      { prefix: 'probe-areas', definition: { title: 'Survey areas', description: 'Polygons with validity intervals', sourceSrid: 3035 }, records: AREAS },
      { prefix: 'probe-dateline', definition: { title: 'Chukchi Sea', description: 'Across the antimeridian' }, records: DATELINE },
    ]);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-probe-'));
    const out = path.join(workDir, 'probe.json');
    const ids = Object.values(api.ids).join(',');
    const run = await runCommand('node', [PROBE, api.url, '--collections', ids, '--max-requests', '1000', '--json', out], { timeoutMs: 120_000 });
    if (!existsSync(out)) throw new Error(`ogc-probe wrote no report (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    report = JSON.parse(await readFile(out, 'utf8')) as ProbeReport;
    process.stderr.write(`${run.stdout.split('\n').filter((l) => l.startsWith('#') || l.startsWith('SKIP') || l.startsWith('ogc-probe:')).join('\n')}\n`);
  });

  afterAll(async () => {
    await api?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('passes every check it runs: 0 failed', (ctx) => {
    if (probeSkip) ctx.skip(probeSkip);
    const failed = report.results.filter((r) => r.status === 'FAIL');
    expect(failed.map(line), `ogc-probe failures:\n${failed.map(line).join('\n')}`).toEqual([]);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.passed).toBeGreaterThan(200);
  });

  it('ran the checks on each collection and never on fallback navigation', (ctx) => {
    if (probeSkip) ctx.skip(probeSkip);
    for (const id of Object.values(api.ids)) expect(report.results.some((r) => r.id.includes(`@${id}`) && r.status === 'PASS'), id).toBe(true);
    expect(report.results.filter((r) => r.fallback).map(line)).toEqual([]);
    expect(report.results.filter((r) => /budget/.test(r.reason)).map(line)).toEqual([]);
  });

  it('checks bbox responses around the meridian, the equator, the antimeridian and both poles on the station and area collections', (ctx) => {
    if (probeSkip) ctx.skip(probeSkip);
    for (const prefix of ['probe-stations', 'probe-areas']) {
      for (const name of ['extent', 'meridian', 'equator', 'antimeridian', 'north-pole', 'south-pole']) {
        const id = `core.bbox.response@${api.ids[prefix]}?bbox=${name}`;
        const result = report.results.find((r) => r.id === id);
        expect(result ? line(result) : `${id} missing`).toMatch(/^PASS /);
      }
    }
    const dateline = report.results.find((r) => r.id === `core.bbox.response@${api.ids['probe-dateline']}?bbox=antimeridian`);
    expect(dateline && line(dateline)).toMatch(/^PASS /);
  });

  it('skips only the fixed boxes where the antimeridian collection has no features', (ctx) => {
    if (probeSkip) ctx.skip(probeSkip);
    const skippedChecks = report.results.filter((r) => r.status === 'SKIP');
    const dateline = api.ids['probe-dateline']!;
    const expected = ['meridian', 'equator', 'north-pole', 'south-pole'].map((box) => `SKIP core.bbox.response@${dateline}?bbox=${box} No features were returned for collection.`);
    expect(skippedChecks.map(line).sort()).toEqual(expected.sort());
  });
});
