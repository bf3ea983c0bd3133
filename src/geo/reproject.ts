import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proj4 from 'proj4';
import type { Geometry, Position } from 'geojson';
import { UnsupportedCrsError } from '../domain/errors.js';
import { crsDefinition, type CrsRef } from './crs-registry.js';
import type { DatumShift } from './crs-table.js';

export type PositionTransform = (position: Position) => Position;

const loadedGrids = new Set<string>();

/** Where PROJ keeps its grids: $PROJ_DATA, $PROJ_LIB, then the usual install locations. */
function gridDirectories(): string[] {
  return [process.env['PROJ_DATA'], process.env['PROJ_LIB'], '/usr/share/proj', '/usr/local/share/proj', '/opt/homebrew/share/proj'].filter((d): d is string => Boolean(d));
}

/** Loads an NTv2 grid into proj4 once, so it shifts the datum exactly as PROJ/PostGIS do. */
function ensureGrid(srid: number, parameter: string): void {
  const grid = /^\+nadgrids=(\S+)$/.exec(parameter)?.[1];
  if (!grid || loadedGrids.has(grid)) return;
  const file = gridDirectories().map((directory) => path.join(directory, grid)).find((candidate) => existsSync(candidate));
  if (!file) {
    throw new UnsupportedCrsError(`EPSG:${srid}`, undefined, `EPSG:${srid} (${crsDefinition(srid).name}) needs the datum grid ${grid}, which is not in ${gridDirectories().join(', ')}; install PROJ's grids (Debian: proj-data) or set PROJ_DATA`);
  }
  const bytes = readFileSync(file);
  proj4.nadgrid(grid, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  loadedGrids.add(grid);
}

type XY = [number, number];

interface DatumVariant {
  readonly shift: DatumShift | null;
  readonly converter: proj4.Converter;
}

const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';
const variantsBySrid = new Map<number, DatumVariant[]>();

/** One converter CRS ↔ WGS 84 lon/lat per candidate datum shift. */
function variants(srid: number): DatumVariant[] {
  let found = variantsBySrid.get(srid);
  if (!found) {
    const definition = crsDefinition(srid);
    const shifts = definition.datumShifts.length ? definition.datumShifts : [null];
    found = shifts.map((shift) => {
      if (shift) ensureGrid(srid, shift.parameter);
      const text = shift?.parameter ? `${definition.proj4} ${shift.parameter}` : definition.proj4;
      return { shift, converter: proj4(text, WGS84) };
    });
    variantsBySrid.set(srid, found);
  }
  return found;
}

function contains(bbox: DatumShift['bbox'], lon: number, lat: number): boolean {
  const [west, south, east, north] = bbox;
  if (lat < south || lat > north) return false;
  return west <= east ? lon >= west && lon <= east : lon >= west || lon <= east;
}

/** PROJ's rule: of the shifts whose area holds the position, the most accurate (ballpark last; ties: first listed). */
function pick(candidates: DatumVariant[], lon: number, lat: number): DatumVariant {
  let best: DatumVariant | null = null;
  for (const candidate of candidates) {
    const shift = candidate.shift!;
    if (!contains(shift.bbox, lon, lat)) continue;
    if (!best || (shift.accuracy !== null && (best.shift!.accuracy === null || shift.accuracy < best.shift!.accuracy))) best = candidate;
  }
  return best ?? candidates[candidates.length - 1]!;
}

/**
 * One Newton step on proj4's inverse projection against its forward projection: some inverses
 * (LAEA, Krovak, oblique stereographic …) are series that stop millimetres short, while the
 * forward direction agrees with PROJ.
 */
function refined(converter: proj4.Converter): (xy: XY) => XY {
  const h = 1e-7;
  return (xy) => {
    const [lon, lat] = converter.forward(xy) as XY;
    const [x0, y0] = converter.inverse([lon, lat]) as XY;
    const [x1, y1] = converter.inverse([lon + h, lat]) as XY;
    const [x2, y2] = converter.inverse([lon, lat + h]) as XY;
    const [a, b, c, d] = [(x1 - x0) / h, (x2 - x0) / h, (y1 - y0) / h, (y2 - y0) / h];
    const det = a * d - b * c;
    if (!Number.isFinite(det) || det === 0) return [lon, lat];
    const [rx, ry] = [xy[0] - x0, xy[1] - y0];
    return [lon + (d * rx - b * ry) / det, lat + (a * ry - c * rx) / det];
  };
}

/** Whether proj4's inverse misses its own forward by more than 0.1 mm somewhere in the area of use. */
function needsRefinement(srid: number, converter: proj4.Converter): boolean {
  const definition = crsDefinition(srid);
  const [west, south, rawEast, north] = definition.areaOfUse ?? [-180, -80, 180, 80];
  const east = rawEast < west ? rawEast + 360 : rawEast;
  for (let i = 1; i < 6; i++) {
    for (let j = 1; j < 6; j++) {
      const lonLat: XY = [west + ((east - west) * i) / 6, Math.max(-85, Math.min(85, south + ((north - south) * j) / 6))];
      if (lonLat[0] > 180) lonLat[0] -= 360;
      const xy = converter.inverse(lonLat) as XY;
      const [lon, lat] = converter.forward(xy) as XY;
      if (Math.hypot((lon - lonLat[0]) * Math.cos((lat * Math.PI) / 180), lat - lonLat[1]) * 111_320 > 1e-4) return true;
    }
  }
  return false;
}

function inverseOf(srid: number, converter: proj4.Converter): (xy: XY) => XY {
  return needsRefinement(srid, converter) ? refined(converter) : (xy) => converter.forward(xy) as XY;
}

const toWgs84BySrid = new Map<number, (xy: XY) => XY>();

/** x/y in the CRS → WGS 84 lon/lat. */
function toWgs84(srid: number): (xy: XY) => XY {
  let found = toWgs84BySrid.get(srid);
  if (!found) {
    found = buildToWgs84(srid);
    toWgs84BySrid.set(srid, found);
  }
  return found;
}

function buildToWgs84(srid: number): (xy: XY) => XY {
  if (srid === 4326) return (xy) => xy;
  const all = variants(srid).map((variant) => ({ ...variant, toLonLat: inverseOf(srid, variant.converter) }));
  if (all.length === 1) return all[0]!.toLonLat;
  return (xy) => {
    const approximate = all[0]!.toLonLat(xy);
    return (pick(all, approximate[0], approximate[1]) as (typeof all)[number]).toLonLat(xy);
  };
}

/** WGS 84 lon/lat → x/y in the CRS. */
function fromWgs84(srid: number): (lonLat: XY) => XY {
  if (srid === 4326) return (lonLat) => lonLat;
  const all = variants(srid);
  if (all.length === 1) {
    const only = all[0]!.converter;
    return (lonLat) => only.inverse(lonLat) as XY;
  }
  return (lonLat) => pick(all, lonLat[0], lonLat[1]).converter.inverse(lonLat) as XY;
}

/**
 * A function taking positions written in `from` (in that reference's axis order) to
 * longitude/latitude or easting/northing of `toSrid` (always x/y order). Z passes through.
 */
export function positionTransform(from: CrsRef, toSrid: number): PositionTransform {
  const swap = from.swapAxes;
  if (from.srid === toSrid) {
    return swap ? (p) => [p[1]!, p[0]!, ...p.slice(2)] : (p) => p;
  }
  const there = toWgs84(from.srid);
  const back = fromWgs84(toSrid);
  return (p) => {
    const x = swap ? p[1]! : p[0]!;
    const y = swap ? p[0]! : p[1]!;
    const [tx, ty] = back(there([x, y]));
    return p.length > 2 ? [tx, ty, ...p.slice(2)] : [tx, ty];
  };
}

export function transformGeometry(geometry: Geometry, transform: PositionTransform): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: transform(geometry.coordinates) };
    case 'MultiPoint':
    case 'LineString':
      return { type: geometry.type, coordinates: geometry.coordinates.map(transform) };
    case 'MultiLineString':
    case 'Polygon':
      return { type: geometry.type, coordinates: geometry.coordinates.map((ring) => ring.map(transform)) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(transform))) };
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geometry.geometries.map((g) => transformGeometry(g, transform)) };
  }
}
