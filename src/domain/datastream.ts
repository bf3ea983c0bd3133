import type { Geometry } from 'geojson';
import type { ResultType } from './mapping.js';
import type { TimeInterval } from './query.js';

/** A datastream as a source describes it (SensorThings Datastream with its Thing, Sensor, ObservedProperty; or a mapping's declaration). */
export interface DatastreamRecord {
  /** Public id, unique across sources. */
  readonly id: string;
  /** The source's own id (SensorThings @iot.id as text). */
  readonly upstreamId: string;
  readonly name: string;
  readonly description: string | null;
  readonly unit: Readonly<Record<string, unknown>> | null;
  readonly observationType: string | null;
  readonly resultType: ResultType;
  readonly observedProperty: Readonly<Record<string, unknown>> | null;
  readonly sensor: Readonly<Record<string, unknown>> | null;
  readonly thing: Readonly<Record<string, unknown>> | null;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A SensorThings FeatureOfInterest: what observations observed, with its own geometry. */
export interface FeatureOfInterestRecord {
  /** The source's own id (@iot.id as text). */
  readonly upstreamId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly encodingType: string | null;
  readonly properties: Readonly<Record<string, unknown>>;
  /** EPSG:4326 lon/lat; null when it has none that can be read. */
  readonly geometry: Geometry | null;
}

/**
 * The time a standing fact holds from when its start is unknown: a place declared in a mapping, a
 * Thing's Location without HistoricalLocations, the first link of a datastream that has no place.
 */
export const SINCE_EVER = '1970-01-01T00:00:00Z';

/** One place a datastream (its Thing) was from `time` on, in EPSG:4326 lon/lat. */
export interface LocationEntry {
  readonly time: string;
  readonly geometry: Geometry;
}

/** What the write paths need to know about a stored datastream. */
export interface DatastreamInfo {
  readonly key: number;
  readonly id: string;
  readonly upstreamId: string;
  readonly sourceKey: number;
  readonly sourceId: string;
  readonly resultType: ResultType;
  /** {name, symbol, definition} as declared or harvested. */
  readonly unit: Readonly<Record<string, unknown>> | null;
}

/** A sensor source as stored: the mapping it comes from and the collection its observations are served in. */
export interface SensorSourceInfo {
  readonly key: number;
  readonly id: string;
  readonly type: 'sensorthings' | 'mqtt' | 'http-push';
  readonly collectionKey: number | null;
  readonly retentionMs: number | null;
}

/** Why a datastream of a source could not be stored. */
export interface DatastreamRejection {
  readonly id: string;
  readonly reason: string;
}

const UNIT_FIELDS = ['symbol', 'name', 'definition'] as const;

function unitNames(unit: unknown): string[] {
  if (typeof unit === 'string') return [unit];
  if (unit === null || typeof unit !== 'object' || Array.isArray(unit)) return [];
  return UNIT_FIELDS.map((field) => (unit as Record<string, unknown>)[field]).filter((name): name is string => typeof name === 'string' && name !== '');
}

/**
 * Why a unit a message states (a symbol, name or definition, or an object with them) is not the
 * datastream's declared unit; null when one of them matches, or when there is nothing to compare.
 */
export function statedUnitProblem(stated: unknown, declared: Readonly<Record<string, unknown>> | null): string | null {
  if (stated === undefined || stated === null) return null;
  const known = unitNames(declared);
  if (known.length === 0) return null;
  if (unitNames(stated).some((name) => known.includes(name))) return null;
  return `unit ${JSON.stringify(stated)} is not the datastream's unit (${known.map((name) => `'${name}'`).join(' / ')})`;
}

/**
 * The collection a datastream's observations are served in of their own: the source's observation
 * collection id (which has no ':') and the datastream's upstream id, joined by ':'.
 */
export function datastreamCollectionId(sourceCollectionId: string, upstreamId: string): string {
  return `${sourceCollectionId}:${upstreamId}`;
}

/** The parts of a datastream collection id; null for any other collection id. */
export function parseDatastreamCollectionId(id: string): { readonly collectionId: string; readonly upstreamId: string } | null {
  const colon = id.indexOf(':');
  if (colon <= 0 || colon === id.length - 1) return null;
  return { collectionId: id.slice(0, colon), upstreamId: id.slice(colon + 1) };
}

/** What a datastream's own collection document says about it. */
export interface DatastreamSummary {
  readonly key: number;
  readonly id: string;
  readonly upstreamId: string;
  readonly name: string;
  readonly description: string | null;
  readonly observedProperty: string | null;
  readonly unit: string | null;
  readonly observationCount: number;
  /** [minLon, minLat, maxLon, maxLat] around its places and FeaturesOfInterest. */
  readonly spatialExtent: readonly [number, number, number, number] | null;
  readonly temporalExtent: readonly [string | null, string | null] | null;
  readonly geometryTypes: readonly string[];
}

/** A span during which a datastream was linked to an asset: from `validFrom` until `validTo` (null: still linked). */
export interface LinkSpan {
  readonly validFrom: string;
  readonly validTo: string | null;
}

/** Whether any part of a link span lies within a time interval (no interval: always). */
export function spanOverlaps(span: LinkSpan, time: TimeInterval | null): boolean {
  if (!time) return true;
  const startsInTime = time.end === null || Date.parse(span.validFrom) <= time.end.getTime();
  const endsAfterStart = time.start === null || span.validTo === null || Date.parse(span.validTo) > time.start.getTime();
  return startsInTime && endsAfterStart;
}
