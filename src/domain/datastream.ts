import type { Geometry } from 'geojson';
import type { ResultType } from './mapping.js';

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
