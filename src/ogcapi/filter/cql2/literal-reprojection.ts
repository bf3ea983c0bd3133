import type { Geometry, Position } from 'geojson';
import { PlacelinkError } from '../../../domain/errors.js';
import type { CrsRef } from '../../../geo/crs-registry.js';
import { positionTransform, transformGeometry } from '../../../geo/reproject.js';

/** Straight edges in a projected CRS are curves in longitude/latitude: split them into this many steps of the extent. */
const DENSIFY_STEPS = 32;
const MAX_VERTICES = 20_000;

/** A geometry literal PROJ cannot bring to longitude/latitude (outside the CRS's area, too many vertices). */
export class GeometryTransformError extends PlacelinkError {
  readonly code = 'geometry-transform';
}

function extentOf(geometry: Geometry): [number, number, number, number] {
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (p: Position) => {
    box[0] = Math.min(box[0], p[0]!);
    box[1] = Math.min(box[1], p[1]!);
    box[2] = Math.max(box[2], p[0]!);
    box[3] = Math.max(box[3], p[1]!);
  };
  forEachPosition(geometry, visit);
  return box;
}

function forEachPosition(geometry: Geometry, visit: (p: Position) => void): void {
  switch (geometry.type) {
    case 'Point':
      visit(geometry.coordinates);
      return;
    case 'MultiPoint':
    case 'LineString':
      geometry.coordinates.forEach(visit);
      return;
    case 'MultiLineString':
    case 'Polygon':
      geometry.coordinates.forEach((line) => line.forEach(visit));
      return;
    case 'MultiPolygon':
      geometry.coordinates.forEach((polygon) => polygon.forEach((ring) => ring.forEach(visit)));
      return;
    case 'GeometryCollection':
      geometry.geometries.forEach((g) => forEachPosition(g, visit));
  }
}

function densifyLine(line: Position[], step: number, budget: { left: number }): Position[] {
  const out: Position[] = [line[0]!];
  for (let i = 1; i < line.length; i++) {
    const [a, b] = [line[i - 1]!, line[i]!];
    const length = Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!);
    const parts = Math.min(Math.ceil(length / step), Math.max(1, budget.left));
    budget.left -= parts - 1;
    for (let k = 1; k < parts; k++) out.push(a.map((c, d) => c + ((b[d] ?? c) - c) * (k / parts)));
    out.push(b);
  }
  return out;
}

function densify(geometry: Geometry, step: number, budget: { left: number }): Geometry {
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      return geometry;
    case 'LineString':
      return { type: 'LineString', coordinates: densifyLine(geometry.coordinates, step, budget) };
    case 'MultiLineString':
    case 'Polygon':
      return { type: geometry.type, coordinates: geometry.coordinates.map((l) => densifyLine(l, step, budget)) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((p) => p.map((r) => densifyLine(r, step, budget))) };
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geometry.geometries.map((g) => densify(g, step, budget) as Exclude<Geometry, { type: 'GeometryCollection' }>) };
  }
}

/**
 * A geometry literal written in `crs` (in that CRS's axis order) as longitude/latitude, the
 * storage CRS. Transformed here rather than in SQL so that a literal PROJ cannot transform is
 * the client's error with its coordinates named, not a failing statement.
 */
export function toStorageGeometry(geometry: Geometry, crs: CrsRef): Geometry {
  if (crs.srid === 4326 && !crs.swapAxes) return geometry;
  let source = geometry;
  if (!crs.definition.geographic) {
    const [minX, minY, maxX, maxY] = extentOf(geometry);
    const step = Math.max(maxX - minX, maxY - minY) / DENSIFY_STEPS;
    if (step > 0) source = densify(geometry, step, { left: MAX_VERTICES });
  }
  const transform = positionTransform(crs, 4326);
  const checked = (p: Position): Position => {
    let out: Position;
    try {
      out = transform(p);
    } catch {
      out = [NaN, NaN];
    }
    if (!out.every(Number.isFinite) || Math.abs(out[1]!) > 90 || Math.abs(out[0]!) > 540) {
      throw new GeometryTransformError(`the position (${p.join(' ')}) cannot be transformed from ${crs.uri} to longitude/latitude`);
    }
    return out;
  };
  return transformGeometry(source, checked);
}
