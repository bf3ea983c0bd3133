declare module 'geojson-validation' {
  /** With `trace` true the checks return the list of problems instead of a boolean. */
  export function isFeature(object: unknown, trace: true): string[];
  export function isFeatureCollection(object: unknown, trace: true): string[];
  export function valid(object: unknown, trace: true): string[];
}
