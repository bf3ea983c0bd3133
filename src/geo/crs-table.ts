import definitions from './crs-definitions.json' with { type: 'json' };

/**
 * The coordinate reference systems placelink understands, generated from PROJ's EPSG database by
 * test/helpers/generate-crs-table.ts (regenerate to add one). This is the single table axis order
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
  readonly proj4: string;
  /** [west, south, east, north] in degrees */
  readonly areaOfUse: readonly [number, number, number, number] | null;
}

export const CRS_TABLE = definitions as unknown as readonly CrsDefinition[];
