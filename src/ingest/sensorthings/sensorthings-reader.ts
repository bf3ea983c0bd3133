import type { Geometry } from 'geojson';
import { valid } from 'geojson-validation';
import { SINCE_EVER, type DatastreamRecord, type FeatureOfInterestRecord, type LocationEntry } from '../../domain/datastream.js';
import { SourceFormatError, UpstreamError } from '../../domain/errors.js';
import type { SensorThingsSource } from '../../domain/mapping.js';
import { resultTypeOf, sensorThingsObservationInput, type ObservationInput } from '../../domain/observation.js';
import type { HttpClient } from '../http/http-client.js';

/** Pages followed per collection before the reader gives up (a server looping its nextLinks). */
const MAX_PAGES = 100_000;

type Entity = Record<string, unknown>;

const isObject = (value: unknown): value is Entity => value !== null && typeof value === 'object' && !Array.isArray(value);

/** An entity URL from its selfLink when the server gave one, else built from the id (strings quoted). */
export function entityUrl(root: string, entitySet: string, entity: Entity): string {
  const self = entity['@iot.selfLink'];
  if (typeof self === 'string' && /^https?:\/\//.test(self.trim())) return self.trim();
  const id = entity['@iot.id'];
  const literal = typeof id === 'number' ? String(id) : `'${String(id).replaceAll("'", "''")}'`;
  return `${root}/${entitySet}(${encodeURIComponent(literal).replaceAll('%27', "'")})`;
}

function withQuery(url: string, query: Record<string, string | undefined>): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) target.searchParams.set(name, value);
  // SensorThings servers expect the `$` of system query options unescaped, and spaces as %20
  // (URLSearchParams writes '+', which OData servers need not read as a space).
  return target.toString().replaceAll('%24', '$').replaceAll('+', '%20');
}

/** A Location's `location` or a FeatureOfInterest's `feature`: a GeoJSON geometry or a GeoJSON Feature; null with a reason otherwise. */
export function locationGeometry(location: Entity): { geometry: Geometry } | { problem: string } {
  const encoding = typeof location['encodingType'] === 'string' ? location['encodingType'] : '';
  if (encoding && !/geo\+json|geojson|application\/json/i.test(encoding)) return { problem: `encodingType '${encoding}' is not GeoJSON` };
  let value = location['location'] ?? location['feature'];
  if (isObject(value) && value['type'] === 'Feature') value = value['geometry'];
  if (!isObject(value)) return { problem: 'has no GeoJSON location' };
  const problems = valid(value, true);
  if (problems.length) return { problem: `invalid GeoJSON geometry: ${problems.slice(0, 3).join('; ')}` };
  return { geometry: value as unknown as Geometry };
}

export interface DatastreamEntry {
  readonly record: DatastreamRecord;
  /** Where observations are read: the Datastream's own URL. */
  readonly url: string;
  /** The Thing's URL (for HistoricalLocations), when known. */
  readonly thingUrl: string | null;
  readonly thingLocations: readonly Entity[];
}

export interface ObservationPage {
  readonly url: string;
  readonly observations: readonly ObservationInput[];
  /** The FeatureOfInterest of each observation (same order), when the source said which. */
  readonly featuresOfInterest: readonly (FeatureOfInterestRecord | null)[];
}

/** Reads a SensorThings service: Datastreams (with Thing, Locations, Sensor, ObservedProperty), locations and Observations. */
export interface SensorThingsReader {
  datastreams(): AsyncGenerator<DatastreamEntry[]>;
  /** Location history from the Thing's HistoricalLocations (or its current Locations). */
  locations(entry: DatastreamEntry, problems: (message: string) => void): Promise<LocationEntry[]>;
  /** Observations in phenomenonTime order, after `after` when given, with their FeaturesOfInterest. */
  observations(entry: DatastreamEntry, after: string | null, problems: (message: string) => void): AsyncGenerator<ObservationPage>;
  /** Requests made so far. */
  readonly requests: number;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function pick(entity: Entity | undefined, names: readonly string[]): Record<string, unknown> | null {
  if (!entity) return null;
  const out: Record<string, unknown> = {};
  for (const name of names) if (entity[name] !== undefined) out[name] = entity[name];
  return Object.keys(out).length ? out : null;
}

/** How an observation names its FeatureOfInterest: expanded, by id (a dataArray component), or by navigation link. */
type FeatureOfInterestReference = { readonly entity: Entity } | { readonly id: unknown } | { readonly link: string } | null;

interface PulledObservation {
  readonly input: ObservationInput;
  readonly featureOfInterest: FeatureOfInterestReference;
}

/** One observation from a dataArray row, by its components. */
function fromComponents(components: readonly string[], row: readonly unknown[]): PulledObservation {
  const value = (name: string) => {
    const index = components.indexOf(name);
    return index === -1 ? undefined : row[index];
  };
  const foi = value('FeatureOfInterest/id') ?? value('FeatureOfInterest/@iot.id');
  return {
    input: {
      phenomenonTime: value('phenomenonTime'),
      resultTime: value('resultTime'),
      result: value('result'),
      resultQuality: value('resultQuality'),
      validTime: value('validTime'),
      parameters: value('parameters'),
      upstreamId: value('id') ?? value('@iot.id'),
    },
    featureOfInterest: foi === undefined || foi === null ? null : { id: foi },
  };
}

function fromEntity(entity: Entity): PulledObservation {
  const foi = entity['FeatureOfInterest'];
  const link = text(entity['FeatureOfInterest@iot.navigationLink']);
  return {
    input: sensorThingsObservationInput(entity),
    featureOfInterest: isObject(foi) ? (foi['@iot.id'] !== undefined && Object.keys(foi).length === 1 ? { id: foi['@iot.id'] } : { entity: foi }) : link?.trim() ? { link: link.trim() } : null,
  };
}

function pulledObservations(body: Entity): PulledObservation[] {
  const value = body['value'];
  if (!Array.isArray(value)) throw new SourceFormatError('the response has no "value" array', null, null);
  const out: PulledObservation[] = [];
  for (const item of value) {
    if (isObject(item) && Array.isArray(item['components']) && Array.isArray(item['dataArray'])) {
      const components = (item['components'] as unknown[]).map(String);
      for (const row of item['dataArray'] as unknown[]) if (Array.isArray(row)) out.push(fromComponents(components, row));
    } else if (isObject(item)) out.push(fromEntity(item));
  }
  return out;
}

/** Observations in a page body, whether plain entities or the dataArray form. */
export function observationsOf(body: Entity): ObservationInput[] {
  return pulledObservations(body).map((o) => o.input);
}

const idText = (id: unknown) => (typeof id === 'string' ? id : JSON.stringify(id));

/**
 * A FeatureOfInterest entity as a record: its geometry from `feature` (a GeoJSON geometry or
 * Feature); a feature that cannot be read leaves the record without geometry, with the reason.
 */
export function featureOfInterestOf(entity: Entity): { record: FeatureOfInterestRecord; problem: string | null } | { problem: string } {
  if (entity['@iot.id'] === undefined || entity['@iot.id'] === null) return { problem: 'has no @iot.id' };
  const geometry = locationGeometry(entity);
  return {
    record: {
      upstreamId: idText(entity['@iot.id']),
      name: text(entity['name']),
      description: text(entity['description']),
      encodingType: text(entity['encodingType']),
      properties: isObject(entity['properties']) ? entity['properties'] : {},
      geometry: 'geometry' in geometry ? geometry.geometry : null,
    },
    problem: 'problem' in geometry ? geometry.problem : null,
  };
}

/** A Datastream entity (with its Thing, Sensor and ObservedProperty when expanded) as the pull reads it. */
export function datastreamEntryOf(mappingId: string, serviceRoot: string, entity: Entity): DatastreamEntry {
  const thing = isObject(entity['Thing']) ? entity['Thing'] : undefined;
  const sensor = isObject(entity['Sensor']) ? entity['Sensor'] : undefined;
  const property = isObject(entity['ObservedProperty']) ? entity['ObservedProperty'] : undefined;
  const upstreamId = typeof entity['@iot.id'] === 'string' ? entity['@iot.id'] : JSON.stringify(entity['@iot.id']);
  const observationType = text(entity['observationType']);
  const thingNavigation = text(entity['Thing@iot.navigationLink']);
  return {
    record: {
      id: `${mappingId}:${upstreamId}`,
      upstreamId,
      name: text(entity['name']) ?? upstreamId,
      description: text(entity['description']),
      unit: isObject(entity['unitOfMeasurement']) ? entity['unitOfMeasurement'] : null,
      observationType,
      resultType: resultTypeOf(observationType),
      observedProperty: pick(property, ['@iot.id', 'name', 'definition', 'description', 'properties']),
      sensor: pick(sensor, ['@iot.id', 'name', 'description', 'encodingType', 'metadata', 'properties']),
      thing: pick(thing, ['@iot.id', 'name', 'description', 'properties']),
      properties: isObject(entity['properties']) ? entity['properties'] : {},
    },
    url: entityUrl(serviceRoot, 'Datastreams', entity),
    thingUrl: thing ? entityUrl(serviceRoot, 'Things', thing) : thingNavigation ? new URL(thingNavigation.trim(), serviceRoot + '/').toString() : null,
    thingLocations: thing && Array.isArray(thing['Locations']) ? (thing['Locations'] as unknown[]).filter(isObject) : [],
  };
}

export function sensorThingsReader(mappingId: string, source: SensorThingsSource, http: HttpClient): SensorThingsReader {
  let requests = 0;
  let dataArray = source.resultFormat !== 'json';
  /** FeaturesOfInterest read in this pull, by id and by the link they were read from. */
  const featuresOfInterest = new Map<string, FeatureOfInterestRecord | null>();
  let conformance: Promise<string[] | null> | null = null;

  /** The conformance classes a SensorThings 1.1 service lists in its root (serverSettings); null when it lists none. */
  function serverConformance(): Promise<string[] | null> {
    conformance ??= (async () => {
      try {
        const settings = (await fetchPage(source.url))['serverSettings'];
        const listed = isObject(settings) ? settings['conformance'] : undefined;
        return Array.isArray(listed) ? listed.map(String) : null;
      } catch (error) {
        if (!(error instanceof UpstreamError) || error.retryable) throw error;
        return null;
      }
    })();
    return conformance;
  }

  async function fetchPage(url: string): Promise<Entity> {
    requests++;
    const body = await http.withRetries(`GET ${http.redact(url)}`, async () => (await http.get(url, 'application/json')).json());
    if (!isObject(body)) throw new SourceFormatError(`${http.redact(url)} did not answer with a JSON object`, null, null);
    return body;
  }

  /** Follows @iot.nextLink (opaque: used as given, relative links resolved) until the last page. */
  async function* pages(first: string, prefetched?: Entity): AsyncGenerator<{ url: string; body: Entity }> {
    const seen = new Set<string>();
    let url: string | null = first;
    while (url) {
      if (seen.has(url) || seen.size >= MAX_PAGES) throw new SourceFormatError(`@iot.nextLink repeats ${http.redact(url)}; stopping instead of looping`, null, null);
      seen.add(url);
      const body: Entity = url === first && prefetched ? prefetched : await fetchPage(url);
      yield { url, body };
      const next: unknown = body['@iot.nextLink'];
      url = typeof next === 'string' && next.trim() ? new URL(next.trim(), url).toString() : null;
    }
  }

  /** The FeatureOfInterest an observation names, read once per pull; null (with the reason told) when it cannot be. */
  async function featureOfInterest(reference: FeatureOfInterestReference, problems: (message: string) => void): Promise<FeatureOfInterestRecord | null> {
    if (reference === null) return null;
    const key = 'entity' in reference ? null : 'id' in reference ? `id:${idText(reference.id)}` : `link:${reference.link}`;
    if (key !== null && featuresOfInterest.has(key)) return featuresOfInterest.get(key)!;
    let entity: Entity;
    if ('entity' in reference) entity = reference.entity;
    else {
      const url = 'id' in reference ? entityUrl(source.url, 'FeaturesOfInterest', { '@iot.id': reference.id }) : new URL(reference.link, `${source.url}/`).toString();
      try {
        entity = await fetchPage(url);
      } catch (error) {
        if (!(error instanceof UpstreamError) || error.retryable) throw error;
        problems(`FeatureOfInterest at ${http.redact(url)} could not be read: ${error.message}`);
        featuresOfInterest.set(key!, null);
        return null;
      }
    }
    const read = featureOfInterestOf(entity);
    if (read.problem) problems(`FeatureOfInterest ${JSON.stringify(entity['@iot.id'] ?? null)}: ${read.problem}`);
    const record = 'record' in read ? read.record : null;
    if (key !== null) featuresOfInterest.set(key, record);
    if (record) featuresOfInterest.set(`id:${record.upstreamId}`, record);
    return record;
  }

  return {
    get requests() {
      return requests;
    },

    async *datastreams() {
      const url = withQuery(`${source.url}/Datastreams`, {
        $top: String(source.pageSize),
        $filter: source.filter ?? undefined,
        $expand: source.expand ? 'Thing($expand=Locations),Sensor,ObservedProperty' : undefined,
      });
      for await (const { url: pageUrl, body } of pages(url)) {
        const value = body['value'];
        if (!Array.isArray(value)) throw new SourceFormatError(`${http.redact(pageUrl)}: the response has no "value" array`, null, null);
        const entries: DatastreamEntry[] = [];
        for (const item of value) {
          if (!isObject(item) || item['@iot.id'] === undefined) continue;
          let found = datastreamEntryOf(mappingId, source.url, item);
          if (!source.expand && found.thingUrl) {
            const thing = await fetchPage(withQuery(found.thingUrl, { $expand: 'Locations' }));
            found = datastreamEntryOf(mappingId, source.url, { ...item, Thing: thing });
          }
          entries.push(found);
        }
        yield entries;
      }
    },

    async locations(found, problems) {
      const history: LocationEntry[] = [];
      const add = (time: unknown, locations: unknown) => {
        if (typeof time !== 'string' || !Array.isArray(locations)) return;
        for (const location of locations) {
          if (!isObject(location)) continue;
          const geometry = locationGeometry(location);
          if ('problem' in geometry) problems(`Location ${JSON.stringify(location['@iot.id'])} of ${found.record.id}: ${geometry.problem}`);
          else {
            history.push({ time, geometry: geometry.geometry });
            break;
          }
        }
      };
      if (source.historicalLocations && found.thingUrl) {
        try {
          for await (const { body } of pages(withQuery(`${found.thingUrl}/HistoricalLocations`, { $expand: 'Locations', $orderby: 'time asc', $top: String(source.pageSize) }))) {
            for (const item of Array.isArray(body['value']) ? (body['value'] as unknown[]) : []) if (isObject(item)) add(item['time'], item['Locations']);
          }
        } catch (error) {
          if (!(error instanceof UpstreamError) || error.retryable) throw error;
          problems(`HistoricalLocations of ${found.record.id} could not be read: ${error.message}`);
        }
      }
      if (history.length === 0 && found.thingLocations.length) add(SINCE_EVER, found.thingLocations);
      return history;
    },

    async *observations(found, after, problems) {
      // Plain JSON pages bring each observation's FeatureOfInterest expanded (one request per page);
      // dataArray rows name it by id, when the server includes the FeatureOfInterest/id component.
      const query = (format: boolean) =>
        withQuery(`${found.url}/Observations`, {
          $orderby: 'phenomenonTime asc',
          $top: String(source.pageSize),
          $filter: after ? `phenomenonTime gt ${after}` : undefined,
          $resultFormat: format ? 'dataArray' : undefined,
          $expand: !format && source.featuresOfInterest && source.expand ? 'FeatureOfInterest' : undefined,
        });
      // A service that lists its conformance classes and not the data array extension is asked for JSON at once.
      if (dataArray && source.resultFormat === 'auto' && (await serverConformance())?.some((uri) => /\/req\/data-array\b/.test(uri)) === false) dataArray = false;
      let first = query(dataArray);
      let prefetched: Entity | undefined;
      if (dataArray && source.resultFormat === 'auto') {
        try {
          prefetched = await fetchPage(first);
        } catch (error) {
          if (!(error instanceof UpstreamError) || error.retryable || error.status === null) throw error;
          // The server refused $resultFormat=dataArray: plain JSON from now on.
          dataArray = false;
          first = query(false);
        }
      }
      for await (const { url, body } of pages(first, prefetched)) {
        const pulled = pulledObservations(body);
        const fois: (FeatureOfInterestRecord | null)[] = [];
        for (const observation of pulled) fois.push(source.featuresOfInterest ? await featureOfInterest(observation.featureOfInterest, problems) : null);
        yield { url, observations: pulled.map((o) => o.input), featuresOfInterest: fois };
      }
    },
  };
}
