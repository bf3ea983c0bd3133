import type { Geometry, Position } from 'geojson';
import type { LonLatBox } from '../domain/mapping.js';
import { CRS84, type CrsRef } from '../geo/crs-registry.js';
import { SWAPPED_AXES_HINT } from '../geo/gml-geometry.js';
import { positionTransform } from '../geo/reproject.js';
import type { SourceRecord } from './source-record.js';

/** Positions of the first records looked at; enough to judge, few enough to be cheap. */
const SAMPLE = 100;

export type AxisVerdict = 'fits' | 'swapped' | 'undecided';

function positions(geometry: Geometry): Position[] {
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap(positions);
  if (geometry.type === 'Point') return [geometry.coordinates];
  return (geometry.coordinates as unknown[]).flat(geometry.type === 'MultiPolygon' ? 2 : geometry.type === 'Polygon' || geometry.type === 'MultiLineString' ? 1 : 0) as Position[];
}

/** Whether lon/lat lies in the box, with a margin of 1 % of its size (at least 0.01°) for extents rounded by the server. */
export function inExtent([lon, lat]: Position, [west, south, east, north]: LonLatBox): boolean {
  const dx = Math.max(0.01, (east - west) * 0.01);
  const dy = Math.max(0.01, (north - south) * 0.01);
  return lon! >= west - dx && lon! <= east + dx && lat! >= south - dy && lat! <= north + dy;
}

/**
 * Judges from the first records of a source whether their axes were read the wrong way round: the
 * positions (already in lon/lat, read in `crs`) all lie outside the extent the source advertises but
 * inside it when the two axes of `crs` are exchanged — or every geometry was refused with a problem
 * saying the swapped axes would fit the CRS. Swapped axes that stay inside the CRS's area of use
 * pass every other check; this one catches them before a layer is stored in the wrong place.
 */
export function axisVerdict(records: readonly SourceRecord[], crs: CrsRef, extent: LonLatBox | null): AxisVerdict {
  const toSource = positionTransform(CRS84, crs.srid);
  const swappedToLonLat = positionTransform({ ...crs, swapAxes: true }, 4326);
  let fits = 0;
  let swapped = 0;
  let refused = 0;
  let hinted = 0;
  let sampled = 0;
  for (const record of records) {
    for (const item of record.geometries) {
      if (item.geometry === null) {
        refused++;
        if (item.problem.includes(SWAPPED_AXES_HINT)) hinted++;
        continue;
      }
      if (!extent) continue;
      for (const position of positions(item.geometry)) {
        if (sampled++ >= SAMPLE) break;
        if (inExtent(position, extent)) {
          fits++;
          continue;
        }
        const [x, y] = toSource(position) as [number, number];
        const other = swappedToLonLat([x, y]);
        if (Number.isFinite(other[0]) && Number.isFinite(other[1]) && inExtent(other, extent)) swapped++;
      }
    }
    if (sampled >= SAMPLE) break;
  }
  if (fits === 0 && swapped > 0 && swapped === Math.min(sampled, SAMPLE)) return 'swapped';
  if (fits === 0 && swapped === 0 && refused > 0 && hinted === refused) return 'swapped';
  return fits > 0 ? 'fits' : 'undecided';
}

/** The message for swapped axes, naming the override that fixes them. */
export function swappedAxesMessage(where: string, crs: CrsRef, extent: LonLatBox | null): string {
  const order = crs.swapAxes ? 'north/latitude first' : 'east/longitude first';
  const fix = crs.swapAxes ? 'xy' : 'yx';
  const against = extent ? `outside the extent it advertises [${extent.join(', ')}] ` : 'outside the area of use of its CRS ';
  return (
    `the coordinates of ${where} lie ${against}when read ${order} as ${crs.uri} says, and inside it the other way round: ` +
    `the server writes the axes swapped; set source.axisOrder: ${fix} in the mapping; nothing was stored`
  );
}
