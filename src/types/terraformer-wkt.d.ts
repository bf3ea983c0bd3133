declare module '@terraformer/wkt' {
  import type { Geometry } from 'geojson';
  /** Parses WKT (2D, Z, M, ZM; EMPTY) into a GeoJSON geometry; throws on malformed text. */
  export function wktToGeoJSON(wkt: string): Geometry;
}
