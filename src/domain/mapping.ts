/**
 * A mapping: one upstream source and the rules that turn its records into features. Files under
 * mappings/ are validated against mappings/mapping.schema.json and normalised into these types by
 * src/config/mappings-loader.ts (durations in milliseconds, paths split, defaults applied).
 */

/** Override for providers that write coordinates in the wrong order: xy = east/longitude first. */
export type AxisOrderOverride = 'auto' | 'xy' | 'yx';

export interface RetryPolicy {
  /** Tries per request, counting the first. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export type HttpAuth = { readonly type: 'basic'; readonly username: string; readonly password: string } | { readonly type: 'bearer'; readonly token: string };

export interface HttpOptions {
  readonly timeoutMs: number;
  readonly retries: RetryPolicy;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: HttpAuth | null;
}

/** [minLon, minLat, maxLon, maxLat] in CRS84. */
export type LonLatBox = readonly [number, number, number, number];

export interface WfsSource {
  readonly type: 'wfs';
  readonly url: string;
  readonly typeName: string;
  readonly version: 'auto' | '1.0.0' | '1.1.0' | '2.0.0';
  readonly outputFormat: 'auto' | 'gml' | 'geojson';
  /** srsName to request, as written in the mapping; null: the feature type's default CRS. */
  readonly crs: string | null;
  readonly axisOrder: AxisOrderOverride;
  readonly pageSize: number;
  readonly paging: 'auto' | 'startIndex' | 'none';
  readonly bbox: LonLatBox | null;
  readonly http: HttpOptions;
}

export interface OgcApiFeaturesSource {
  readonly type: 'ogcapi-features';
  readonly url: string;
  readonly collection: string;
  readonly crs: string | null;
  readonly axisOrder: AxisOrderOverride;
  readonly pageSize: number;
  readonly bbox: LonLatBox | null;
  readonly http: HttpOptions;
}

export type CsvGeometryColumns = { readonly wkt: string } | { readonly x: string; readonly y: string; readonly z: string | null };

export interface FileSource {
  readonly type: 'file';
  /** Absolute path (the mapping gives it relative to the mapping file). */
  readonly path: string;
  readonly format: 'geojson' | 'gml' | 'csv';
  readonly crs: string | null;
  readonly axisOrder: AxisOrderOverride;
  readonly csv: { readonly delimiter: string; readonly geometry: CsvGeometryColumns } | null;
}

/** The source families of feature harvests. Sensor families add their own members to SourceDefinition. */
export type FeatureSource = WfsSource | OgcApiFeaturesSource | FileSource;
export type SourceDefinition = FeatureSource;
export type SourceType = SourceDefinition['type'];

/** A property path, one key per level; `$id` is the record's own identifier. */
export type PropertyPath = readonly string[];

export type ValueExpression =
  | { readonly kind: 'path'; readonly path: PropertyPath }
  | { readonly kind: 'template'; readonly template: string; readonly parts: readonly (string | PropertyPath)[] }
  | { readonly kind: 'constant'; readonly value: string | number | boolean };

export interface TargetCollection {
  readonly collection: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly keywords: readonly string[];
  readonly license: string | null;
  readonly attribution: string | null;
  /** Two-letter INSPIRE theme code (bu, ad, ef …). */
  readonly inspireTheme: string | null;
  readonly metadataUrl: string | null;
  readonly namespace: string | null;
}

export interface IdentifierRules {
  readonly id: ValueExpression;
  readonly namespace: ValueExpression | null;
  readonly localId: ValueExpression | null;
  readonly versionId: ValueExpression | null;
  /** Template with {type} {namespace} {localId} {versionId} {id} {collection}. */
  readonly ngsiLdId: string;
}

export type PropertyCast = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'json';
export type Scalar = string | number | boolean | null;

export interface PropertyRule {
  readonly name: string;
  /** Source path; null when the rule is a constant. */
  readonly from: PropertyPath | null;
  readonly constant: { readonly value: Scalar } | null;
  readonly cast: PropertyCast | null;
  readonly codeValue: boolean;
  readonly values: Readonly<Record<string, Scalar>> | null;
  readonly unmatched: 'keep' | 'null' | 'reject';
  /** output = value * scale + offset */
  readonly unit: { readonly scale: number; readonly offset: number; readonly label: string } | null;
  readonly default: Scalar | undefined;
  readonly required: boolean;
  readonly onInvalid: 'reject' | 'null';
}

export interface PropertyRules {
  readonly keepUnmapped: boolean;
  readonly flatten: boolean;
  readonly exclude: readonly string[];
  readonly rules: readonly PropertyRule[];
}

export interface GeometryRules {
  readonly property: string | null;
  readonly dimensions: 'keep' | '2d';
  /** Metres. */
  readonly densifyTolerance: number;
  readonly invalid: 'repair' | 'reject';
  readonly required: boolean;
}

export interface DeletePolicy {
  readonly mode: 'retire' | 'purge' | 'keep';
  readonly maxFraction: number;
}

export interface Mapping {
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  /** Absolute path of the file it was read from. */
  readonly file: string;
  readonly source: SourceDefinition;
  readonly target: TargetCollection;
  readonly identifiers: IdentifierRules;
  readonly properties: PropertyRules;
  readonly geometry: GeometryRules;
  readonly time: { readonly start: ValueExpression | null; readonly end: ValueExpression | null };
  readonly ngsiLd: { readonly type: string; readonly context: readonly string[] } | null;
  readonly deletePolicy: DeletePolicy;
  readonly rejections: { readonly max: number | null };
  readonly schedule: { readonly intervalMs: number; readonly enabled: boolean } | null;
}
