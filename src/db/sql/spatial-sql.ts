import type { Envelope } from '../../domain/query.js';
import type { SqlParams } from './sql-query.js';

/** The query box is transformed to the column's CRS, never the column, so the GiST index applies. */
function envelopeExpression(params: SqlParams, envelope: Envelope): string {
  const box = `ST_MakeEnvelope(${params.bind(envelope.minX)}::float8, ${params.bind(envelope.minY)}::float8, ${params.bind(envelope.maxX)}::float8, ${params.bind(envelope.maxY)}::float8, ${params.bind(envelope.srid)}::integer)`;
  if (envelope.srid === 4326) return box;
  // Densify first: straight box edges in a projected CRS are curves in longitude/latitude.
  const step = Math.max(envelope.maxX - envelope.minX, envelope.maxY - envelope.minY) / 32 || 1;
  return `ST_Transform(ST_Segmentize(${box}, ${params.bind(step)}::float8), 4326)`;
}

/**
 * Geometries of `column` (longitude/latitude) meeting the box. A point inside a longitude/latitude
 * box is decided by comparing its coordinates (exact, and cheaper than ST_Intersects); `&&` first
 * lets the GiST index choose rows.
 */
function boxCondition(params: SqlParams, column: string, envelope: Envelope): string {
  const box = envelopeExpression(params, envelope);
  if (envelope.srid !== 4326) return `ST_Intersects(${column}, ${box})`;
  const [minX, minY, maxX, maxY] = [envelope.minX, envelope.minY, envelope.maxX, envelope.maxY].map((v) => `${params.bind(v)}::float8`);
  return `(${column} && ${box} AND CASE WHEN ST_GeometryType(${column}) = 'ST_Point'
             THEN ST_X(${column}) BETWEEN ${minX} AND ${maxX} AND ST_Y(${column}) BETWEEN ${minY} AND ${maxY}
             ELSE ST_Intersects(${column}, ${box}) END)`;
}

/** Geometries of `column` meeting any of the boxes (two for a bbox across the antimeridian); null without boxes. */
export function spatialCondition(params: SqlParams, column: string, envelopes: readonly Envelope[]): string | null {
  if (envelopes.length === 0) return null;
  const parts = envelopes.map((envelope) => boxCondition(params, column, envelope));
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}
