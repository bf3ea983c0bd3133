import type { Collection } from '../../domain/collection.js';
import { UnsupportedCrsError } from '../../domain/errors.js';
import type { GeometryOutput } from '../../domain/query.js';
import { areaOfUse, CRS84, epsgCrs, isKnownSrid, resolveApiCrs, type CrsRef } from '../../geo/crs-registry.js';

/** Offered for every collection: CRS84 first (the default), WGS 84 in its own axis order, web mercator. */
const WORLDWIDE: readonly CrsRef[] = [CRS84, epsgCrs(4326), epsgCrs(3857)];

/** The INSPIRE ETRS89 set: ETRS89, the pan-European LAEA and LCC grids, and the UTM zones 28N–38N. */
const INSPIRE: readonly CrsRef[] = [4258, 3035, 3034, ...Array.from({ length: 11 }, (_, i) => 25828 + i)].map(epsgCrs);
const ETRS89 = 4258;

function covers(srid: number, extent: readonly [number, number, number, number]): boolean {
  const area = areaOfUse(srid);
  if (!area) return true;
  return extent[0] >= area[0] && extent[1] >= area[1] && extent[2] <= area[2] && extent[3] <= area[3];
}

/**
 * The output and bbox CRSs of a collection: the worldwide ones, the INSPIRE set and the source CRS.
 * The whole INSPIRE set is offered for data within ETRS89's area of use (Europe): national data
 * sets routinely use a neighbouring UTM zone (all of Germany in 32N, say). Data elsewhere gets only
 * the INSPIRE CRSs whose area of use contains it, since far from Europe (poles, antimeridian) a
 * UTM zone cannot represent it.
 */
export function offeredCrs(collection: Collection): readonly CrsRef[] {
  const extent = collection.spatialExtent;
  const inspire = !extent || covers(ETRS89, extent) ? INSPIRE : INSPIRE.filter((c) => covers(c.srid, extent));
  const offered = [...WORLDWIDE, ...inspire];
  const source = collection.sourceSrid;
  if (isKnownSrid(source) && !offered.some((c) => c.srid === source && c.uri !== CRS84.uri)) offered.push(epsgCrs(source));
  return offered;
}

/** Resolves a `crs`/`bbox-crs` value and checks the collection offers it. */
export function chooseCrs(raw: string | undefined, collection: Collection, parameter: string): CrsRef {
  if (raw === undefined) return CRS84;
  const ref = resolveApiCrs(raw, parameter);
  const offered = offeredCrs(collection);
  const match = offered.find((c) => c.srid === ref.srid && c.swapAxes === ref.swapAxes);
  if (!match) {
    throw new UnsupportedCrsError(raw, parameter, `${parameter} '${raw}' is not offered for collection '${collection.id}'; offered: ${offered.map((c) => c.uri).join(', ')}`);
  }
  return match;
}

/** Decimal places that keep about a millimetre: 8 for degrees, 3 for metres. */
export function geometryOutput(crs: CrsRef): GeometryOutput {
  return { srid: crs.srid, swapAxes: crs.swapAxes, decimals: crs.definition.geographic ? 8 : 3 };
}

export function contentCrsHeader(crs: CrsRef): string {
  return `<${crs.uri}>`;
}
