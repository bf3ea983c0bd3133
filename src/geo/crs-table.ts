import definitions from './crs-definitions.json' with { type: 'json' };

/**
 * The coordinate reference systems placelink understands, generated from PROJ's EPSG database by
 * scripts/generate-crs-table.ts (regenerate to add one). This is the single table axis order
 * comes from.
 *
 * `northFirst`: the authority's first axis is latitude/northing (EPSG:4326 lat,lon; EPSG:3035 N,E).
 * PostGIS and proj4 always work in x = east/longitude, y = north/latitude.
 */
export interface CrsDefinition {
  readonly srid: number;
  readonly name: string;
  readonly geographic: boolean;
  readonly northFirst: boolean;
  readonly dimensions: 2 | 3;
  /** Without the datum shift, which comes from `datumShifts`. */
  readonly proj4: string;
  /**
   * PROJ's candidate datum shifts to WGS 84 (none: the datum is WGS 84 or taken as such). For each
   * position the most accurate one whose area contains it applies, as in PROJ's proj_trans.
   */
  readonly datumShifts: readonly DatumShift[];
  /** [west, south, east, north] in degrees */
  readonly areaOfUse: readonly [number, number, number, number] | null;
}

export interface DatumShift {
  /** [west, south, east, north] in degrees; west > east crosses the antimeridian */
  readonly bbox: readonly [number, number, number, number];
  /** metres; null for a ballpark shift, used only where nothing else applies */
  readonly accuracy: number | null;
  /** `+towgs84=…`, `+nadgrids=<NTv2 file in PROJ's data directory>` or '' (no shift) */
  readonly parameter: string;
}

export const CRS_TABLE = definitions as unknown as readonly CrsDefinition[];
