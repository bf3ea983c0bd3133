import type { Geometry } from 'geojson';

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
  /** Read every GML geometry in `crs`, whatever srsName the document writes. */
  readonly ignoreSrsName: boolean;
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
  /** GML feature types to read (local names); null: all. */
  readonly featureTypes: readonly string[] | null;
  readonly crs: string | null;
  readonly axisOrder: AxisOrderOverride;
  /** GML: read every geometry in `crs`, whatever srsName the document writes. */
  readonly ignoreSrsName: boolean;
  readonly csv: { readonly delimiter: string; readonly geometry: CsvGeometryColumns } | null;
}

/** The source families of feature harvests. */
export type FeatureSource = WfsSource | OgcApiFeaturesSource | FileSource;

/** An OGC SensorThings API service pulled on a schedule. */
export interface SensorThingsSource {
  readonly type: 'sensorthings';
  /** Service root including the version (…/v1.1), without a trailing slash. */
  readonly url: string;
  readonly filter: string | null;
  readonly pageSize: number;
  readonly expand: boolean;
  readonly resultFormat: 'auto' | 'dataArray' | 'json';
  readonly historicalLocations: boolean;
  /** Read and store each observation's FeatureOfInterest (its geometry becomes the observation item's). */
  readonly featuresOfInterest: boolean;
  readonly http: HttpOptions;
}

/** Where a generic JSON MQTT payload keeps the parts of an observation. */
export interface MqttTopic {
  /** MQTT topic filter (+ and # wildcards). */
  readonly pattern: string;
  readonly format: 'sensorthings' | 'json';
  /** Template over wildcard levels ({1} …) and payload paths ({payload.a.b}). */
  readonly datastream: string;
  readonly time: PropertyPath;
  readonly resultTime: PropertyPath | null;
  readonly value: PropertyPath;
  /** Where the payload states its unit; checked against the datastream's unit. */
  readonly unit: PropertyPath | null;
  readonly location: { readonly geometry: PropertyPath } | { readonly lon: PropertyPath; readonly lat: PropertyPath } | null;
}

export interface MqttSource {
  readonly type: 'mqtt';
  readonly url: string;
  readonly clientId: string;
  readonly username: string | null;
  readonly password: string | null;
  readonly sessionExpiryMs: number;
  /** Unacknowledged messages the broker may send (MQTT 5 receive maximum) = the in-memory queue bound. */
  readonly window: number;
  readonly batchSize: number;
  readonly batchMaxWaitMs: number;
  readonly reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  /** Mapping whose datastreams topic ids refer to; null: this mapping's own. */
  readonly datastreamSource: string | null;
  readonly topics: readonly MqttTopic[];
}

/** Observations POSTed to /observations for the datastreams the mapping declares. */
export interface HttpPushSource {
  readonly type: 'http-push';
}

export type SensorSource = SensorThingsSource | MqttSource | HttpPushSource;
export type SourceDefinition = FeatureSource | SensorSource;
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
  /** `to`: the unit symbol of the output, when the rule converts between named units. */
  readonly unit: { readonly scale: number; readonly offset: number; readonly label: string; readonly to: string | null } | null;
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

export type ResultType = 'any' | 'number' | 'integer' | 'boolean' | 'string' | 'object' | 'array';

/** A datastream declared in a mapping (MQTT and HTTP push sources have no metadata endpoint). */
export interface DatastreamDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly unit: { readonly name?: string; readonly symbol?: string; readonly definition?: string } | null;
  readonly observedProperty: { readonly name?: string; readonly definition?: string; readonly description?: string } | null;
  readonly resultType: ResultType;
  /** EPSG:4326 lon/lat. */
  readonly location: Geometry | null;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface ObservationRules {
  /** Timestamps without a zone: rejected, read as UTC, or read at this fixed offset (+01:00). */
  readonly withoutZone: 'reject' | 'utc' | string;
  readonly oddOffsets: 'normalise' | 'reject';
  readonly retentionMs: number | null;
}

interface LinkRuleBase {
  /** Unique among the rules of a sensor source; default `<rule>-<collection>`. */
  readonly name: string;
  /** The asset collection (for a rule an asset mapping declares: that mapping's own collection). */
  readonly collection: string;
  /** Lower numbers are tried first within a collection. */
  readonly priority: number;
  /** Only these datastream ids; null: every datastream of the source. */
  readonly datastreams: readonly string[] | null;
  /** The mapping that declares the rule: the sensor mapping itself, or an asset mapping. */
  readonly declaredIn: string;
  /** Rules of asset mappings: the sensor mappings whose datastreams they link; null in sensor mappings. */
  readonly sensors: readonly string[] | null;
}

export type LinkRule =
  | (LinkRuleBase & { readonly kind: 'nearest'; readonly maxDistance: number; readonly ties: 'first' | 'all' })
  | (LinkRuleBase & { readonly kind: 'contains' })
  | (LinkRuleBase & { readonly kind: 'buffer'; readonly distance: number })
  | (LinkRuleBase & { readonly kind: 'property'; readonly sensorProperty: PropertyPath; readonly assetProperty: string });

export function isSensorSource(source: SourceDefinition): source is SensorSource {
  return source.type === 'sensorthings' || source.type === 'mqtt' || source.type === 'http-push';
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
  /** The NGSI-LD base URL (`…/ngsi-ld/v1`) of a broker its entities (or, for a sensor source, its Devices) are pushed into. */
  readonly ngsiLdPushTo: string | null;
  readonly deletePolicy: DeletePolicy;
  readonly rejections: { readonly max: number | null };
  readonly schedule: { readonly intervalMs: number; readonly enabled: boolean } | null;
  /** Sensor sources: declared datastreams (empty for feature sources). */
  readonly datastreams: readonly DatastreamDefinition[];
  readonly observations: ObservationRules;
  /**
   * Sensor sources: the rules that link their datastreams, their own and those asset mappings
   * declare for them (joined when the mappings are loaded). Feature sources: the rules they declare
   * for the sensor sources named in each rule's `sensors`.
   */
  readonly links: readonly LinkRule[];
}
