import type { Geometry, Position } from 'geojson';

/** Whether a CQL2 geometry literal (WKT read into GeoJSON, or CQL2 JSON) is a well-formed geometry. */

const TYPES = ['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection'] as const;

type Check = { readonly geometry: Geometry } | { readonly problem: string };

function isPosition(value: unknown): value is Position {
  return Array.isArray(value) && value.every((n) => typeof n === 'number' && Number.isFinite(n));
}

class Dimensions {
  seen: number | null = null;
  constructor(readonly required: number | null) {}

  problem(position: unknown): string | null {
    if (!isPosition(position)) return 'a position must be an array of 2 or 3 finite numbers';
    if (position.length < 2 || position.length > 3) return `a position has 2 or 3 coordinates, this one has ${position.length}`;
    if (this.required !== null && position.length !== this.required) return `a Z geometry needs 3 coordinates per position, one has ${position.length}`;
    if (this.seen === null) this.seen = position.length;
    else if (this.seen !== position.length) return 'all positions of a geometry need the same number of coordinates';
    return null;
  }
}

function positions(value: unknown, minimum: number, what: string, dims: Dimensions): string | null {
  if (!Array.isArray(value)) return `${what} must be an array of positions`;
  if (value.length < minimum) return `${what} needs at least ${minimum} positions, has ${value.length}`;
  for (const p of value) {
    const problem = dims.problem(p);
    if (problem) return problem;
  }
  return null;
}

function ring(value: unknown, dims: Dimensions): string | null {
  const problem = positions(value, 4, 'a polygon ring', dims);
  if (problem) return problem;
  const points = value as Position[];
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (first.some((c, i) => c !== last[i])) return 'a polygon ring must end where it starts (first and last positions equal)';
  return null;
}

function polygon(value: unknown, dims: Dimensions): string | null {
  if (!Array.isArray(value) || value.length === 0) return 'a polygon needs at least one ring';
  for (const r of value) {
    const problem = ring(r, dims);
    if (problem) return problem;
  }
  return null;
}

function list(value: unknown, what: string, each: (item: unknown) => string | null): string | null {
  if (!Array.isArray(value) || value.length === 0) return `${what} needs at least one member`;
  for (const item of value) {
    const problem = each(item);
    if (problem) return problem;
  }
  return null;
}

function problemOf(value: Record<string, unknown>, dims: Dimensions, nested: boolean): string | null {
  const type = value['type'];
  const coordinates = value['coordinates'];
  switch (type) {
    case 'Point':
      return dims.problem(coordinates);
    case 'LineString':
      return positions(coordinates, 2, 'a line string', dims);
    case 'Polygon':
      return polygon(coordinates, dims);
    case 'MultiPoint':
      return list(coordinates, 'a multi-point', (p) => dims.problem(p));
    case 'MultiLineString':
      return list(coordinates, 'a multi-line string', (l) => positions(l, 2, 'a line string', dims));
    case 'MultiPolygon':
      return list(coordinates, 'a multi-polygon', (p) => polygon(p, dims));
    case 'GeometryCollection':
      if (nested) return 'a geometry collection cannot contain another geometry collection';
      return list(value['geometries'], 'a geometry collection', (g) =>
        typeof g === 'object' && g !== null && !Array.isArray(g) ? problemOf(g as Record<string, unknown>, dims, true) : 'a geometry collection member must be a geometry object',
      );
    default:
      return `'${String(type)}' is not a geometry type (${TYPES.join(', ')})`;
  }
}

/** The geometry without foreign members (`bbox`, …); `value` has passed problemOf. */
function clean(value: Record<string, unknown>): Geometry {
  if (value['type'] === 'GeometryCollection') {
    return { type: 'GeometryCollection', geometries: (value['geometries'] as Record<string, unknown>[]).map(clean) as Exclude<Geometry, { type: 'GeometryCollection' }>[] };
  }
  return { type: value['type'], coordinates: value['coordinates'] } as Geometry;
}

/**
 * Checks a geometry literal so that PostGIS accepts it: known type, positions of 2 or 3 finite
 * numbers (3 throughout when `requireZ`), line strings of at least 2 and closed rings of at least
 * 4 positions, no empty members.
 */
export function checkGeometry(value: Record<string, unknown>, requireZ = false): Check {
  const problem = problemOf(value, new Dimensions(requireZ ? 3 : null), false);
  return problem ? { problem } : { geometry: clean(value) };
}

export function isGeometryType(type: unknown): boolean {
  return typeof type === 'string' && (TYPES as readonly string[]).includes(type);
}
