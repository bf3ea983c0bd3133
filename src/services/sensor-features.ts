import type { Collection } from '../domain/collection.js';
import { parseDatastreamCollectionId, type DatastreamInfo, type SensorSourceInfo } from '../domain/datastream.js';
import { CollectionNotFoundError, InvalidParameterError } from '../domain/errors.js';
import { parseObservationSeq } from '../domain/observation.js';
import type { FeaturePageQuery, FeatureSelection } from '../domain/query.js';
import type { Store } from './ports.js';
import { featureQueryService, type CountOptions, type FeatureQueryService } from './query-features.js';
import type { ObservationPageQuery } from './sensor-ports.js';
import type { SensorService } from './sensor-service.js';

/** Query services of datastream collections kept at most (each is cheap to make again). */
const CACHED_SERVICES = 1000;

/** The queryable of observation collections: `datastream=<id>`. */
export const DATASTREAM_QUERYABLE = 'datastream';

export interface SensorQueryOptions extends CountOptions {
  /** How long the set of collections with linked datastreams is cached. */
  readonly linkedTtlMs: number;
}

/**
 * The features API's query service, aware of sensors: observation collections (a source's, or one
 * datastream's) are read from the observation table (point features in (datastream, time) order,
 * `datetime` on the time index), and
 * features of collections with linked datastreams carry those datastreams' latest values. Every
 * other collection takes exactly the plain feature path.
 */
export function sensorAwareQueries(store: Store, sensors: SensorService, options: SensorQueryOptions): FeatureQueryService {
  const plain = featureQueryService(store, options);
  const perSource = new Map<string, FeatureQueryService>();
  let linked: { keys: Set<number>; until: number } | null = null;

  async function linkedCollections(): Promise<Set<number>> {
    const now = Date.now();
    if (linked && linked.until > now) return linked.keys;
    linked = { keys: new Set(await store.sensors.links.linkedCollections()), until: now + options.linkedTtlMs };
    return linked.keys;
  }

  async function datastreamKeys(source: SensorSourceInfo, selection: FeatureSelection): Promise<number[] | null> {
    const wanted = selection.equalities.filter((e) => e.name === DATASTREAM_QUERYABLE).map((e) => String(e.value));
    if (wanted.length === 0) return null;
    const found = await sensors.directory.byIds(wanted);
    return [...found.values()].filter((d) => d.sourceKey === source.key).map((d) => d.key);
  }

  /** Observation collections are read by datastream, time and place; CQL2 filters and sorting are for feature collections. */
  function supported(selection: FeatureSelection, order: FeaturePageQuery['order'] = []): void {
    if (selection.filter) throw new InvalidParameterError('filter', 'observation collections are filtered with datastream=, datetime and bbox only, not with CQL2');
    if (order.length) throw new InvalidParameterError('sortby', 'observation collections come in (datastream, time) order; sortby is not supported here');
  }

  /** The datastream a collection of one datastream serves; null for a source's own observation collection. */
  async function datastreamOf(source: SensorSourceInfo, collection: Collection): Promise<DatastreamInfo | null> {
    const ref = parseDatastreamCollectionId(collection.id);
    if (!ref) return null;
    const info = (await sensors.directory.byUpstreamIds(source.key, [ref.upstreamId])).get(ref.upstreamId);
    if (!info) throw new CollectionNotFoundError(collection.id);
    return info;
  }

  async function observationQuery(source: SensorSourceInfo, datastream: DatastreamInfo | null, query: FeaturePageQuery): Promise<ObservationPageQuery> {
    supported(query, query.order);
    const position = query.position;
    if ((position.kind === 'after' || position.kind === 'before') && !parseObservationSeq(position.seq)) {
      throw new InvalidParameterError('cursor', 'cursor is not one this collection issued; follow the next/prev links of a response');
    }
    return {
      collectionKey: query.collectionKey,
      countedDatastream: datastream?.key ?? null,
      sourceKey: source.key,
      datastreamKeys: datastream ? [datastream.key] : await datastreamKeys(source, query),
      time: query.time,
      envelopes: query.envelopes,
      position,
      limit: query.limit,
      output: query.output,
    };
  }

  /** A feature query service whose store reads a source's observations (all, or one datastream's). */
  function observationsOf(source: SensorSourceInfo, datastream: DatastreamInfo | null): FeatureQueryService {
    const key = `${source.key}/${datastream?.key ?? ''}`;
    const existing = perSource.get(key);
    if (existing) return existing;
    const observationStore: Store = {
      ...store,
      streamPage: async (query) => store.sensors.streamObservationPage(await observationQuery(source, datastream, query)),
      snapshot: async (collectionKey) => (datastream ? store.sensors.datastreamSnapshot(datastream.key) : store.snapshot(collectionKey)),
      countFeatures: async (selection, cap, budgetMs) => {
        supported(selection);
        const keys = datastream ? [datastream.key] : await datastreamKeys(source, selection);
        return store.sensors.countObservations({ sourceKey: source.key, datastreamKeys: keys, time: selection.time, envelopes: selection.envelopes }, cap, budgetMs);
      },
      features: {
        ...store.features,
        byId: async (_collectionKey, id, output) => {
          const position = parseObservationSeq(id);
          if (!position || (datastream && position.datastreamKey !== datastream.key)) return null;
          const json = await store.sensors.observationById(source.key, id, output);
          return json === null ? null : { seq: id, json };
        },
      },
    };
    const service = featureQueryService(observationStore, options);
    if (perSource.size >= CACHED_SERVICES) perSource.delete(perSource.keys().next().value!);
    perSource.set(key, service);
    return service;
  }

  return {
    async page(collection: Collection, request, context) {
      const source = await sensors.sourceForCollection(collection.key);
      if (source) return observationsOf(source, await datastreamOf(source, collection)).page(collection, request, context);
      if (context && (await linkedCollections()).has(collection.key)) return plain.page(collection, { ...request, linkedValues: { baseUrl: context.baseUrl } }, context);
      return plain.page(collection, request, context);
    },

    async feature(collection, id, output, context) {
      const source = await sensors.sourceForCollection(collection.key);
      if (source) return observationsOf(source, await datastreamOf(source, collection)).feature(collection, id, output, context);
      const withValues = context !== undefined && (await linkedCollections()).has(collection.key);
      return plain.feature(collection, id, output, context ? { ...context, linkedValues: withValues } : undefined);
    },
  };
}
