import type { Position } from 'geojson';
import geographiclib from 'geographiclib-geodesic';

/**
 * Curves that PostGIS cannot store as such (GML Arc, Circle, ArcByCenterPoint, GeodesicString …)
 * become line strings whose segments stay within `tolerance` metres of the true curve. Positions
 * are x/y (east, north) in the curve's own CRS; geographic CRSs are in degrees, and their distances
 * and geodesics are on the WGS 84 ellipsoid (GRS 80 differs by less than a millimetre here).
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
  const out: Position[] = [];
  for (let i = 0; i < n; i++) {
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
