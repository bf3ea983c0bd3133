import type { Collection } from '../../domain/collection.js';
import { spanOverlaps, type DatastreamInfo, type SensorSourceInfo } from '../../domain/datastream.js';
import { InvalidParameterError } from '../../domain/errors.js';
import { parseObservationSeq } from '../../domain/observation.js';
import type { FeaturePageQuery, FeatureSelection, TimeInterval } from '../../domain/query.js';
import type { PageSource } from '../ports/feature-ports.js';
import type { ObservationPageQuery, SensorPorts, SeriesBucket, SeriesValue } from '../ports/sensor-ports.js';
import { datastreamCollectionPage } from './datastream-collections.js';
import type { SensorService } from './sensor-service.js';

/** The queryable of observation collections: `datastream=<id>`. */
export const DATASTREAM_QUERYABLE = 'datastream';

export interface AssetSeriesQuery {
  /** Datastream ids; null: every datastream linked to the asset within `time`. */
  readonly datastreams: readonly string[] | null;
  readonly time: TimeInterval | null;
  /** null: the observations themselves. */
  readonly bucket: SeriesBucket | null;
  /** Values in all. */
  readonly limit: number;
}

export interface AssetSeries {
  readonly datastreams: readonly { readonly id: string; readonly name: string; readonly unit: string | null; readonly values: readonly SeriesValue[] }[];
  /** More values exist than `limit`. */
  readonly truncated: boolean;
}

/**
 * Reading the sensor side: observations as pages of an observation collection, the time series of
 * the datastreams linked to an asset, and a source's datastreams as collections. Every API reads
 * observations through here.
 */
export interface SensorReads {
  /** The items of an observation collection: a source's observations, or one datastream's. */
  observationPages(source: SensorSourceInfo, datastream: DatastreamInfo | null): PageSource;
  /** null: the asset neither exists nor ever had a linked datastream. */
  assetSeries(collection: Collection, assetId: string, query: AssetSeriesQuery): Promise<AssetSeries | null>;
  /** A page of a source collection's datastreams as collections; null when the collection holds no observations. */
  datastreamCollections(source: Collection, limit: number, offset: number): Promise<{ collections: Collection[]; total: number } | null>;
}

/** Observation collections are read by datastream, time and place; CQL2 filters and sorting are for feature collections. */
function supported(selection: FeatureSelection, order: FeaturePageQuery['order'] = []): void {
  if (selection.filter) throw new InvalidParameterError('filter', 'observation collections are filtered with datastream=, datetime and bbox only, not with CQL2');
  if (order.length) throw new InvalidParameterError('sortby', 'observation collections come in (datastream, time) order; sortby is not supported here');
}

export function sensorReads(store: SensorPorts & { readonly pages: Pick<PageSource, 'snapshot' | 'byId'> }, sensors: SensorService): SensorReads {
  async function datastreamKeys(source: SensorSourceInfo, selection: FeatureSelection): Promise<number[] | null> {
    const wanted = selection.equalities.filter((e) => e.name === DATASTREAM_QUERYABLE).map((e) => String(e.value));
    if (wanted.length === 0) return null;
    const found = await sensors.directory.byIds(wanted);
    return [...found.values()].filter((d) => d.sourceKey === source.key).map((d) => d.key);
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

  return {
    observationPages(source, datastream) {
      return {
        streamPage: async (query) => store.sensors.streamObservationPage(await observationQuery(source, datastream, query)),
        snapshot: async (collectionKey) => (datastream ? store.sensors.datastreamSnapshot(datastream.key) : store.pages.snapshot(collectionKey)),
        async countFeatures(selection, cap, budgetMs) {
          supported(selection);
          const keys = datastream ? [datastream.key] : await datastreamKeys(source, selection);
          return store.sensors.countObservations({ sourceKey: source.key, datastreamKeys: keys, time: selection.time, envelopes: selection.envelopes }, cap, budgetMs);
        },
        async byId(_collectionKey, id, output) {
          const position = parseObservationSeq(id);
          if (!position || (datastream && position.datastreamKey !== datastream.key)) return null;
          const json = await store.sensors.observationById(source.key, id, output);
          return json === null ? null : { seq: id, json };
        },
      };
    },

    async assetSeries(collection, assetId, query) {
      // Every link the asset had: a datastream's observations count for it while it was linked.
      const periods = await store.sensors.links.periods(collection.key, assetId);
      if (periods.length === 0 && (await store.pages.byId(collection.key, assetId, { srid: 4326, swapAxes: false, decimals: 0, properties: [] })) === null) return null;
      const unknown = query.datastreams?.filter((id) => !periods.some((p) => p.datastreamId === id)) ?? [];
      if (unknown.length) throw new InvalidParameterError('datastream', `not linked to ${collection.id}/${assetId}: ${unknown.join(', ')}`);
      const within = periods.filter((p) => (query.datastreams ? query.datastreams.includes(p.datastreamId) : spanOverlaps(p, query.time)));
      const chosen = [...new Map(within.map((p) => [p.datastreamId, p])).values()];
      const rows = within.length
        ? await store.sensors.series({ periods: within.map((p) => ({ datastreamKey: p.datastreamKey, from: p.validFrom, to: p.validTo })), time: query.time, bucket: query.bucket, limit: query.limit })
        : [];
      const byKey = new Map<number, SeriesValue[]>();
      for (const { datastreamKey, ...value } of rows) (byKey.get(datastreamKey) ?? byKey.set(datastreamKey, []).get(datastreamKey)!).push(value);
      return {
        datastreams: chosen.map((c) => ({ id: c.datastreamId, name: c.name, unit: c.unit, values: byKey.get(c.datastreamKey) ?? [] })),
        truncated: rows.length >= query.limit,
      };
    },

    datastreamCollections: (source, limit, offset) => datastreamCollectionPage(store, sensors, source, limit, offset),
  };
}
