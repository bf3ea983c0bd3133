import type { Geometry } from 'geojson';
import type { DatastreamInfo, DatastreamSummary, SensorSourceInfo } from '../domain/datastream.js';
import type { ObservationRecord } from '../domain/observation.js';
import type { ChangePublisher } from '../services/ports/changes.js';
import type { PageChunk } from '../services/ports/rows.js';
import type { DatastreamDetail, LinkRepository, SensorStore, SeriesRow, StoredLink } from '../services/ports/sensor-ports.js';
import { collectionRepository } from './collection-repository.js';
import { isUniqueViolation, type Database } from './database.js';
import { geographyIndexSql, linkSql, type CandidateRow, type LinkRow } from './sql/link-sql.js';
import { observationSql } from './sql/observation-sql.js';
import { sensorSql, type DatastreamInfoRow, type SourceRow } from './sql/sensor-sql.js';

/** Chunks per fetch when streaming a page of observations. */
const PAGE_BATCH = 8;
/** Link changes after which the links table's planner statistics are refreshed. */
const ANALYZE_AFTER = 1000;
/** Rows deleted per retention statement (short statements, no long locks). */
const EXPIRE_BATCH = 10_000;

const toSource = (row: SourceRow): SensorSourceInfo => ({
  key: row.source_key,
  id: row.id,
  type: row.type,
  collectionKey: row.collection_key,
  retentionMs: row.retention_ms === null ? null : Number(row.retention_ms),
});

const toInfo = (row: DatastreamInfoRow): DatastreamInfo => ({
  key: row.datastream_key,
  id: row.id,
  upstreamId: row.upstream_id,
  sourceKey: row.source_key,
  sourceId: row.source_id,
  resultType: row.result_type,
  unit: row.unit,
});

const toLink = (row: LinkRow): StoredLink => ({
  linkId: row.link_id,
  datastreamKey: row.datastream_key,
  collectionKey: row.collection_key,
  assetId: row.asset_id,
  rule: row.rule,
  ruleKind: row.rule_kind,
  priority: row.priority,
  distanceM: row.distance_m,
  validFrom: row.valid_from,
  validTo: row.valid_to,
});

interface SummaryRow {
  datastream_key: number;
  id: string;
  upstream_id: string;
  name: string;
  description: string | null;
  observed_property: string | null;
  unit: string | null;
  observation_count: string;
  spatial_extent: [number, number, number, number] | null;
  geometry_types: string[];
  first_time: string | null;
  last_time: string | null;
}

const toSummary = (row: SummaryRow): DatastreamSummary => ({
  key: row.datastream_key,
  id: row.id,
  upstreamId: row.upstream_id,
  name: row.name,
  description: row.description,
  observedProperty: row.observed_property,
  unit: row.unit,
  observationCount: Number(row.observation_count),
  spatialExtent: row.spatial_extent,
  temporalExtent: row.first_time === null && row.last_time === null ? null : [row.first_time, row.last_time],
  geometryTypes: row.geometry_types,
});

interface PartitionRange {
  readonly lower: number;
  readonly upper: number;
}

/** No partition for a row's time (another process dropped one this process thought it had). */
const NO_PARTITION = '23514';

function linkRepository(db: Database, changes: ChangePublisher): LinkRepository {
  const prepared = new Set<number>();
  return {
    async candidates(sourceKey, collectionKey, rule, keys, places) {
      const query = linkSql.candidates(sourceKey, collectionKey, rule, keys, places ?? null);
      if (!query) return [];
      const rows = await db.query<CandidateRow>(query);
      return rows.map((row) => ({
        datastreamKey: row.datastream_key,
        collectionKey,
        assetId: row.asset_id,
        rule: rule.name,
        ruleKind: rule.kind,
        priority: rule.priority,
        distanceM: row.distance_m,
      }));
    },
    async pendingPlaces(sourceKey, keys) {
      const rows = await db.query<{ datastream_key: number; time: string }>(linkSql.pendingPlaces(sourceKey, keys));
      return rows.map((r) => ({ datastreamKey: r.datastream_key, time: r.time }));
    },
    async affectedByAssets(sourceKey, collectionKey, rules, since) {
      return (await db.query<{ datastream_key: number }>(linkSql.affectedByAssets(sourceKey, collectionKey, rules, since))).map((r) => r.datastream_key);
    },
    async unlinkedPlaceless(sourceKey, keys) {
      return new Set((await db.query<{ datastream_key: number }>(linkSql.unlinkedPlaceless(sourceKey, keys))).map((r) => r.datastream_key));
    },
    async placesLinked(places) {
      if (places.length) await db.query(linkSql.placesLinked(places));
    },
    async current(sourceKey, keys) {
      return (await db.query<LinkRow>(linkSql.current(sourceKey, keys))).map(toLink);
    },
    async apply(change) {
      if (!change.close.length && !change.open.length && !change.update.length) return;
      await db.transaction(async (tx) => {
        if (change.close.length) await tx.query(linkSql.close(change.close));
        if (change.update.length) await tx.query(linkSql.update(change.update));
        if (change.open.length) await tx.query(linkSql.open(change.open));
      });
      // Fresh statistics after a large change, so asset lookups get index plans right away.
      if (change.close.length + change.open.length >= ANALYZE_AFTER) await db.query(linkSql.analyze());
      const datastreamKeys = [...new Set([...change.close, ...change.open, ...change.update].map((l) => l.datastreamKey))];
      await changes.publish({ kind: 'links', datastreamKeys, opened: change.open.length, closed: change.close.length, updated: change.update.length });
    },
    async states(sourceKey) {
      const rows = await db.query<{ collection_key: number; data_version: string }>(linkSql.states(sourceKey));
      return new Map(rows.map((r) => [r.collection_key, Number(r.data_version)]));
    },
    async saveState(sourceKey, collectionKey, dataVersion) {
      await db.query(linkSql.saveState(sourceKey, collectionKey, dataVersion));
    },
    async nearby(collectionKey, geometry, within, limit) {
      const rows = await db.query<{ asset_id: string; distance_m: number; covers: boolean }>(linkSql.nearby(collectionKey, geometry, within, limit));
      return rows.map((r) => ({ assetId: r.asset_id, distanceM: r.distance_m, covers: r.covers }));
    },
    async measure(collectionKey, assetId, datastreamKey) {
      const [row] = await db.query<{ distance_m: number | null; covers: boolean; retired: boolean }>(linkSql.measure(collectionKey, assetId, datastreamKey));
      if (!row || row.retired) return null;
      return {
        distanceM: row.distance_m,
        covers: row.covers,
        assetValue: async (path) => {
          const [value] = await db.query<{ value: string | null }>(linkSql.assetValue(collectionKey, assetId, path.join('.')));
          return value?.value ?? null;
        },
      };
    },
    async history(filter) {
      return (await db.query<LinkRow>(linkSql.history(filter))).map(toLink);
    },
    async latestForAssets(collectionKey, assetIds) {
      const rows = await db.query<{ asset_id: string; datastream_id: string; name: string; value: unknown; unit: string | null; observed_at: string | null }>(
        linkSql.latestForAssets(collectionKey, assetIds),
      );
      return rows.map((r) => ({ assetId: r.asset_id, datastreamId: r.datastream_id, name: r.name, value: r.value, unit: r.unit, observedAt: r.observed_at }));
    },
    async periods(collectionKey, assetId) {
      const rows = await db.query<{ datastream_key: number; datastream_id: string; name: string; unit: string | null; valid_from: string; valid_to: string | null }>(linkSql.periods(collectionKey, assetId));
      return rows.map((r) => ({ datastreamKey: r.datastream_key, datastreamId: r.datastream_id, name: r.name, unit: r.unit, validFrom: r.valid_from, validTo: r.valid_to }));
    },
    async linkedCollections() {
      return (await db.query<{ collection_key: number }>(linkSql.linkedCollections())).map((r) => r.collection_key);
    },
    async prepareTarget(collectionKey) {
      if (prepared.has(collectionKey)) return;
      await db.query(geographyIndexSql(collectionKey));
      prepared.add(collectionKey);
    },
  };
}

/** The PostGIS implementation of the SensorStore port. */
export function sensorRepository(db: Database, options: { partitionGrain: 'day' | 'week' | 'month'; changes: ChangePublisher }): SensorStore {
  const changes = options.changes;
  let partitions: PartitionRange[] = [];
  const covered = (ms: number) => partitions.some((p) => ms >= p.lower && ms < p.upper);

  async function ensurePartition(instant: string): Promise<void> {
    const [row] = await db.query<{ lower_bound: Date; upper_bound: Date }>(observationSql.partition(instant, options.partitionGrain));
    partitions.push({ lower: row!.lower_bound.getTime(), upper: row!.upper_bound.getTime() });
  }

  /** Partitions are created before the write, each in its own short transaction (see the migration). */
  async function ensurePartitionsFor(records: readonly ObservationRecord[]): Promise<void> {
    for (const record of records) {
      if (!covered(record.phenomenonStartMs)) await ensurePartition(record.phenomenonTime);
    }
  }

  /**
   * A batch of new observations is bulk loaded with COPY (a fraction of the INSERT's cost); one
   * that repeats a stored observation fails the COPY, which is undone, and takes the INSERT that
   * skips duplicates. Without COPY (the embedded PostGIS) the INSERT does everything.
   */
  /** Stores a batch (COPY where it can, the insert that skips stored duplicates otherwise); the rows stored per datastream. */
  async function storeObservations(records: readonly ObservationRecord[]): Promise<Map<number, number>> {
    if (db.copies) {
      try {
        return await db.transaction(async (tx) => {
          await tx.copyFrom!(observationSql.copyBatch(), observationSql.copyRows(records));
          await tx.query(observationSql.afterCopy(records));
          const stored = new Map<number, number>();
          for (const r of records) stored.set(r.datastreamKey, (stored.get(r.datastreamKey) ?? 0) + 1);
          return stored;
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    const rows = await db.query<{ datastream_key: number; n: number }>(observationSql.insertBatch(records));
    return new Map(rows.map((r) => [r.datastream_key, r.n]));
  }

  /** Stores a batch and announces what it stored, once committed. */
  async function storeAndAnnounce(records: readonly ObservationRecord[]): Promise<number> {
    const stored = await storeObservations(records);
    let inserted = 0;
    for (const n of stored.values()) inserted += n;
    if (inserted > 0) await changes.publish({ kind: 'observations', datastreamKeys: [...stored.keys()], inserted });
    return inserted;
  }

  return {
    async saveSource(id, type, collection, retentionMs) {
      const { key } = await collectionRepository(db).save(collection);
      const [row] = await db.query<SourceRow>(sensorSql.upsertSource(id, type, key, retentionMs));
      return toSource(row!);
    },
    async sources() {
      return (await db.query<SourceRow>(sensorSql.listSources())).map(toSource);
    },
    async upsertDatastreams(sourceKey, records) {
      if (records.length === 0) return [];
      const taken = await db.query<{ id: string; source_id: string }>(sensorSql.takenIds(sourceKey, records.map((r) => r.id)));
      await db.query(sensorSql.upsertDatastreams(sourceKey, records));
      return taken.map((t) => ({ id: t.id, reason: `datastream id '${t.id}' is already used by the source '${t.source_id}'` }));
    },
    async datastreamsOfSource(sourceKey) {
      const rows = await db.query<DatastreamInfoRow & { harvested_until: string | null }>(sensorSql.infoForSource(sourceKey));
      return rows.map((row) => ({ ...toInfo(row), harvestedUntil: row.harvested_until }));
    },
    async datastreamsByIds(ids) {
      return ids.length ? (await db.query<DatastreamInfoRow>(sensorSql.infoByIds(ids))).map(toInfo) : [];
    },
    async datastreamsByUpstreamIds(sourceKey, upstreamIds) {
      return upstreamIds.length ? (await db.query<DatastreamInfoRow>(sensorSql.infoByUpstreamIds(sourceKey, upstreamIds))).map(toInfo) : [];
    },
    async datastreamDetail(id) {
      const [row] = await db.query<DatastreamInfoRow & { name: string; properties: Record<string, unknown>; thing: Record<string, unknown> | null; geometry: Geometry | null; location_time: string | null; harvested_until: string | null }>(
        sensorSql.detail(id),
      );
      if (!row) return null;
      const detail: DatastreamDetail = {
        ...toInfo(row),
        name: row.name,
        properties: row.properties,
        thing: row.thing,
        geometry: row.geometry,
        locationTime: row.location_time,
        harvestedUntil: row.harvested_until,
      };
      return detail;
    },
    async moveDatastreams(entries) {
      if (entries.length === 0) return [];
      return (await db.query<{ datastream_key: number }>(sensorSql.move(entries))).map((r) => r.datastream_key);
    },
    async replaceLocationHistory(entries) {
      if (entries.length === 0) return;
      const keys = [...new Set(entries.map((e) => e.key))];
      await db.transaction(async (tx) => {
        await tx.query(sensorSql.clearHistory(keys));
        await tx.query(sensorSql.writeHistory(entries));
      });
    },
    async datastreamSummary(sourceKey, upstreamId) {
      const [row] = await db.query<SummaryRow>(sensorSql.datastreamSummaries(sourceKey, { upstreamId }));
      return row ? toSummary(row) : null;
    },
    async datastreamSummaries(sourceKey, limit, offset) {
      const rows = await db.query<SummaryRow>(sensorSql.datastreamSummaries(sourceKey, { limit, offset }));
      const [count] = await db.query<{ n: number }>(sensorSql.datastreamCount(sourceKey));
      return { datastreams: rows.map(toSummary), total: count!.n };
    },
    async observedFeatures(datastreamKey, foiKeys) {
      if (foiKeys.length) await db.query(sensorSql.observedFeatures(datastreamKey, foiKeys));
    },
    async upsertFeaturesOfInterest(sourceKey, records) {
      if (records.length === 0) return new Map();
      const rows = await db.query<{ foi_key: number; upstream_id: string }>(sensorSql.upsertFeaturesOfInterest(sourceKey, records));
      return new Map(rows.map((r) => [r.upstream_id, r.foi_key]));
    },
    async setHarvestedUntil(entries) {
      if (entries.length) await db.query(sensorSql.setHarvestedUntil(entries));
    },
    async refreshSourceExtent(sourceKey) {
      await db.query(sensorSql.refreshSourceExtent(sourceKey));
    },
    async insertObservations(records) {
      if (records.length === 0) return { inserted: 0 };
      await ensurePartitionsFor(records);
      try {
        return { inserted: await storeAndAnnounce(records) };
      } catch (error) {
        if ((error as { code?: string }).code !== NO_PARTITION) throw error;
        partitions = [];
        await ensurePartitionsFor(records);
        return { inserted: await storeAndAnnounce(records) };
      }
    },
    streamObservationPage: (query) => db.stream<PageChunk>(observationSql.page(query), PAGE_BATCH, observationSql.pageChunkCount(query.limit)),
    async countObservations(query, cap, budgetMs) {
      const rows = await db.queryWithin<{ n: number }>(observationSql.cappedCount(query, cap), budgetMs);
      const n = rows?.[0]?.n ?? 0;
      return rows === null || n > cap ? null : n;
    },
    async datastreamSnapshot(datastreamKey) {
      const [row] = await db.query<{ total: string; version: string }>(observationSql.datastreamSnapshot(datastreamKey));
      return row ? { total: Number(row.total), version: Number(row.version) } : null;
    },
    async observationById(sourceKey, id, output) {
      const [row] = await db.query<{ json: string }>(observationSql.byPosition(sourceKey, id, output));
      return row?.json ?? null;
    },
    async series(query) {
      return db.query<SeriesRow>(observationSql.series(query));
    },
    async expireObservations(sourceKey, cutoff) {
      let total = 0;
      for (;;) {
        const [row] = await db.query<{ deleted: number }>(observationSql.expire(sourceKey, cutoff, EXPIRE_BATCH));
        total += row!.deleted;
        if (row!.deleted < EXPIRE_BATCH) return total;
      }
    },
    async ensurePartitions(from, to) {
      const step = 86_400_000;
      for (let t = from.getTime(); t <= to.getTime(); t += step) {
        if (!covered(t)) await ensurePartition(new Date(t).toISOString());
      }
    },
    async dropEmptyPartitions(before) {
      const dropped: string[] = [];
      const rows = await db.query<{ partition_name: string }>(observationSql.emptyPartitionsBefore(before.toISOString()));
      for (const { partition_name: name } of rows) {
        const removed = await db.transaction(async (tx) => {
          const [busy] = await tx.query<{ any: boolean }>(observationSql.partitionHasRows(name));
          if (busy!.any) return false;
          await tx.query(observationSql.dropPartition(name));
          await tx.query(observationSql.forgetPartition(name));
          return true;
        });
        if (removed) dropped.push(name);
      }
      if (dropped.length) partitions = [];
      return dropped;
    },
    links: linkRepository(db, changes),
  };
}
