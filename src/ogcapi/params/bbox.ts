import { queryParameter } from '../../api/parameter.js';
import { quoted, single } from '../../api/query-values.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { Envelope } from '../../domain/query.js';
import type { CrsRef } from '../../geo/crs-registry.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * `bbox` in `crs` (written in that CRS's axis order) as boxes in x/y order of the same CRS.
 * A geographic box whose west edge is east of its east edge crosses the antimeridian and becomes
 * two boxes. Six numbers carry heights, which the 2D filter ignores.
 */
export function parseBbox(raw: string, crs: CrsRef): Envelope[] {
  const parts = raw.split(',').map((p) => p.trim());
  if ((parts.length !== 4 && parts.length !== 6) || parts.some((p) => !NUMBER.test(p))) {
    throw new InvalidParameterError(PARAM.bbox, `bbox must be 4 or 6 comma-separated numbers (minx,miny,maxx,maxy[ with heights: minx,miny,minz,maxx,maxy,maxz]), got ${quoted(raw)}`);
  }
  const n = parts.map(Number);
  const [a1, a2, b1, b2] = n.length === 4 ? [n[0]!, n[1]!, n[2]!, n[3]!] : [n[0]!, n[1]!, n[3]!, n[4]!];
  if (n.length === 6 && n[2]! > n[5]!) throw new InvalidParameterError(PARAM.bbox, `bbox minimum height ${n[2]} is above the maximum ${n[5]}`);
  // Corner order is the CRS's axis order: (lat, lon) for EPSG:4326, (N, E) for EPSG:3035.
  const [minX, minY, maxX, maxY] = crs.swapAxes ? [a2, a1, b2, b1] : [a1, a2, b1, b2];
  const srid = crs.srid;
  const axisY = crs.definition.geographic ? 'latitude' : 'northing';
  if (minY > maxY) throw new InvalidParameterError(PARAM.bbox, `bbox minimum ${axisY} ${minY} is greater than its maximum ${maxY}`);
  if (!crs.definition.geographic) {
    if (minX > maxX) throw new InvalidParameterError(PARAM.bbox, `bbox minimum easting ${minX} is greater than its maximum ${maxX}`);
    return [{ minX, minY, maxX, maxY, srid }];
  }
  if (minY < -90 || maxY > 90) throw new InvalidParameterError(PARAM.bbox, `bbox latitudes must lie within -90..90, got ${minY}..${maxY}`);
  if (minX < -180 || minX > 180 || maxX < -180 || maxX > 180) throw new InvalidParameterError(PARAM.bbox, `bbox longitudes must lie within -180..180, got ${minX} and ${maxX}`);
  if (minX <= maxX) return [{ minX, minY, maxX, maxY, srid }];
  return [
    { minX, minY, maxX: 180, maxY, srid },
    { minX: -180, minY, maxX, maxY, srid },
  ];
}

/** `bbox`, in the CRS `bbox-crs` names when the CRS block is enabled (read first), else CRS84. */
export const bboxParameter: FeatureParameter = {
  names: [PARAM.bbox],
  after: [PARAM.bboxCrs],
  openapi: {
    [PARAM.bbox]: queryParameter(
      PARAM.bbox,
      'Only features whose geometry intersects the box: minx,miny,maxx,maxy (or with heights minx,miny,minz,maxx,maxy,maxz), in the axis order of `bbox-crs` (CRS84: longitude first). A west edge east of the east edge crosses the antimeridian.',
      { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
    ),
  },
  read(query, _collection, draft) {
    const raw = single(query, PARAM.bbox);
    if (raw !== undefined) draft.envelopes = parseBbox(raw, draft.bboxCrs);
  },
};
