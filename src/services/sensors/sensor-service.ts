import type { SensorSourceInfo } from '../../domain/datastream.js';
import { ConfigurationError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import { explainLink, followMoves, linksStale, refreshAssetLinks, refreshLinks, type LinkExplanation, type LinkRefreshSummary } from './link-assets.js';
import type { ChangeFeed } from '../ports/changes.js';
import type { SensorPorts } from '../ports/sensor-ports.js';
import { recordObservations, type IncomingObservation, type RecordOutcome } from './record-observations.js';
import { datastreamDirectory, registerSensorMapping, type DatastreamDirectory, type SensorMapping } from './sensor-registry.js';

/** Live counters of one push feed (an MQTT subscription), for /admin/feeds. */
export interface FeedStatus {
  readonly mapping: string;
  readonly type: 'mqtt';
  readonly connected: boolean;
  readonly received: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly malformed: number;
  /** Batch writes that failed (retried; their messages stay unacknowledged meanwhile). */
  readonly failedWrites: number;
  /** Messages received and not yet stored (at most the window). */
  readonly pending: number;
  readonly reconnects: number;
  /** The last problems, newest last: topic and reason. */
  readonly recentProblems: readonly { readonly at: string; readonly topic: string; readonly reason: string }[];
}

/** How long the list of sensor sources is cached for routing collections. */
const SOURCE_TTL_MS = 2000;

export interface SensorServiceOptions {
  readonly maxFutureMs: number;
  /** How far ahead of now partitions exist (the maintenance job creates them). */
  readonly partitionsAheadMs?: number;
  /** Committed changes: the links follow assets that harvests, imports and writes change. */
  readonly changes?: ChangeFeed;
}

/**
 * The sensor side of the service: the loaded sensor mappings and their sources, recording
 * observations (with link refreshes for datastreams that moved), and the maintenance that keeps
 * partitions ahead, retention and links current.
 */
export interface SensorService {
  readonly mappings: readonly SensorMapping[];
  /** Registers every sensor mapping (source rows, observation collections, declared datastreams). */
  prepare(): Promise<void>;
  source(mappingId: string): SensorSourceInfo | null;
  /** The sensor source whose observations a collection serves, if any (any source in the database, not only loaded mappings). */
  sourceForCollection(collectionKey: number): Promise<SensorSourceInfo | null>;
  readonly directory: DatastreamDirectory;
  record(batch: readonly IncomingObservation[]): Promise<RecordOutcome>;
  refreshLinks(mappingId: string): Promise<LinkRefreshSummary>;
  /** Why an asset and a datastream are linked, or not. */
  explainLink(request: { collectionId: string; assetId: string; datastreamId: string }): Promise<LinkExplanation>;
  /**
   * After a harvest or an import committed changes to an asset collection (features updated since
   * `since`): the links of the sensor sources whose rules target it follow those assets.
   */
  assetsChanged(collectionId: string, since: string): Promise<{ mapping: string; summary: LinkRefreshSummary }[]>;
  /** One round of maintenance: partitions ahead, retention, stale links. */
  maintain(): Promise<void>;
  registerFeed(status: () => FeedStatus): void;
  feeds(): FeedStatus[];
}

export function sensorService(store: SensorPorts, mappings: readonly SensorMapping[], logger: Logger, options: SensorServiceOptions): SensorService {
  const sources = new Map<string, SensorSourceInfo>();
  const directory = datastreamDirectory(store);
  const feeds: (() => FeedStatus)[] = [];
  const byId = new Map(mappings.map((m) => [m.id, m]));
  let pendingMoves = new Map<string, Set<number>>();
  let moving: Promise<void> | null = null;
  let known: { sources: SensorSourceInfo[]; until: number } | null = null;

  const rules = (sourceId: string) => byId.get(sourceId)?.observations ?? { withoutZone: 'reject', oddOffsets: 'normalise' };

  async function refreshMoved(): Promise<void> {
    while (pendingMoves.size) {
      const batch = pendingMoves;
      pendingMoves = new Map();
      for (const [mappingId, keys] of batch) {
        const mapping = byId.get(mappingId);
        const source = sources.get(mappingId);
        if (!mapping || !source || mapping.links.length === 0) continue;
        await followMoves(store, mapping, source, [...keys]);
      }
    }
  }

  const service: SensorService = {
    mappings,
    directory,

    async prepare() {
      for (const mapping of mappings) {
        const { source, rejected } = await registerSensorMapping(store, mapping);
        sources.set(mapping.id, source);
        for (const r of rejected) logger.warn({ mapping: mapping.id, datastream: r.id }, r.reason);
      }
      directory.invalidate();
      known = null;
    },

    source: (mappingId) => sources.get(mappingId) ?? null,

    async sourceForCollection(collectionKey) {
      const now = Date.now();
      if (!known || known.until <= now) known = { sources: await store.sensors.sources(), until: now + SOURCE_TTL_MS };
      return known.sources.find((s) => s.collectionKey === collectionKey) ?? null;
    },

    async record(batch) {
      const outcome = await recordObservations(store, batch, { rules, maxFutureMs: options.maxFutureMs });
      if (outcome.moved.length) {
        const moved = new Set(outcome.moved);
        for (const item of batch) {
          if (!item.datastream || !moved.has(item.datastream.key)) continue;
          const keys = pendingMoves.get(item.datastream.sourceId) ?? new Set<number>();
          keys.add(item.datastream.key);
          pendingMoves.set(item.datastream.sourceId, keys);
        }
        moving ??= refreshMoved()
          .catch((error: unknown) => logger.warn({ err: error }, 'links of moved datastreams could not be refreshed; the maintenance job retries'))
          .finally(() => {
            moving = null;
          });
      }
      return outcome;
    },

    async refreshLinks(mappingId) {
      const mapping = byId.get(mappingId);
      const source = sources.get(mappingId);
      if (!mapping || !source) throw new ConfigurationError(`no sensor mapping '${mappingId}' is prepared`);
      return refreshLinks(store, mapping, source);
    },

    explainLink: (request) => explainLink(store, mappings, request),

    async assetsChanged(collectionId, since) {
      const linking = mappings.filter((m) => m.links.some((rule) => rule.collection === collectionId));
      const collection = linking.length ? await store.collections.get(collectionId) : null;
      if (!collection) return [];
      const stored = await store.sensors.sources();
      const done: { mapping: string; summary: LinkRefreshSummary }[] = [];
      for (const mapping of linking) {
        // A source never registered has no links yet; its first refresh links everything.
        const source = sources.get(mapping.id) ?? stored.find((s) => s.id === mapping.id);
        if (!source) continue;
        const summary = await refreshAssetLinks(store, mapping, source, collection, since);
        if (summary.opened + summary.closed + summary.updated) logger.info({ mapping: mapping.id, collection: collectionId, ...summary }, 'asset links follow the changed assets');
        done.push({ mapping: mapping.id, summary });
      }
      return done;
    },

    async maintain() {
      const now = Date.now();
      await store.sensors.ensurePartitions(new Date(now - 86_400_000), new Date(now + (options.partitionsAheadMs ?? 40 * 86_400_000)));
      let oldestCutoff: number | null = null;
      for (const mapping of mappings) {
        const source = sources.get(mapping.id);
        if (!source) continue;
        if (mapping.observations.retentionMs !== null) {
          const cutoff = now - mapping.observations.retentionMs;
          const deleted = await store.sensors.expireObservations(source.key, new Date(cutoff).toISOString());
          if (deleted) logger.info({ mapping: mapping.id, deleted }, 'observations past their retention deleted');
        }
        const cutoff = mapping.observations.retentionMs === null ? null : now - mapping.observations.retentionMs;
        oldestCutoff = cutoff === null ? oldestCutoff : Math.min(oldestCutoff ?? cutoff, cutoff);
        if (mapping.links.length === 0) continue;
        // Stale assets: everything; else only moves a refresh after a write may have missed.
        const summary = (await linksStale(store, mapping, source)) ? await refreshLinks(store, mapping, source) : await followMoves(store, mapping, source, null);
        if (summary.opened + summary.closed + summary.updated) logger.info({ mapping: mapping.id, ...summary }, 'asset links refreshed');
      }
      if (oldestCutoff !== null) {
        const dropped = await store.sensors.dropEmptyPartitions(new Date(oldestCutoff));
        if (dropped.length) logger.info({ dropped }, 'empty observation partitions dropped');
      }
      await moving;
    },

    registerFeed(status) {
      feeds.push(status);
    },

    feeds: () => feeds.map((status) => status()),
  };

  options.changes?.subscribe(async (change) => {
    if (change.kind !== 'features' || change.inserted + change.updated + change.retired + change.purged === 0) return;
    await service.assetsChanged(change.collectionId, change.since).catch((error: unknown) => logger.warn({ err: error, collection: change.collectionId }, 'asset links could not follow the changed assets; the sensor maintenance job catches up'));
  });
  return service;
}
