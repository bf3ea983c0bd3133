import type { Geometry } from 'geojson';
import { valid } from 'geojson-validation';
import type { MqttTopic, PropertyPath } from '../../domain/mapping.js';
import { sensorThingsObservationInput, type ObservationInput } from '../../domain/observation.js';

/** The levels an MQTT topic filter's wildcards matched ('#' gives the rest joined by '/'), or null. */
export function matchTopic(filter: string, topic: string): string[] | null {
  const want = filter.split('/');
  const have = topic.split('/');
  const captured: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const level = want[i]!;
    if (level === '#') {
      captured.push(have.slice(i).join('/'));
      return captured;
    }
    if (i >= have.length) return null;
    if (level === '+') captured.push(have[i]!);
    else if (level !== have[i]) return null;
  }
  return want.length === have.length ? captured : null;
}

/** A message read into observations of one named datastream, or why it cannot be read. */
export type ReadMessage =
  | {
      readonly datastream: string;
      readonly observations: readonly ObservationInput[];
      /** The unit each observation states (json topics with a `unit` path), undefined where none. */
      readonly units: readonly unknown[];
      readonly location: Geometry | null;
    }
  | { readonly problem: string };

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

function at(root: unknown, path: PropertyPath): unknown {
  let value = root;
  for (const key of path) {
    if (!isObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

/** The datastream id of a SensorThings Observations topic: `…/Datastreams(<id>)/Observations`, quotes removed. */
export function sensorThingsDatastream(topic: string): string | null {
  const match = /(?:^|\/)Datastreams\(([^()/]+)\)\/Observations$/.exec(topic);
  if (!match) return null;
  const id = match[1]!;
  return /^'.*'$/.test(id) ? id.slice(1, -1).replaceAll("''", "'") : id;
}

function sensorThingsObservation(entity: unknown): ObservationInput | string {
  if (!isObject(entity)) return 'an Observation must be a JSON object';
  if (entity['phenomenonTime'] === undefined) {
    const near = Object.keys(entity).find((k) => k !== 'phenomenonTime' && /^phen\w*time$/i.test(k));
    return near ? `has no phenomenonTime (found '${near}': misspelt?)` : 'has no phenomenonTime';
  }
  if (!('result' in entity)) return 'has no result';
  return sensorThingsObservationInput(entity);
}

function template(text: string, levels: readonly string[], payload: unknown): string | null {
  let missing = false;
  const out = text.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const value = /^\d+$/.test(name) ? levels[Number(name) - 1] : at(payload, name.slice('payload.'.length).split('.'));
    if (value === undefined || value === null || value === '') missing = true;
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
  return missing ? null : out;
}

function payloadLocation(payload: unknown, location: MqttTopic['location']): Geometry | null | string {
  if (!location) return null;
  if ('geometry' in location) {
    const value = at(payload, location.geometry);
    if (value === undefined || value === null) return null;
    const problems = isObject(value) ? valid(value, true) : ['not a GeoJSON geometry'];
    return problems.length ? `location ${location.geometry.join('.')}: ${problems[0]}` : (value as unknown as Geometry);
  }
  const lon = at(payload, location.lon);
  const lat = at(payload, location.lat);
  if (lon === undefined && lat === undefined) return null;
  if (typeof lon !== 'number' || typeof lat !== 'number' || lon < -180 || lon > 180 || lat < -90 || lat > 90) return `location (${JSON.stringify(lon)}, ${JSON.stringify(lat)}) is not a longitude and latitude`;
  return { type: 'Point', coordinates: [lon, lat] };
}

/** Reads one message of a topic mapping: a SensorThings Observation (or array of them), or a JSON payload by paths. */
export function readMessage(topicRule: MqttTopic, topic: string, levels: readonly string[], bytes: Buffer): ReadMessage {
  let payload: unknown;
  try {
    payload = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { problem: `payload is not JSON (${(error as Error).message})` };
  }
  if (topicRule.format === 'sensorthings') {
    const datastream = sensorThingsDatastream(topic);
    if (datastream === null) return { problem: 'topic is not of the form …/Datastreams(<id>)/Observations' };
    const entities = Array.isArray(payload) ? payload : [payload];
    if (entities.length === 0) return { problem: 'payload is an empty array' };
    const observations: ObservationInput[] = [];
    for (const [index, entity] of entities.entries()) {
      const read = sensorThingsObservation(entity);
      if (typeof read === 'string') return { problem: Array.isArray(payload) ? `observation ${index} ${read}` : `the Observation ${read}` };
      observations.push(read);
    }
    return { datastream, observations, units: [], location: null };
  }
  const items = Array.isArray(payload) ? payload : [payload];
  const first = items[0];
  if (!isObject(first)) return { problem: 'payload must be a JSON object (or an array of objects)' };
  const datastream = template(topicRule.datastream, levels, first);
  if (datastream === null) return { problem: `the datastream id '${topicRule.datastream}' cannot be filled from this topic and payload` };
  const observations: ObservationInput[] = [];
  const units: unknown[] = [];
  let location: Geometry | null = null;
  for (const [index, item] of items.entries()) {
    if (!isObject(item)) return { problem: `item ${index} is not a JSON object` };
    const value = at(item, topicRule.value);
    if (value === undefined) return { problem: `has no value at ${topicRule.value.join('.')}` };
    const time = at(item, topicRule.time);
    if (time === undefined) return { problem: `has no time at ${topicRule.time.join('.')}` };
    const place = payloadLocation(item, topicRule.location);
    if (typeof place === 'string') return { problem: place };
    location = place ?? location;
    observations.push({ phenomenonTime: time, resultTime: topicRule.resultTime ? at(item, topicRule.resultTime) : undefined, result: value });
    units.push(topicRule.unit ? at(item, topicRule.unit) : undefined);
  }
  return { datastream, observations, units, location };
}
