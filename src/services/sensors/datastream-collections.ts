import type { Collection } from '../../domain/collection.js';
import { datastreamCollectionId, parseDatastreamCollectionId, type DatastreamSummary } from '../../domain/datastream.js';
import type { CollectionCatalog } from '../features/collection-catalog.js';
import type { SensorPorts } from '../ports/sensor-ports.js';
import type { SensorService } from './sensor-service.js';

/** Datastream collections remembered at most; beyond it the oldest are forgotten. */
const CACHED = 1000;

/** A datastream's observations as a collection of its own, described from its source's collection. */
export function datastreamCollection(source: Collection, summary: DatastreamSummary): Collection {
  const measured = [summary.observedProperty, summary.unit].filter((part): part is string => part !== null).join(', ');
  return {
    ...source,
    id: datastreamCollectionId(source.id, summary.upstreamId),
    title: summary.name,
    description: `${summary.description ? `${summary.description}. ` : ''}Observations of the datastream '${summary.id}'${measured ? ` (${measured})` : ''} of ${source.title}, one point feature per observation.`,
    featureCount: summary.observationCount,
    spatialExtent: summary.spatialExtent,
    temporalExtent: summary.temporalExtent,
    geometryTypes: summary.geometryTypes,
    queryables: {},
  };
}

/**
 * The collection catalog with each datastream's observations as a collection of its own,
 * `{source collection}:{datastream upstream id}`. They are resolved on request and not listed in
 * /collections (a source can have thousands); /collections/{source collection}/datastreams pages
 * through them.
 */
export function datastreamCatalog(catalog: CollectionCatalog, store: SensorPorts, sensors: SensorService, ttlMs: number): CollectionCatalog {
  const cache = new Map<string, { value: Collection | null; until: number }>();

  async function resolve(id: string, collectionId: string, upstreamId: string): Promise<Collection | null> {
    const source = await catalog.get(collectionId);
    const sensorSource = source ? await sensors.sourceForCollection(source.key) : null;
    const summary = sensorSource ? await store.sensors.datastreamSummary(sensorSource.key, upstreamId) : null;
    return source && summary ? datastreamCollection(source, summary) : null;
  }

  return {
    list: () => catalog.list(),

    async get(id) {
      const ref = parseDatastreamCollectionId(id);
      if (!ref) return catalog.get(id);
      const now = Date.now();
      const hit = cache.get(id);
      if (hit && hit.until > now) return hit.value;
      const value = await resolve(id, ref.collectionId, ref.upstreamId);
      cache.delete(id);
      cache.set(id, { value, until: now + ttlMs });
      if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
      return value;
    },

    invalidate() {
      cache.clear();
      catalog.invalidate();
    },
  };
}

/** A page of a source collection's datastreams as collections, and how many there are; null when the collection holds no observations. */
export async function datastreamCollectionPage(store: SensorPorts, sensors: SensorService, source: Collection, limit: number, offset: number): Promise<{ collections: Collection[]; total: number } | null> {
  const sensorSource = await sensors.sourceForCollection(source.key);
  if (!sensorSource || parseDatastreamCollectionId(source.id)) return null;
  const { datastreams, total } = await store.sensors.datastreamSummaries(sensorSource.key, limit, offset);
  return { collections: datastreams.map((summary) => datastreamCollection(source, summary)), total };
}
