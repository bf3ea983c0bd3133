import type { Collection } from '../domain/collection.js';
import { parseDatastreamCollectionId, type DatastreamInfo, type SensorSourceInfo } from '../domain/datastream.js';
import { CollectionNotFoundError } from '../domain/errors.js';
import { featureQueryService, readParts, type CountOptions, type FeatureQueryService } from './features/query-features.js';
import type { PageSource } from './ports/feature-ports.js';
import type { LinkRepository } from './ports/sensor-ports.js';
import type { SensorReads } from './sensors/sensor-reads.js';
import type { SensorService } from './sensors/sensor-service.js';

/** Query services of observation collections kept at most (each is cheap to make again). */
const CACHED_SERVICES = 1000;

export interface CollectionQueryOptions extends CountOptions {
  /** How long the set of collections with linked datastreams is cached. */
  readonly linkedTtlMs: number;
}

export interface CollectionQuerySources {
  /** Feature collections' items. */
  readonly features: PageSource;
  readonly links: Pick<LinkRepository, 'linkedCollections'>;
  readonly sensors: SensorService;
  readonly reads: SensorReads;
}

/**
 * The query service of every collection: feature collections read from the feature store, their
 * features carrying the latest values of linked datastreams where the collection has links;
 * observation collections (a source's, or one datastream's) read through the sensor read service,
 * as point features in (datastream, time) order.
 */
export function collectionQueryService(sources: CollectionQuerySources, options: CollectionQueryOptions): FeatureQueryService {
  const features = featureQueryService(sources.features, options);
  const perSource = new Map<string, FeatureQueryService>();
  let linked: { keys: Set<number>; until: number } | null = null;

  async function linkedCollections(): Promise<Set<number>> {
    const now = Date.now();
    if (linked && linked.until > now) return linked.keys;
    linked = { keys: new Set(await sources.links.linkedCollections()), until: now + options.linkedTtlMs };
    return linked.keys;
  }

  /** The datastream a collection of one datastream serves; null for a source's own observation collection. */
  async function datastreamOf(source: SensorSourceInfo, collection: Collection): Promise<DatastreamInfo | null> {
    const ref = parseDatastreamCollectionId(collection.id);
    if (!ref) return null;
    const info = (await sources.sensors.directory.byUpstreamIds(source.key, [ref.upstreamId])).get(ref.upstreamId);
    if (!info) throw new CollectionNotFoundError(collection.id);
    return info;
  }

  function observations(source: SensorSourceInfo, datastream: DatastreamInfo | null): FeatureQueryService {
    const key = `${source.key}/${datastream?.key ?? ''}`;
    const existing = perSource.get(key);
    if (existing) return existing;
    const service = featureQueryService(sources.reads.observationPages(source, datastream), options);
    if (perSource.size >= CACHED_SERVICES) perSource.delete(perSource.keys().next().value!);
    perSource.set(key, service);
    return service;
  }

  const service: FeatureQueryService = {
    parts: (collection, request) => readParts((partsRequest) => service.page(collection, partsRequest), request),

    async page(collection, request, links) {
      const source = await sources.sensors.sourceForCollection(collection.key);
      if (source) return observations(source, await datastreamOf(source, collection)).page(collection, request);
      return features.page(collection, request, links && (await linkedCollections()).has(collection.key) ? links : undefined);
    },

    async feature(collection, id, output, links) {
      const source = await sources.sensors.sourceForCollection(collection.key);
      if (source) return observations(source, await datastreamOf(source, collection)).feature(collection, id, output);
      return features.feature(collection, id, output, links && (await linkedCollections()).has(collection.key) ? links : undefined);
    },
  };
  return service;
}
