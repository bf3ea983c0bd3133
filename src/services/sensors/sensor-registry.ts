import { NO_HARVEST_INFO, type CollectionDefinition } from '../../domain/collection.js';
import { SINCE_EVER, type DatastreamInfo, type DatastreamRecord, type DatastreamRejection, type SensorSourceInfo } from '../../domain/datastream.js';
import { ConfigurationError } from '../../domain/errors.js';
import { isSensorSource, type Mapping, type SensorSource } from '../../domain/mapping.js';
import type { SensorPorts } from '../ports/sensor-ports.js';

export type SensorMapping = Mapping & { readonly source: SensorSource };

export function isSensorMapping(mapping: Mapping): mapping is SensorMapping {
  return isSensorSource(mapping.source);
}

/** The collection a sensor mapping's observations are served in (point features, one per observation). */
export function observationCollection(mapping: SensorMapping): CollectionDefinition {
  const target = mapping.target;
  return {
    id: target.collection,
    title: target.title ?? mapping.title,
    description: target.description ?? mapping.description ?? `Observations of the ${mapping.source.type} source '${mapping.id}', one point feature per observation at the sensor's place.`,
    keywords: target.keywords,
    license: target.license,
    attribution: target.attribution,
    sourceSrid: 4326,
    inspireNamespace: target.namespace ?? `placelink.${target.collection}`,
    harvest: { ...NO_HARVEST_INFO, mappingId: mapping.id },
  };
}

/** A declared datastream as a record (declared ids are their own upstream ids). */
function declaredRecord(mapping: SensorMapping, index: number): DatastreamRecord {
  const d = mapping.datastreams[index]!;
  return {
    id: d.id,
    upstreamId: d.id,
    name: d.name,
    description: d.description,
    unit: d.unit,
    observationType: null,
    resultType: d.resultType,
    observedProperty: d.observedProperty,
    sensor: null,
    thing: null,
    properties: d.properties,
  };
}


/**
 * Stores a sensor mapping's source row, its observation collection and its declared datastreams
 * (with their declared places). Returns the source and the datastreams that could not be stored.
 */
export async function registerSensorMapping(store: SensorPorts, mapping: SensorMapping): Promise<{ source: SensorSourceInfo; rejected: DatastreamRejection[] }> {
  const source = await store.sensors.saveSource(mapping.id, mapping.source.type, observationCollection(mapping), mapping.observations.retentionMs);
  if (source.collectionKey !== null) await store.collections.setQueryables(source.collectionKey, { datastream: { type: 'string', title: 'Datastream id' } });
  const records = mapping.datastreams.map((_, index) => declaredRecord(mapping, index));
  const rejected = await store.sensors.upsertDatastreams(source.key, records);
  const placed = mapping.datastreams.filter((d) => d.location);
  if (placed.length) {
    const stored = new Map((await store.sensors.datastreamsOfSource(source.key)).map((d) => [d.upstreamId, d.key]));
    const entries = placed.flatMap((d) => {
      const key = stored.get(d.id);
      // A declared place holds from the start of time: observations pushed with a place (moving
      // sensors) move the datastream on from there; a declaration never overrides a later place.
      return key === undefined ? [] : [{ key, location: { time: SINCE_EVER, geometry: d.location! } }];
    });
    await store.sensors.moveDatastreams(entries);
    await store.sensors.refreshSourceExtent(source.key);
  }
  return { source, rejected };
}

/** Looks datastreams up by public id or by a source's upstream ids, with a short-lived cache. */
export interface DatastreamDirectory {
  byIds(ids: readonly string[]): Promise<Map<string, DatastreamInfo>>;
  byUpstreamIds(sourceKey: number, ids: readonly string[]): Promise<Map<string, DatastreamInfo>>;
  invalidate(): void;
}

export function datastreamDirectory(store: SensorPorts, ttlMs = 5000): DatastreamDirectory {
  const byId = new Map<string, { info: DatastreamInfo | null; until: number }>();
  const byUpstream = new Map<string, { info: DatastreamInfo | null; until: number }>();

  async function resolve(keys: readonly string[], cache: typeof byId, load: (missing: string[]) => Promise<DatastreamInfo[]>, keyOf: (info: DatastreamInfo) => string) {
    const now = Date.now();
    const found = new Map<string, DatastreamInfo>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const hit = cache.get(key);
      if (hit && hit.until > now) {
        if (hit.info) found.set(key, hit.info);
      } else missing.push(key);
    }
    if (missing.length) {
      const loaded = await load(missing);
      const loadedKeys = new Set<string>();
      for (const info of loaded) {
        const key = keyOf(info);
        loadedKeys.add(key);
        found.set(key, info);
        cache.set(key, { info, until: now + ttlMs });
      }
      // Unknown ids are remembered briefly too, so a flood of them costs one lookup per TTL.
      for (const key of missing) if (!loadedKeys.has(key)) cache.set(key, { info: null, until: now + ttlMs });
    }
    return found;
  }

  return {
    byIds: (ids) => resolve(ids, byId, (missing) => store.sensors.datastreamsByIds(missing), (info) => info.id),
    async byUpstreamIds(sourceKey, ids) {
      const prefixed = await resolve(
        ids.map((id) => `${sourceKey}\u0000${id}`),
        byUpstream,
        (missing) => store.sensors.datastreamsByUpstreamIds(sourceKey, missing.map((m) => m.slice(m.indexOf('\u0000') + 1))),
        (info) => `${info.sourceKey}\u0000${info.upstreamId}`,
      );
      return new Map([...prefixed].map(([key, info]) => [key.slice(key.indexOf('\u0000') + 1), info]));
    },
    invalidate() {
      byId.clear();
      byUpstream.clear();
    },
  };
}

/** The sensor mappings among loaded mappings, checked against each other. */
export function sensorMappings(mappings: readonly Mapping[]): SensorMapping[] {
  const sensors = mappings.filter(isSensorMapping);
  const ids = new Set(mappings.map((m) => m.id));
  for (const mapping of sensors) {
    if (mapping.source.type === 'mqtt' && mapping.source.datastreamSource && !ids.has(mapping.source.datastreamSource)) {
      throw new ConfigurationError(`${mapping.file}: source.datastreamSource: no mapping '${mapping.source.datastreamSource}' is loaded`);
    }
  }
  return sensors;
}
