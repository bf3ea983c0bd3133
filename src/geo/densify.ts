import type { Position } from 'geojson';
import geographiclib from 'geographiclib-geodesic';

/**
 * Curves that PostGIS cannot store as such (GML Arc, Circle, ArcByCenterPoint, GeodesicString,
 * Bezier, BSpline, CubicSpline …) become line strings whose segments stay within `tolerance` metres
 * of the true curve. Positions are x/y (east, north) in the curve's own CRS; geographic CRSs are in
 * degrees, and their distances and geodesics are on the WGS 84 ellipsoid (GRS 80 differs by less
 * than a millimetre here).
 */
export interface CurveSpace {
  readonly geographic: boolean;
  /** Metres per CRS unit for projected CRSs (1 for metre-based ones). */
  readonly metresPerUnit: number;
  /** Maximum distance between the curve and its chords, in metres. */
  readonly tolerance: number;
}

const WGS84 = geographiclib.Geodesic.WGS84;
/** Mean radius: enough to count the segments a tolerance needs, not to place points. */
const EARTH_RADIUS = 6_371_008.8;
const METRES_PER_DEGREE = (Math.PI / 180) * EARTH_RADIUS;
/** Bounds the points one arc can produce whatever the tolerance. */
const MAX_SEGMENTS = 10_000;

const toRadians = (degrees: number) => (degrees * Math.PI) / 180;

/** Segments needed so a circle of `radiusMetres` deviates at most `tolerance` over `sweep` radians. */
function segmentsFor(sweep: number, radiusMetres: number, tolerance: number): number {
  if (!(radiusMetres > tolerance)) return Math.max(1, Math.ceil(Math.abs(sweep) / (Math.PI / 2)));
  const step = 2 * Math.acos(1 - tolerance / radiusMetres);
  return Math.min(MAX_SEGMENTS, Math.max(2, Math.ceil(Math.abs(sweep) / step)));
}

function withZ(x: number, y: number, z: number | undefined): Position {
  return z === undefined ? [x, y] : [x, y, z];
}

const lerp = (a: number | undefined, b: number | undefined, t: number) => (a === undefined || b === undefined ? undefined : a + (b - a) * t);

/**
 * The circle through three points, in a local frame where x is scaled by cos(latitude) for
 * geographic CRSs (so the circle is round on the ground, not in degrees).
 */
function circleThrough(p1: Position, p2: Position, p3: Position, space: CurveSpace) {
  const k = space.geographic ? Math.cos(toRadians((p1[1]! + p2[1]! + p3[1]!) / 3)) : 1;
  const [ax, ay, bx, by, cx, cy] = [p1[0]! * k, p1[1]!, p2[0]! * k, p2[1]!, p3[0]! * k, p3[1]!];
  const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
  if (Math.abs(d) < 1e-15 * Math.max(1, Math.abs(ax) + Math.abs(ay))) return null;
  const a2 = ax * ax + ay * ay;
  const b2 = bx * bx + by * by;
  const c2 = cx * cx + cy * cy;
  const ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d;
  const uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d;
  const radius = Math.hypot(ax - ux, ay - uy);
  const radiusMetres = radius * (space.geographic ? METRES_PER_DEGREE : space.metresPerUnit);
  const angle = (x: number, y: number) => Math.atan2(y - uy, x - ux);
  // Orientation of p1 → p2 → p3 decides the direction of travel.
  const counterClockwise = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0;
  return { k, ux, uy, radius, radiusMetres, a1: angle(ax, ay), a2: angle(bx, by), a3: angle(cx, cy), counterClockwise };
}

function sweepBetween(from: number, to: number, counterClockwise: boolean): number {
  let sweep = to - from;
  if (counterClockwise) while (sweep <= 0) sweep += 2 * Math.PI;
  else while (sweep >= 0) sweep -= 2 * Math.PI;
  return sweep;
}

/** The arc from p1 through p2 to p3 (GML Arc, each arc of an ArcString). */
export function arcThroughPoints(p1: Position, p2: Position, p3: Position, space: CurveSpace): Position[] {
  const circle = circleThrough(p1, p2, p3, space);
  if (!circle) return [p1, p2, p3];
  const { k, ux, uy, radius, radiusMetres, a1, a2, a3, counterClockwise } = circle;
  const sweep = sweepBetween(a1, a3, counterClockwise);
  const toMiddle = sweepBetween(a1, a2, counterClockwise);
  const n = segmentsFor(sweep, radiusMetres, space.tolerance);
  const out: Position[] = [p1];
  for (let i = 1; i < n; i++) {
    const t = i / n;
    const a = a1 + sweep * t;
    // Z follows the arc from p1 to p2, then p2 to p3.
    const along = (sweep * t) / toMiddle;
    const z = along <= 1 ? lerp(p1[2], p2[2], along) : lerp(p2[2], p3[2], (sweep * t - toMiddle) / (sweep - toMiddle));
    out.push(withZ((ux + radius * Math.cos(a)) / k, uy + radius * Math.sin(a), z));
  }
  out.push(p3);
  return out;
}

/** The full circle through three points, starting and ending at p1 (GML Circle). */
export function circleThroughPoints(p1: Position, p2: Position, p3: Position, space: CurveSpace): Position[] | null {
  const circle = circleThrough(p1, p2, p3, space);
  if (!circle) return null;
  const { k, ux, uy, radius, radiusMetres, a1, counterClockwise } = circle;
  const sweep = (counterClockwise ? 1 : -1) * 2 * Math.PI;
  const n = Math.max(8, segmentsFor(sweep, radiusMetres, space.tolerance));
  const out: Position[] = [p1];
  for (let i = 1; i < n; i++) {
    const a = a1 + (sweep * i) / n;
    out.push(withZ((ux + radius * Math.cos(a)) / k, uy + radius * Math.sin(a), p1[2]));
  }
  out.push(p1);
  return out;
}

/** Point at `distance` metres from (lon, lat) along the geodesic with the given azimuth (degrees from north). */
export function destination(lon: number, lat: number, bearing: number, distance: number): [number, number] {
  const { lon2, lat2 } = WGS84.Direct(lat, lon, bearing, distance);
  return [lon2!, lat2!];
}

/**
 * GML ArcByCenterPoint / CircleByCenterPoint. Angles are measured, as GML says, from the CRS's
 * first axis towards its second: a bearing when the CRS is north-first (EPSG:4326 lat/lon), a
 * mathematical angle when it is east-first. The arc runs from the start angle to the end angle.
 */
export function arcByCenterPoint(center: Position, radiusMetres: number, startDegrees: number, endDegrees: number, northFirst: boolean, space: CurveSpace): Position[] {
  const sweep = endDegrees - startDegrees;
  const n = segmentsFor(toRadians(sweep), radiusMetres, space.tolerance);
  const out: Position[] = [];
  for (let i = 0; i <= n; i++) {
    const angle = startDegrees + (sweep * i) / n;
    const bearing = northFirst ? angle : 90 - angle;
    if (space.geographic) {
      const [x, y] = destination(center[0]!, center[1]!, bearing, radiusMetres);
      out.push(withZ(x, y, center[2]));
    } else {
      const r = radiusMetres / space.metresPerUnit;
      const b = toRadians(bearing);
      out.push(withZ(center[0]! + r * Math.sin(b), center[1]! + r * Math.cos(b), center[2]));
    }
  }
  return out;
}

/** GML ArcByBulge: the arc from p1 to p2 whose midpoint lies bulge × half the chord off the chord (left for normal > 0). */
export function arcByBulge(p1: Position, p2: Position, bulge: number, normal: number, space: CurveSpace): Position[] {
  const mx = (p1[0]! + p2[0]!) / 2;
  const my = (p1[1]! + p2[1]!) / 2;
  const dx = (p2[0]! - p1[0]!) / 2;
  const dy = (p2[1]! - p1[1]!) / 2;
  const offset = bulge * Math.sign(normal || 1);
  const middle = withZ(mx - dy * offset, my + dx * offset, lerp(p1[2], p2[2], 0.5));
  return arcThroughPoints(p1, middle, p2, space);
}

/** Geodesic segments between consecutive geographic positions (GML GeodesicString); straight in projected CRSs. */
export function geodesicString(points: readonly Position[], space: CurveSpace): Position[] {
  if (!space.geographic || points.length < 2) return [...points];
  const out: Position[] = [points[0]!];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const line = WGS84.InverseLine(a[1]!, a[0]!, b[1]!, b[0]!);
    const angular = line.s13 / EARTH_RADIUS;
    // A geodesic drifts from the lon/lat chord by about R * angular^2 / 8 in the worst case.
    const n = angular === 0 ? 1 : Math.min(MAX_SEGMENTS, Math.max(1, Math.ceil(Math.sqrt((EARTH_RADIUS * angular * angular) / (8 * space.tolerance)))));
    for (let s = 1; s < n; s++) {
      const t = s / n;
      const { lon2, lat2 } = line.Position(t * line.s13);
      out.push(withZ(lon2!, lat2!, lerp(a[2], b[2], t)));
    }
    out.push(b);
  }
  return out;
}

/** Distance in metres between two positions of the curve's space (local flat approximation for geographic CRSs). */
function metresBetween(a: Position, b: Position, space: CurveSpace): number {
  if (!space.geographic) return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!) * space.metresPerUnit;
  const k = Math.cos(toRadians((a[1]! + b[1]!) / 2));
  return Math.hypot((a[0]! - b[0]!) * k, a[1]! - b[1]!) * METRES_PER_DEGREE;
}

/** Distance in metres from p to the chord a–b. */
function offChord(p: Position, a: Position, b: Position, space: CurveSpace): number {
  const ab = metresBetween(a, b, space);
  if (ab === 0) return metresBetween(p, a, space);
  const ap = metresBetween(a, p, space);
  const bp = metresBetween(b, p, space);
  const s = (ab + ap + bp) / 2;
  return (2 * Math.sqrt(Math.max(0, s * (s - ab) * (s - ap) * (s - bp)))) / ab;
}

/**
 * A parametric curve on [0, 1] as a line string within `tolerance` of it: the parameter range is
 * cut into `pieces` and each piece halved until its middle lies within the tolerance of its chord.
 */
function densifyParametric(at: (t: number) => Position, pieces: number, space: CurveSpace): Position[] {
  const out: Position[] = [at(0)];
  let budget = MAX_SEGMENTS;
  const refine = (t0: number, p0: Position, t1: number, p1: Position, depth: number) => {
    const tm = (t0 + t1) / 2;
    const pm = at(tm);
    if (depth < 20 && budget > 0 && offChord(pm, p0, p1, space) > space.tolerance) {
      budget--;
      refine(t0, p0, tm, pm, depth + 1);
      refine(tm, pm, t1, p1, depth + 1);
    } else out.push(p1);
  };
  for (let i = 0; i < pieces; i++) refine(i / pieces, i === 0 ? out[0]! : out[out.length - 1]!, (i + 1) / pieces, at((i + 1) / pieces), 0);
  return out;
}

/** De Casteljau: the point at t of the Bézier curve with these control points (Z too when all have it). */
function bezierPoint(points: readonly Position[], t: number): Position {
  let level = points.map((p) => [...p]);
  while (level.length > 1) level = level.slice(1).map((p, i) => p.map((v, d) => (1 - t) * level[i]![d]! + t * v));
  return level[0]!;
}

/**
 * GML Bezier: piecewise Bézier curves of `degree` sharing their end control points; without a
 * degree, one curve through all control points (degree = points − 1).
 */
export function bezier(points: readonly Position[], degree: number | null, space: CurveSpace): Position[] | string {
  const d = degree ?? points.length - 1;
  if (d < 1 || (points.length - 1) % d !== 0) return `a Bezier of degree ${d} needs k × ${d} + 1 control points, not ${points.length}`;
  const out: Position[] = [];
  for (let start = 0; start + d < points.length; start += d) {
    const piece = densifyParametric((t) => bezierPoint(points.slice(start, start + d + 1), t), 4 * d, space);
    out.push(...(out.length ? piece.slice(1) : piece));
  }
  return out;
}

/** A B-spline knot as GML writes it (gml:Knot value and multiplicity). */
export interface Knot {
  readonly value: number;
  readonly multiplicity: number;
}

/**
 * GML BSpline (non-rational), evaluated with de Boor's algorithm over its knot vector. Without
 * knots, the clamped uniform vector (GML knotType quasiUniform) that makes the curve start and end
 * at its first and last control points.
 */
export function bSpline(points: readonly Position[], degree: number, knots: readonly Knot[] | null, space: CurveSpace): Position[] | string {
  const n = points.length;
  if (degree < 1 || degree >= n) return `a BSpline of degree ${degree} needs more than ${degree} control points (it has ${n})`;
  let vector: number[];
  if (knots && knots.length) {
    vector = knots.flatMap((k) => Array<number>(k.multiplicity).fill(k.value));
    if (vector.length !== n + degree + 1) return `a BSpline of degree ${degree} with ${n} control points needs ${n + degree + 1} knots counting multiplicity (it has ${vector.length})`;
    if (vector.some((v, i) => i > 0 && v < vector[i - 1]!)) return 'the BSpline knots are not in ascending order';
  } else {
    const inner = n - degree - 1;
    vector = [...Array<number>(degree + 1).fill(0), ...Array.from({ length: inner }, (_, i) => (i + 1) / (inner + 1)), ...Array<number>(degree + 1).fill(1)];
  }
  const low = vector[degree]!;
  const high = vector[n]!;
  if (!(high > low)) return 'the BSpline knots give an empty parameter range';
  const at = (s: number): Position => {
    const u = low + (high - low) * s;
    let span = degree;
    while (span < n - 1 && u >= vector[span + 1]!) span++;
    const d = Array.from({ length: degree + 1 }, (_, j) => [...points[span - degree + j]!]);
    for (let r = 1; r <= degree; r++) {
      for (let j = degree; j >= r; j--) {
        const i = span - degree + j;
        const denominator = vector[i + degree - r + 1]! - vector[i]!;
        const alpha = denominator === 0 ? 0 : (u - vector[i]!) / denominator;
        d[j] = d[j]!.map((v, k) => (1 - alpha) * d[j - 1]![k]! + alpha * v);
      }
    }
    return d[degree]!;
  };
  return densifyParametric(at, 4 * (n - degree), space);
}

/**
 * GML CubicSpline: the C2 cubic through the points, parametrised by chord length. GML gives the
 * tangent at each end (vectorAtStart, vectorAtEnd); their direction is used. Without them the ends
 * are natural (no curvature).
 */
export function cubicSpline(points: readonly Position[], start: readonly number[] | null, end: readonly number[] | null, space: CurveSpace): Position[] | string {
  const n = points.length;
  if (n < 2) return 'a CubicSpline needs at least 2 points';
  const h = points.slice(1).map((p, i) => Math.hypot(p[0]! - points[i]![0]!, p[1]! - points[i]![1]!));
  if (h.some((length) => length === 0)) return 'a CubicSpline repeats a point';
  const dimensions = Math.min(...points.map((p) => p.length));
  // With chord-length parameters the curve moves at about unit speed: the tangent given is used as a direction.
  const tangent = (vector: readonly number[] | null) => {
    const length = vector ? Math.hypot(vector[0]!, vector[1]!) : 0;
    return vector && length > 0 ? vector.map((v) => v / length) : null;
  };
  const clampStart = tangent(start);
  const clampEnd = tangent(end);
  // Second derivatives M per coordinate from the tridiagonal system (Thomas algorithm).
  const second = Array.from({ length: dimensions }, (_, k) => {
    const y = points.map((p) => p[k]!);
    const a = new Array<number>(n).fill(0);
    const b = new Array<number>(n).fill(0);
    const c = new Array<number>(n).fill(0);
    const r = new Array<number>(n).fill(0);
    for (let i = 1; i < n - 1; i++) {
      a[i] = h[i - 1]!;
      b[i] = 2 * (h[i - 1]! + h[i]!);
      c[i] = h[i]!;
      r[i] = 6 * ((y[i + 1]! - y[i]!) / h[i]! - (y[i]! - y[i - 1]!) / h[i - 1]!);
    }
    if (clampStart && k < 2) {
      b[0] = 2 * h[0]!;
      c[0] = h[0]!;
      r[0] = 6 * ((y[1]! - y[0]!) / h[0]! - clampStart[k]!);
    } else b[0] = 1;
    if (clampEnd && k < 2) {
      a[n - 1] = h[n - 2]!;
      b[n - 1] = 2 * h[n - 2]!;
      r[n - 1] = 6 * (clampEnd[k]! - (y[n - 1]! - y[n - 2]!) / h[n - 2]!);
    } else b[n - 1] = 1;
    for (let i = 1; i < n; i++) {
      const m = a[i]! / b[i - 1]!;
      b[i] = b[i]! - m * c[i - 1]!;
      r[i] = r[i]! - m * r[i - 1]!;
    }
    const out = new Array<number>(n).fill(0);
    out[n - 1] = r[n - 1]! / b[n - 1]!;
    for (let i = n - 2; i >= 0; i--) out[i] = (r[i]! - c[i]! * out[i + 1]!) / b[i]!;
    return out;
  });
  const out: Position[] = [];
  for (let i = 0; i < n - 1; i++) {
    const at = (t: number): Position =>
      Array.from({ length: dimensions }, (_, k) => {
        const [y0, y1, m0, m1, length] = [points[i]![k]!, points[i + 1]![k]!, second[k]![i]!, second[k]![i + 1]!, h[i]!];
        const x = t * length;
        return m0 * (length - x) ** 3 / (6 * length) + m1 * x ** 3 / (6 * length) + (y0 / length - (m0 * length) / 6) * (length - x) + (y1 / length - (m1 * length) / 6) * x;
      });
    const piece = densifyParametric(at, 4, space);
    // The knots themselves as written, not as evaluated (no rounding at the points the spline passes through).
    piece[0] = points[i]!;
    piece[piece.length - 1] = points[i + 1]!;
    out.push(...(out.length ? piece.slice(1) : piece));
  }
  return out;
}
