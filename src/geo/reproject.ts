import proj4 from 'proj4';
import type { Geometry, Position } from 'geojson';
import { proj4Definition, type CrsRef } from './crs-registry.js';

type PositionTransform = (position: Position) => Position;

const converters = new Map<string, proj4.Converter>();

function converter(fromSrid: number, toSrid: number): proj4.Converter {
  const key = `${fromSrid}>${toSrid}`;
  let found = converters.get(key);
  if (!found) {
    found = proj4(proj4Definition(fromSrid), proj4Definition(toSrid));
    converters.set(key, found);
  }
  return found;
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
  const convert = converter(from.srid, toSrid);
  return (p) => {
    const x = swap ? p[1]! : p[0]!;
    const y = swap ? p[0]! : p[1]!;
    const [tx, ty] = convert.forward([x, y]);
    return p.length > 2 ? [tx!, ty!, ...p.slice(2)] : [tx!, ty!];
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
