/**
 * GML curves and multi-geometries, one record at a time: every record of hale's sample-curve file
 * (a property holding bare gml:segments, 14 segment types) comes out with a geometry or with the
 * reason it has none; splines are evaluated (de Casteljau, de Boor, natural/clamped cubic) within
 * the densify tolerance; small documents written here cover CompositeSurface, MultiCurve,
 * MultiPoint, MultiLineString and GML objects placelink cannot read (reported, never dropped).
 * Expected values are worked out by hand from the control points, noted beside each.
 */
import { createReadStream } from 'node:fs';
import type { Geometry, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { readGml, type GmlReadResult } from '../../src/ingest/gml/gml-reader.js';
import type { SourceRecord } from '../../src/ingest/source-record.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';

async function read(source: AsyncIterable<Uint8Array | string> | string, tolerance = 0.5): Promise<SourceRecord[]> {
  const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings: [] };
  const chunks = typeof source === 'string' ? (async function* () { yield source; })() : source;
  const records: SourceRecord[] = [];
  for await (const record of readGml(chunks, { defaultCrs: 'EPSG:4326', ignoreSrsName: false, axisOrder: 'auto', densifyTolerance: tolerance, source: 'test' }, result)) records.push(record);
  return records;
}

const line = (record: SourceRecord): Position[] => {
  const geometry = record.geometries[0]?.geometry;
  if (!geometry || geometry.type !== 'LineString') throw new Error(`${record.id}: ${record.geometries[0] && 'problem' in record.geometries[0] ? record.geometries[0].problem : 'no line string'}`);
  return geometry.coordinates;
};
const problem = (record: SourceRecord) => {
  const item = record.geometries[0];
  return item && item.geometry === null ? item.problem : null;
};
/** Smallest distance from p to the polyline, in degrees (the tests work near the equator). */
const distanceTo = (p: Position, points: Position[]) =>
  Math.min(
    ...points.slice(1).map((b, i) => {
      const a = points[i]!;
      const [dx, dy] = [b[0]! - a[0]!, b[1]! - a[1]!];
      const t = Math.max(0, Math.min(1, ((p[0]! - a[0]!) * dx + (p[1]! - a[1]!) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(p[0]! - (a[0]! + t * dx), p[1]! - (a[1]! + t * dy));
    }),
  );
const METRE = 1 / 111_320;

describe.skipIf(!haveFixtures)('hale sample-curve-gml32.xml: a property holding bare gml:segments', () => {
  it('gives each of the 14 records a geometry or the reason it has none', async () => {
    const records = await read(createReadStream(fixture('gml-geometry', 'hale-sample-curve-gml32.xml')));
    const byId = Object.fromEntries(records.map((r) => [r.id, r]));
    expect(Object.keys(byId)).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen']);
    for (const record of records) expect(record.geometries, record.id!).toHaveLength(1);

    // LineStringSegment as gml:coordinates and as gml:posList: the three positions as written.
    expect(line(byId['one']!)).toEqual([[0.01, 3.2], [3.33, 3.33], [0.01, -3.2]]);
    expect(line(byId['two']!)).toEqual([[0.01, 3.2], [3.33, 3.33], [0.01, -3.2]]);
    // Arc 8,8 → 12,6.5 → 16,8: circle centre (12, 10.083…), radius 3.583…; the arc passes through 12,6.5.
    const arc = line(byId['three']!);
    expect(arc[0]).toEqual([8, 8]);
    expect(arc.at(-1)).toEqual([16, 8]);
    expect(distanceTo([12, 6.5], arc)).toBeLessThan(0.5 * METRE);
    expect(Math.min(...arc.map((p) => p[1]!))).toBeCloseTo(6.5, 4);
    // ArcByBulge and ArcStringByBulge need gml:bulge (and two positions per arc); the file has none.
    expect(problem(byId['four']!)).toBe('gml:ArcByBulge lacks gml:bulge for arc 1 (line 46)');
    expect(problem(byId['seven']!)).toBe('gml:ArcStringByBulge lacks gml:bulge for arc 1 (line 82)');
    // ArcByCenterPoint / CircleByCenterPoint with uom="" on the radius: no length unit to go by.
    expect(problem(byId['five']!)).toBe("radius unit '' is not known (use m, km, NM, ft or an EPSG unit URI) (line 59)");
    expect(problem(byId['eleven']!)).toBe("radius unit '' is not known (use m, km, NM, ft or an EPSG unit URI) (line 128)");
    // ArcString of one arc: through the three positions.
    const arcString = line(byId['six']!);
    expect(arcString[0]).toEqual([0.01, 3.2]);
    expect(arcString.at(-1)).toEqual([0.01, -3.2]);
    expect(distanceTo([3.33, 3.33], arcString)).toBeLessThan(0.5 * METRE);
    // Bezier without a degree: one quadratic; B(½) = ¼·P0 + ½·P1 + ¼·P2 = (1.67, 1.665).
    const curve = line(byId['eight']!);
    expect(curve[0]).toEqual([0.01, 3.2]);
    expect(curve.at(-1)).toEqual([0.01, -3.2]);
    expect(distanceTo([1.67, 1.665], curve)).toBeLessThan(0.5 * METRE);
    expect(distanceTo([3.33, 3.33], curve)).toBeGreaterThan(1);
    // BSpline without degree or knots: degree min(3, n−1) = 2, clamped uniform knots = the same quadratic Bézier.
    const spline = line(byId['nine']!);
    expect(spline[0]).toEqual([0.01, 3.2]);
    expect(spline.at(-1)).toEqual([0.01, -3.2]);
    expect(distanceTo([1.67, 1.665], spline)).toBeLessThan(0.5 * METRE);
    // Circle through the three positions, closed at the first.
    const circle = line(byId['ten']!);
    expect(circle[0]).toEqual([0.01, 3.2]);
    expect(circle.at(-1)).toEqual([0.01, 3.2]);
    expect(distanceTo([3.33, 3.33], circle)).toBeLessThan(0.5 * METRE);
    expect(distanceTo([0.01, -3.2], circle)).toBeLessThan(0.5 * METRE);
    // CubicSpline (no end vectors: natural ends) interpolates all three points.
    const cubic = line(byId['twelve']!);
    expect(cubic[0]).toEqual([0.01, 3.2]);
    expect(cubic.at(-1)).toEqual([0.01, -3.2]);
    expect(cubic).toContainEqual([3.33, 3.33]);
    expect(cubic.length).toBeGreaterThan(10);
    // Geodesic and GeodesicString: great circles between the positions, which they keep.
    for (const id of ['thirteen', 'fourteen']) {
      const geodesic = line(byId[id]!);
      expect(geodesic[0]).toEqual([0.01, 3.2]);
      expect(geodesic).toContainEqual([3.33, 3.33]);
      expect(geodesic.at(-1)).toEqual([0.01, -3.2]);
    }
  });
});

const GML = 'xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:t="http://example.org/t"';
const feature = (id: string, geometry: string) => `<t:F ${GML} gml:id="${id}"><t:geom>${geometry}</t:geom></t:F>`;

describe('curve segments evaluated from their definition', () => {
  it('Bezier of degree 2 in two pieces passes through the shared control point', async () => {
    // Pieces (0,0)(1,2)(2,0) and (2,0)(3,-2)(4,0): B(½) of each = (1, 1) and (3, -1).
    const [record] = await read(feature('b', '<gml:Curve><gml:segments><gml:Bezier><gml:posList>0 0 1 2 2 0 3 -2 4 0</gml:posList><gml:degree>2</gml:degree></gml:Bezier></gml:segments></gml:Curve>'), 0.05);
    const points = line(record!);
    expect(points[0]).toEqual([0, 0]);
    expect(points).toContainEqual([2, 0]);
    expect(points.at(-1)).toEqual([4, 0]);
    expect(distanceTo([1, 1], points)).toBeLessThan(0.05 * METRE);
    expect(distanceTo([3, -1], points)).toBeLessThan(0.05 * METRE);
  });

  it('BSpline with explicit knots (cubic, clamped) ends on its end points and stays within the tolerance', async () => {
    const knots = [
      [0, 4],
      [1, 4],
    ]
      .map(([v, m]) => `<gml:knot><gml:Knot><gml:value>${v}</gml:value><gml:multiplicity>${m}</gml:multiplicity><gml:weight>1</gml:weight></gml:Knot></gml:knot>`)
      .join('');
    // A clamped cubic with 4 control points is the cubic Bézier: B(½) = (P0 + 3P1 + 3P2 + P3)/8 = (1.5, 1.5) for (0,0)(1,2)(2,2)(3,0).
    const [record] = await read(feature('s', `<gml:Curve><gml:segments><gml:BSpline><gml:posList>0 0 1 2 2 2 3 0</gml:posList><gml:degree>3</gml:degree>${knots}</gml:BSpline></gml:segments></gml:Curve>`), 0.05);
    const points = line(record!);
    expect(points[0]).toEqual([0, 0]);
    expect(points.at(-1)).toEqual([3, 0]);
    expect(distanceTo([1.5, 1.5], points)).toBeLessThan(0.05 * METRE);
  });

  it('refuses a rational BSpline and a knot vector of the wrong length', async () => {
    const knot = (v: number, m: number, w = 1) => `<gml:knot><gml:Knot><gml:value>${v}</gml:value><gml:multiplicity>${m}</gml:multiplicity><gml:weight>${w}</gml:weight></gml:Knot></gml:knot>`;
    const [rational] = await read(feature('r', `<gml:Curve><gml:segments><gml:BSpline><gml:posList>0 0 1 2 2 0</gml:posList><gml:degree>2</gml:degree>${knot(0, 3, 2)}${knot(1, 3)}</gml:BSpline></gml:segments></gml:Curve>`));
    expect(problem(rational!)).toMatch(/^gml:BSpline with knot weights other than 1 \(a rational spline\) is not supported \(line 1\)$/);
    const [short] = await read(feature('k', `<gml:Curve><gml:segments><gml:BSpline><gml:posList>0 0 1 2 2 0</gml:posList><gml:degree>2</gml:degree>${knot(0, 2)}${knot(1, 2)}</gml:BSpline></gml:segments></gml:Curve>`));
    expect(problem(short!)).toBe('gml:BSpline: a BSpline of degree 2 with 3 control points needs 6 knots counting multiplicity (it has 4) (line 1)');
  });

  it('CubicSpline with end vectors leaves in their direction', async () => {
    const [record] = await read(feature('c', '<gml:Curve><gml:segments><gml:CubicSpline><gml:posList>0 0 1 1 2 0</gml:posList><gml:vectorAtStart>0 1</gml:vectorAtStart><gml:vectorAtEnd>0 -1</gml:vectorAtEnd></gml:CubicSpline></gml:segments></gml:Curve>'), 0.05);
    const points = line(record!);
    expect(points).toContainEqual([1, 1]);
    // Leaving straight north: the second vertex is (almost) above the first.
    expect(Math.abs(points[1]![0]! - 0) / Math.abs(points[1]![1]!)).toBeLessThan(0.05);
  });

  it.each([
    ['OffsetCurve', '<gml:Curve><gml:segments><gml:OffsetCurve><gml:offsetBase/><gml:distance uom="m">5</gml:distance></gml:OffsetCurve></gml:segments></gml:Curve>', /^gml:OffsetCurve is not a supported curve segment \(line 1\)$/],
    ['Clothoid', '<gml:Curve><gml:segments><gml:Clothoid/></gml:segments></gml:Curve>', /^gml:Clothoid is not a supported curve segment \(line 1\)$/],
    ['a GML object placelink does not know', '<gml:Hyperboloid><gml:pos>1 2</gml:pos></gml:Hyperboloid>', /^gml:Hyperboloid is not a supported geometry \(line 1\)$/],
  ])('reports %s as the record’s geometry problem instead of dropping it', async (_what, geometry, message) => {
    const [record] = await read(feature('x', geometry));
    expect(record!.geometries).toHaveLength(1);
    expect(problem(record!)).toMatch(message);
  });

  it('keeps a gml:TimeInstant in a property as a value, not a geometry', async () => {
    const [record] = await read(`<t:F ${GML} gml:id="t"><t:when><gml:TimeInstant gml:id="ti"><gml:timePosition>2020-01-02</gml:timePosition></gml:TimeInstant></t:when></t:F>`);
    expect(record!.geometries).toEqual([]);
    expect(record!.properties).toEqual({ when: '2020-01-02' });
  });
});

describe('multi-geometries', () => {
  const geometryOf = async (xml: string): Promise<Geometry> => {
    const [record] = await read(feature('m', xml));
    const geometry = record!.geometries[0]?.geometry;
    if (!geometry) throw new Error(problem(record!) ?? 'no geometry');
    return geometry;
  };

  it('CompositeSurface of two polygons sharing an edge → MultiPolygon of both', async () => {
    const square = (x: number) => `<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>${x} 0 ${x + 1} 0 ${x + 1} 1 ${x} 1 ${x} 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>`;
    expect(await geometryOf(`<gml:CompositeSurface>${square(0)}${square(1)}</gml:CompositeSurface>`)).toEqual({
      type: 'MultiPolygon',
      coordinates: [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]],
      ],
    });
  });

  it('MultiCurve of a LineString and a Curve with an Arc → MultiLineString', async () => {
    const geometry = await geometryOf(
      '<gml:MultiCurve><gml:curveMember><gml:LineString><gml:posList>0 0 1 1</gml:posList></gml:LineString></gml:curveMember>' +
        '<gml:curveMember><gml:Curve><gml:segments><gml:Arc><gml:posList>2 0 3 1 4 0</gml:posList></gml:Arc></gml:segments></gml:Curve></gml:curveMember></gml:MultiCurve>',
    );
    expect(geometry.type).toBe('MultiLineString');
    const [first, second] = (geometry as { coordinates: Position[][] }).coordinates;
    expect(first).toEqual([[0, 0], [1, 1]]);
    expect(second![0]).toEqual([2, 0]);
    expect(second!.at(-1)).toEqual([4, 0]);
    expect(distanceTo([3, 1], second!)).toBeLessThan(0.5 * METRE);
  });

  it('MultiPoint with pointMember and pointMembers → MultiPoint in document order', async () => {
    expect(
      await geometryOf(
        '<gml:MultiPoint><gml:pointMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember><gml:pointMembers><gml:Point><gml:pos>3 4</gml:pos></gml:Point><gml:Point><gml:pos>5 6</gml:pos></gml:Point></gml:pointMembers></gml:MultiPoint>',
      ),
    ).toEqual({ type: 'MultiPoint', coordinates: [[1, 2], [3, 4], [5, 6]] });
  });

  it('GML 2 MultiLineString with gml:coordinates → MultiLineString', async () => {
    const [record] = await read(
      `<t:F xmlns:gml="http://www.opengis.net/gml" xmlns:t="http://example.org/t" fid="g2"><t:geom><gml:MultiLineString srsName="EPSG:4326"><gml:lineStringMember><gml:LineString><gml:coordinates>1,2 3,4</gml:coordinates></gml:LineString></gml:lineStringMember><gml:lineStringMember><gml:LineString><gml:coordinates>5,6 7,8 9,10</gml:coordinates></gml:LineString></gml:lineStringMember></gml:MultiLineString></t:geom></t:F>`,
    );
    expect(record!.id).toBe('g2');
    expect(record!.geometries[0]!.geometry).toEqual({ type: 'MultiLineString', coordinates: [[[1, 2], [3, 4]], [[5, 6], [7, 8], [9, 10]]] });
  });
});
