/**
 * Property: a position taken from one projected CRS to another and back comes back within 1 mm
 * (25832 ↔ 3035 ↔ 31467 ↔ 2154 ↔ 27700 ↔ 3035), for positions inside both CRSs' areas of use.
 * fast-check generates the positions and, when one fails, shrinks it to a small counterexample.
 * EPSG:31467 (DHDN) goes through PROJ's BETA2007 grid, 2154 and 27700 through their datum shifts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRS84, epsgCrs } from '../../src/geo/crs-registry.js';
import { positionTransform } from '../../src/geo/reproject.js';

const PAIRS: readonly (readonly [number, number])[] = [
  [25832, 3035],
  [3035, 31467],
  [31467, 2154],
  [2154, 27700],
  [27700, 3035],
];

/** The overlap of both areas of use, pulled in by 5 % so positions stay clear of zone edges. */
function overlap(a: number, b: number): [number, number, number, number] {
  const [aw, as, ae, an] = epsgCrs(a).definition.areaOfUse!;
  const [bw, bs, be, bn] = epsgCrs(b).definition.areaOfUse!;
  const [w, s, e, n] = [Math.max(aw, bw), Math.max(as, bs), Math.min(ae, be), Math.min(an, bn)];
  const [dx, dy] = [(e - w) * 0.05, (n - s) * 0.05];
  return [w + dx, s + dy, e - dx, n - dy];
}

describe('round trips between projected CRSs', () => {
  it.each(PAIRS)('EPSG:%i → EPSG:%i → back stays within 1 mm', (a, b) => {
    const [west, south, east, north] = overlap(a, b);
    expect(west < east && south < north, `EPSG:${a} and EPSG:${b} have overlapping areas of use`).toBe(true);
    const toA = positionTransform(CRS84, a);
    const aToB = positionTransform({ ...epsgCrs(a), swapAxes: false }, b);
    const bToA = positionTransform({ ...epsgCrs(b), swapAxes: false }, a);
    fc.assert(
      fc.property(fc.double({ min: west, max: east, noNaN: true }), fc.double({ min: south, max: north, noNaN: true }), (lon, lat) => {
        const start = toA([lon, lat]);
        const back = bToA(aToB(start));
        const error = Math.hypot(back[0]! - start[0]!, back[1]! - start[1]!);
        if (!(error <= 0.001)) throw new Error(`EPSG:${a} (${start.join(' ')}) came back as (${back.join(' ')}), ${(error * 1000).toFixed(3)} mm off`);
      }),
      { numRuns: 300, seed: a * 100_000 + b },
    );
  });

  it('the property fails, and shrinks, when the way back is not the inverse', () => {
    const toA = positionTransform(CRS84, 25832);
    const wrongBack = positionTransform({ ...epsgCrs(3035), swapAxes: true }, 25832);
    const aToB = positionTransform({ ...epsgCrs(25832), swapAxes: false }, 3035);
    const run = fc.check(
      fc.property(fc.double({ min: 7, max: 11, noNaN: true }), fc.double({ min: 48, max: 54, noNaN: true }), (lon, lat) => {
        const start = toA([lon, lat]);
        const back = wrongBack(aToB(start));
        return Math.hypot(back[0]! - start[0]!, back[1]! - start[1]!) <= 0.001;
      }),
      { numRuns: 50, seed: 1 },
    );
    expect(run.failed).toBe(true);
    expect(run.numShrinks).toBeGreaterThan(0);
  });
});
