import type { Geometry, Position } from 'geojson';
import { countedWrites } from '../../src/db/feature-changes.js';
import { NO_HARVEST_INFO, type Collection, type CollectionDefinition, type CollectionHarvestInfo, type Queryable } from '../../src/domain/collection.js';
import { HarvestRunningError, InvariantError } from '../../src/domain/errors.js';
import type { FeatureRecord, WriteSummary } from '../../src/domain/feature.js';
import type { HarvestRun } from '../../src/domain/harvest-run.js';
import type { Envelope, FeatureOutput, FeaturePageQuery, FeatureSelection } from '../../src/domain/query.js';
import type { ChangePublisher } from '../../src/services/ports/changes.js';
import type { CollectionRepository, FeatureRepository, HarvestSession, PageSource, Repositories } from '../../src/services/ports/feature-ports.js';
import type { FeatureRow, PageChunk, RowStream } from '../../src/services/ports/rows.js';
import type { RunRepository } from '../../src/services/ports/run-ports.js';
import type { LinkRepository, SensorStore } from '../../src/services/ports/sensor-ports.js';
import type { Store } from '../../src/services/ports/store.js';
import type { SubscriptionStore } from '../../src/services/ports/subscription-ports.js';

/**
 * An in-memory Store for unit tests of services and handlers (the fake store of STYLE.md's testing
 * habits). It mirrors the PostGIS store where the services depend on it:
 *
 * - pages in the default `seq` order as src/db/sql/feature-sql.ts builds them: chunks of 250
 *   features, one chunk for limits up to 250, the row past the page read to tell `more` (a marker
 *   chunk of its own in the chunked form), chunks in ascending `seq` order for `before` pages too,
 *   and the collection's count and data version as they were when the page was read;
 * - the collection count, extents and data version change only in refreshStats, as in the catalog;
 * - batch upserts with their outcomes and rejection texts (src/db/feature-repository.ts), retired
 *   features brought back, "unchanged" decided by the same content digest (geometry, properties,
 *   times and versionId as the records carry them);
 * - transactions that commit only when their work resolves, the per-collection harvest lock, and
 *   the change events counted by src/db/feature-changes.ts, published after the commit.
 *
 * What it deliberately does not do, each refused with an InvariantError that says so where a caller
 * could ask for it: CQL2 filters, sort keys, output in another CRS, axis order or precision than the
 * stored representation, linked sensor values, bbox in another CRS, and the sensor side (beyond an
 * empty list of sources and of linked collections). It does not check geometry validity either: every
 * geometry is stored as given, so nothing is ever repaired or refused as invalid. A box selects a
 * point by its coordinates, exactly as PostGIS does, but any other geometry by the overlap of its
 * bounding box with the box (a superset of ST_Intersects). Counting has no time budget, and
 * `fresh` inserts take the checking path (their outcomes are the same).
 *
 * Known differences in form: the GeoJSON text is JSON.stringify's (jsonb's text has a space after
 * each ':' and ','; the key order is jsonb's), collections are listed in code unit order rather than
 * the database's collation, extents are exact doubles where PostGIS may round a cached box outward,
 * and a transaction that writes a collection another one committed since fails at its commit where
 * PostgreSQL would have made it wait for the row locks.
 */

export interface FakeStoreOptions {
  /** Where committed changes are announced. */
  readonly changes?: ChangePublisher;
  /** The time of `now()`; a transaction reads it once, when it begins. */
  readonly clock?: () => Date;
}

/** A stored feature as a test would read it from the `feature` table. */
export interface StoredFeatureView {
  readonly seq: string;
  readonly id: string;
  readonly namespace: string;
  readonly localId: string;
  readonly versionId: string | null;
  readonly ngsiLdId: string | null;
  readonly geometry: Geometry | null;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly timeStart: string | null;
  readonly timeEnd: string | null;
  readonly retiredAt: string | null;
  readonly updatedAt: string;
}

export interface FakeStore extends Store {
  /** Every feature of a collection as committed, retired ones included, in `seq` order; [] for an unknown collection. */
  storedFeatures(collectionId: string): StoredFeatureView[];
  /** Page streams opened and neither read to the end nor closed (a connection each on PostgreSQL). */
  openCursors(): number;
}

// ---------------------------------------------------------------- stored values

interface StoredFeature {
  readonly seq: number;
  readonly id: string;
  readonly namespace: string;
  readonly localId: string;
  readonly versionId: string | null;
  readonly ngsiLdId: string | null;
  /** As ST_GeomFromGeoJSON keeps it: the type and its coordinates (or members), nothing else. */
  readonly geometry: Geometry | null;
  /** As jsonb keeps it (see jsonbValue). */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly timeStart: string | null;
  readonly timeEnd: string | null;
  readonly startMs: number | null;
  readonly endMs: number | null;
  readonly contentHash: string;
  readonly retiredAt: string | null;
  readonly updatedAt: string;
  /** [minX, minY, maxX, maxY]; null without geometry or for an empty one. */
  readonly box: readonly [number, number, number, number] | null;
  /** The stored representation (migration 0012): CRS84, 8 decimals, all properties. */
  readonly geojson: string;
}

interface CollectionRow {
  readonly key: number;
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly keywords: readonly string[];
  readonly license: string | null;
  readonly attribution: string | null;
  readonly sourceSrid: number;
  readonly inspireNamespace: string;
  readonly featureCount: number;
  readonly spatialExtent: readonly [number, number, number, number] | null;
  readonly temporalStart: string | null;
  readonly temporalEnd: string | null;
  /** PostGIS names (ST_Point …), in the order array_agg(DISTINCT …) gives them. */
  readonly geometryTypes: readonly string[];
  readonly queryables: Readonly<Record<string, Queryable>>;
  readonly dataVersion: number;
  readonly harvest: CollectionHarvestInfo;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A collection's catalog row and its partition of `feature`. Committed states are never changed, only replaced. */
interface CollectionState {
  row: CollectionRow;
  readonly features: Map<string, StoredFeature>;
}

const GEOMETRY_TYPE_NAMES: Record<string, string> = {
  ST_Point: 'Point',
  ST_LineString: 'LineString',
  ST_Polygon: 'Polygon',
  ST_MultiPoint: 'MultiPoint',
  ST_MultiLineString: 'MultiLineString',
  ST_MultiPolygon: 'MultiPolygon',
  ST_GeometryCollection: 'GeometryCollection',
};

const PAGE_CHUNK_ROWS = 250;
/** Chunks per fetch of a page stream (src/db/feature-pages.ts). */
const PAGE_BATCH = 8;

const unsupported = (what: string) => new InvariantError(`the fake store does not evaluate ${what}; test it against PostGIS (test/integration)`);

/** jsonb orders an object's keys by their length in bytes, then bytewise, at every level. */
function jsonbKeyOrder(a: string, b: string): number {
  return Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A JSON value as a jsonb column gives it back: object keys in jsonb's order. */
function jsonbValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonbValue);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => jsonbKeyOrder(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, jsonbValue(v)]));
  }
  return value;
}

/** What storing in a jsonb column and reading back makes of a value (JSON text first: undefined members go, dates become text). */
function asJsonb<T>(value: T): T {
  return jsonbValue(JSON.parse(JSON.stringify(value))) as T;
}

/** RFC 3339 in UTC with as many fraction digits as the instant has (placelink_rfc3339). */
function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}${date.toISOString().slice(19, 23).replace(/\.?0+$/, '')}Z`;
}

/** to_char(… 'YYYY-MM-DD"T"HH24:MI:SS"Z"'): whole seconds. */
const toSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A timestamptz parameter: text PostgreSQL would refuse fails the statement. */
function instant(text: string | null, column: string): number | null {
  if (text === null) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`invalid input syntax for type timestamp with time zone: "${text}" (feature.${column})`);
  return ms;
}

/** ST_GeomFromGeoJSON keeps a geometry's type and coordinates (X, Y and Z), nothing else. */
function storedGeometry(geometry: Geometry | null): Geometry | null {
  if (geometry === null) return null;
  if (geometry.type === 'GeometryCollection') return { type: 'GeometryCollection', geometries: geometry.geometries.map((g) => storedGeometry(g)!) };
  const trim = (value: unknown): unknown => (typeof value === 'number' ? value : Array.isArray(value) && typeof value[0] === 'number' ? (value as Position).slice(0, 3) : (value as unknown[]).map(trim));
  if (!['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'].includes(geometry.type)) {
    throw new Error(`unknown GeoJSON type '${(geometry as { type: string }).type}'`);
  }
  return { type: geometry.type, coordinates: trim(geometry.coordinates) } as Geometry;
}

/** ST_AsGeoJSON(geom, 8, 0): coordinates rounded to 8 decimals. */
function roundedGeometry(geometry: Geometry): Geometry {
  if (geometry.type === 'GeometryCollection') return { type: 'GeometryCollection', geometries: geometry.geometries.map(roundedGeometry) };
  const round = (value: unknown): unknown => (typeof value === 'number' ? Number(value.toFixed(8)) || 0 : (value as unknown[]).map(round));
  return { type: geometry.type, coordinates: round(geometry.coordinates) } as Geometry;
}

function positions(geometry: Geometry): Position[] {
  switch (geometry.type) {
    case 'Point':
      return geometry.coordinates.length ? [geometry.coordinates] : [];
    case 'MultiPoint':
    case 'LineString':
      return geometry.coordinates;
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates.flat();
    case 'MultiPolygon':
      return geometry.coordinates.flat(2);
    case 'GeometryCollection':
      return geometry.geometries.flatMap(positions);
  }
}

/** The box covering boxes (or points as degenerate boxes); null for none. */
function cover(boxes: Iterable<readonly [number, number, number, number]>): [number, number, number, number] | null {
  let box: [number, number, number, number] | null = null;
  for (const [minX, minY, maxX, maxY] of boxes) {
    box = box ? [Math.min(box[0], minX), Math.min(box[1], minY), Math.max(box[2], maxX), Math.max(box[3], maxY)] : [minX, minY, maxX, maxY];
  }
  return box;
}

function boundingBox(geometry: Geometry | null): [number, number, number, number] | null {
  return geometry === null ? null : cover(positions(geometry).map((p) => [p[0]!, p[1]!, p[0]!, p[1]!] as const));
}

/** The digest a harvest compares (feature-sql.ts contentHash), from the JSON text the database would receive. */
function contentHash(record: FeatureRecord): string {
  return `${JSON.stringify(record.geometry)}\u0000${JSON.stringify(record.properties)}\u0000${record.timeStart}/${record.timeEnd}/${record.versionId}`;
}

/** The GeoJSON text PostGIS builds: `{"type":"Feature","id":…,"geometry":…,"properties":…}`. */
function featureJson(id: string, geometry: Geometry | null, properties: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ type: 'Feature', id, geometry: geometry === null ? null : roundedGeometry(geometry), properties });
}

/** A record as its statement reads it: unreadable times or geometry fail the whole statement, whatever becomes of the row. */
function storedFeature(record: FeatureRecord, seq: number, updatedAt: string): StoredFeature {
  const geometry = storedGeometry(record.geometry);
  const properties = asJsonb({ ...record.properties });
  return {
    seq,
    id: record.id,
    namespace: record.namespace,
    localId: record.localId,
    versionId: record.versionId,
    ngsiLdId: record.ngsiLdId ?? null,
    geometry,
    properties,
    timeStart: record.timeStart,
    timeEnd: record.timeEnd,
    startMs: instant(record.timeStart, 'time_start'),
    endMs: instant(record.timeEnd, 'time_end'),
    contentHash: contentHash(record),
    retiredAt: null,
    updatedAt,
    box: boundingBox(geometry),
    geojson: featureJson(record.id, geometry, properties),
  };
}

/** The table's CHECK, on every row the statement inserts or updates (or would, before ON CONFLICT decides). */
function checkTimes(feature: StoredFeature): void {
  if (feature.startMs !== null && feature.endMs !== null && feature.endMs < feature.startMs) {
    throw new Error(`new row for relation "feature" violates check constraint (time_end before time_start: feature ${feature.id})`);
  }
}

function toCollection(row: CollectionRow): Collection {
  return {
    key: row.key,
    id: row.id,
    title: row.title,
    description: row.description,
    keywords: [...row.keywords],
    license: row.license,
    attribution: row.attribution,
    itemType: 'feature',
    sourceSrid: row.sourceSrid,
    storageSrid: 4326,
    inspireNamespace: row.inspireNamespace,
    featureCount: row.featureCount,
    spatialExtent: row.spatialExtent ? [...row.spatialExtent] : null,
    temporalExtent: row.temporalStart || row.temporalEnd ? [row.temporalStart, row.temporalEnd] : null,
    geometryTypes: row.geometryTypes.map((t) => GEOMETRY_TYPE_NAMES[t] ?? t),
    queryables: asJsonb(row.queryables),
    harvest: { ...row.harvest, ngsiLdContext: [...row.harvest.ngsiLdContext] },
    dataVersion: row.dataVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

// ---------------------------------------------------------------- selection

/** feature-sql.ts whereClause without the filter; refuses what the fake does not evaluate. */
function selects(selection: FeatureSelection): (feature: StoredFeature) => boolean {
  if (selection.filter !== null) throw unsupported('CQL2 filters (FeatureSelection.filter)');
  for (const envelope of selection.envelopes) if (envelope.srid !== 4326) throw unsupported(`a bbox in EPSG:${envelope.srid}`);
  const { envelopes, time, equalities } = selection;
  // equalityCondition: one jsonb document, so a repeated name keeps its last value; nested scalars contain only equal scalars.
  const document = Object.entries(Object.fromEntries(equalities.map((e) => [e.name, e.value])));
  return (f) => {
    if (f.retiredAt !== null) return false;
    if (envelopes.length > 0 && !envelopes.some((e) => meets(f, e))) return false;
    if (time && (time.start || time.end) && !(f.startMs === null && f.endMs === null)) {
      if (time.end && !(f.startMs === null || f.startMs <= time.end.getTime())) return false;
      if (time.start && !(f.endMs === null || f.endMs >= time.start.getTime())) return false;
    }
    return document.every(([name, value]) => Object.hasOwn(f.properties, name) && f.properties[name] === value);
  };
}

/** spatial-sql.ts boxCondition: a point by its coordinates; other geometries by bounding box overlap (see the header). */
function meets(feature: StoredFeature, envelope: Envelope): boolean {
  const box = feature.box;
  if (box === null) return false;
  return box[0] <= envelope.maxX && box[2] >= envelope.minX && box[1] <= envelope.maxY && box[3] >= envelope.minY;
}

function checkOutput(output: FeatureOutput): void {
  if (output.srid !== 4326) throw unsupported(`output in EPSG:${output.srid}`);
  if (output.swapAxes) throw unsupported('output with swapped axes (latitude first)');
  if (output.decimals !== 8) throw unsupported(`output with ${output.decimals} decimals`);
}

/** featureJson of feature-sql.ts: the stored text, or the requested properties (those the feature has). */
function outputJson(feature: StoredFeature, properties: readonly string[] | null): string {
  if (properties === null) return feature.geojson;
  const wanted = new Set(properties);
  return featureJson(feature.id, feature.geometry, Object.fromEntries(Object.entries(feature.properties).filter(([name]) => wanted.has(name))));
}

/** A RowStream over rows already read (a statement's snapshot), in batches like a cursor's fetches. */
function rowStream<Row>(rows: readonly Row[], batchSize: number, cursors: { open: number }): RowStream<Row> {
  let open = true;
  cursors.open++;
  const release = () => {
    if (!open) return;
    open = false;
    cursors.open--;
  };
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let start = 0; start < rows.length && open; start += batchSize) yield rows.slice(start, start + batchSize);
      } finally {
        release();
      }
    },
    async close() {
      release();
    },
  };
}

// ---------------------------------------------------------------- runs

function runRepository(clock: () => Date, lockHeld: (collectionId: string) => boolean): RunRepository {
  const runs = new Map<number, HarvestRun>();
  let lastRunId = 0;
  const copy = (run: HarvestRun): HarvestRun => ({ ...run, counts: { ...run.counts }, rejections: [...run.rejections], warnings: [...run.warnings] });
  const update = (runId: number, change: Partial<HarvestRun>) => {
    const run = runs.get(runId);
    if (run) runs.set(runId, { ...run, ...change });
  };

  return {
    async start(info) {
      const runId = ++lastRunId;
      runs.set(runId, {
        runId,
        ...info,
        status: 'running',
        startedAt: clock().toISOString(),
        finishedAt: null,
        counts: { pages: 0, read: 0, inserted: 0, updated: 0, unchanged: 0, retired: 0, purged: 0, rejected: 0, repaired: 0, duplicates: 0 },
        expected: null,
        error: null,
        rejections: [],
        warnings: [],
      });
      return runId;
    },
    async failAbandoned(collectionId) {
      if (lockHeld(collectionId)) return [];
      const abandoned = [...runs.values()].filter((r) => r.collectionId === collectionId && r.status === 'running');
      for (const run of abandoned) {
        update(run.runId, { status: 'failed', finishedAt: run.finishedAt ?? clock().toISOString(), error: 'interrupted: the process ended before the run finished (nothing it read was stored)' });
      }
      return abandoned.map((r) => r.runId);
    },
    async progress(runId, counts, expected) {
      if (runs.get(runId)?.status === 'running') update(runId, { counts: { ...counts }, expected });
    },
    async finish(runId, outcome) {
      update(runId, {
        status: outcome.status,
        finishedAt: clock().toISOString(),
        counts: { ...outcome.counts },
        expected: outcome.expected,
        error: outcome.error,
        rejections: asJsonb([...outcome.rejections]),
        warnings: asJsonb([...outcome.warnings]),
      });
    },
    async list(filter) {
      return [...runs.values()]
        .filter((r) => (!filter.mappingId || r.mappingId === filter.mappingId) && (!filter.status || r.status === filter.status) && (!filter.beforeRunId || r.runId < filter.beforeRunId))
        .sort((a, b) => b.runId - a.runId)
        .slice(0, filter.limit)
        .map(copy);
    },
    async get(runId) {
      const run = runs.get(runId);
      return run ? copy(run) : null;
    },
    async lastFinished() {
      const latest = new Map<string, { status: HarvestRun['status']; startedAt: string }>();
      for (const run of [...runs.values()].sort((a, b) => b.runId - a.runId)) {
        if (run.status !== 'running' && !latest.has(run.mappingId)) latest.set(run.mappingId, { status: run.status, startedAt: run.startedAt });
      }
      return latest;
    },
  };
}

// ---------------------------------------------------------------- sensors

const LINK_METHODS = ['candidates', 'pendingPlaces', 'affectedByAssets', 'unlinkedPlaceless', 'placesLinked', 'current', 'apply', 'states', 'saveState', 'nearby', 'measure', 'history', 'latestForAssets', 'periods', 'prepareTarget'] as const;
const SENSOR_METHODS = [
  'saveSource',
  'upsertDatastreams',
  'datastreamsOfSource',
  'datastreamsByIds',
  'datastreamsByUpstreamIds',
  'datastreamDetail',
  'moveDatastreams',
  'replaceLocationHistory',
  'setHarvestedUntil',
  'datastreamSummary',
  'datastreamSummaries',
  'observedFeatures',
  'upsertFeaturesOfInterest',
  'refreshSourceExtent',
  'insertObservations',
  'streamObservationPage',
  'countObservations',
  'datastreamSnapshot',
  'observationById',
  'series',
  'expireObservations',
  'ensurePartitions',
  'dropEmptyPartitions',
] as const;

/** A method the fake does not implement: it fails naming itself. */
const notImplemented = (name: string) => async (): Promise<never> => {
  throw new InvariantError(`the fake store does not implement ${name}; sensor tests run against PostGIS (test/integration)`);
};

/** Methods that fail naming themselves; the names are checked against the port where they are used. */
function failing<K extends string>(names: readonly K[], prefix: string): Record<K, () => Promise<never>> {
  const methods = {} as Record<K, () => Promise<never>>;
  for (const name of names) methods[name] = notImplemented(`${prefix}${name}`);
  return methods;
}

const SUBSCRIPTION_METHODS = ['create', 'byId', 'page', 'count', 'update', 'remove', 'reacting', 'listen'] as const;

/** NGSI-LD subscriptions are not faked: the APIs compose, and using them fails naming the method. */
function noSubscriptionStore(): SubscriptionStore {
  return {
    ...failing(SUBSCRIPTION_METHODS, 'subscriptions.'),
    changes: failing(['claim', 'settle', 'release'], 'subscriptions.changes.'),
    outbox: failing(['claim', 'complete', 'claimPeriodic', 'settlePeriodic'], 'subscriptions.outbox.'),
    pushes: failing(['ensure', 'retireExcept', 'seed'], 'subscriptions.pushes.'),
  };
}

/** No sensor sources and no asset links, so the APIs can be composed on the fake; anything else fails naming the method. */
function emptySensorStore(): SensorStore {
  const links: LinkRepository = { ...failing(LINK_METHODS, 'sensors.links.'), linkedCollections: async () => [] };
  return { ...failing(SENSOR_METHODS, 'sensors.'), sources: async () => [], links };
}

// ---------------------------------------------------------------- the store

export function createFakeStore(options: FakeStoreOptions = {}): FakeStore {
  const clock = options.clock ?? (() => new Date());
  const changes = options.changes ?? { publish: async () => {} };
  /** The committed state: what readers outside a transaction see. */
  const committed = new Map<number, CollectionState>();
  // Like the feature_seq sequence and the collection key identity, these never go back on a rollback.
  let lastSeq = 0;
  let lastKey = 0;
  const harvestLocks = new Set<string>();
  const cursors = { open: 0 };

  /** One transaction: the collections it wrote, as private copies, until it commits. */
  class Transaction {
    readonly started = clock();
    /** Collections written: their new state, or null when removed. */
    private readonly written = new Map<number, CollectionState | null>();
    /** The committed state each written collection had when the transaction first wrote it. */
    private readonly bases = new Map<number, CollectionState | undefined>();
    private ended = false;
    private aborted = false;

    /** Runs one statement: after a failed one, PostgreSQL refuses everything until the rollback. */
    run<T>(statement: () => T): T {
      if (this.ended) throw new InvariantError('the fake store transaction has ended; its repositories are no longer usable');
      if (this.aborted) throw new Error('current transaction is aborted, commands ignored until end of transaction block');
      try {
        return statement();
      } catch (error) {
        this.aborted = true;
        throw error;
      }
    }

    /** now() as the catalog shows it (whole seconds). */
    now(): string {
      return toSeconds(this.started.getTime());
    }

    /** now() as features and change events carry it. */
    writeTime(): string {
      return rfc3339(this.started);
    }

    read(key: number): CollectionState | undefined {
      return this.written.has(key) ? (this.written.get(key) ?? undefined) : committed.get(key);
    }

    keyOf(id: string): number | undefined {
      for (const [key, state] of this.written) if (state?.row.id === id) return key;
      for (const [key, state] of committed) if (state.row.id === id && !this.written.has(key)) return key;
      return undefined;
    }

    all(): CollectionState[] {
      const keys = new Set([...committed.keys(), ...this.written.keys()]);
      return [...keys].flatMap((key) => this.read(key) ?? []);
    }

    /** The collection's private copy, made on the first write. */
    write(key: number): CollectionState | undefined {
      const current = this.read(key);
      if (!current) return undefined;
      if (this.written.has(key)) return current;
      this.bases.set(key, current);
      const copy: CollectionState = { row: current.row, features: new Map(current.features) };
      this.written.set(key, copy);
      return copy;
    }

    create(state: CollectionState): void {
      this.bases.set(state.row.key, undefined);
      this.written.set(state.row.key, state);
    }

    remove(key: number): void {
      if (!this.written.has(key)) this.bases.set(key, committed.get(key));
      this.written.set(key, null);
    }

    /**
     * Makes the writes visible. A collection another transaction committed after this one first
     * wrote it fails the commit (PostgreSQL would have waited for its row locks), and so does a
     * second collection with an id committed meanwhile (the unique index).
     */
    commit(): void {
      this.run(() => {
        for (const [key, base] of this.bases) {
          if (committed.get(key) !== base) throw new Error(`could not serialize access: collection ${key} was written by a transaction that committed meanwhile`);
          const state = this.written.get(key);
          if (base === undefined && state && [...committed.values()].some((c) => c.row.id === state.row.id)) {
            throw new Error(`duplicate key value violates unique constraint "collection_id_key": Key (id)=(${state.row.id}) already exists`);
          }
        }
        for (const [key, state] of this.written) {
          if (state) committed.set(key, state);
          else committed.delete(key);
        }
      });
      this.end();
    }

    end(): void {
      this.ended = true;
    }
  }

  function collectionRepository(tx: () => Transaction): CollectionRepository {
    return {
      async list() {
        const t = tx();
        return t.run(() => t.all().map((s) => toCollection(s.row)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
      },
      async get(id) {
        const t = tx();
        return t.run(() => {
          const key = t.keyOf(id);
          const state = key === undefined ? undefined : t.read(key);
          return state ? toCollection(state.row) : null;
        });
      },
      async save(definition: CollectionDefinition) {
        const t = tx();
        return t.run(() => {
          const descriptive = {
            title: definition.title,
            description: definition.description ?? null,
            keywords: [...(definition.keywords ?? [])],
            license: definition.license ?? null,
            attribution: definition.attribution ?? null,
            sourceSrid: definition.sourceSrid,
            inspireNamespace: definition.inspireNamespace ?? `placelink.${definition.id}`,
          };
          const harvest = definition.harvest ? { ...definition.harvest, ngsiLdContext: [...definition.harvest.ngsiLdContext] } : null;
          const key = t.keyOf(definition.id);
          const state = key === undefined ? undefined : t.write(key);
          if (state) {
            state.row = { ...state.row, ...descriptive, harvest: harvest ?? state.row.harvest, updatedAt: t.now() };
            return { key: state.row.key, created: false };
          }
          if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(definition.id)) throw new Error(`new row for relation "collection" violates check constraint "collection_id_check" (id '${definition.id}')`);
          const created = ++lastKey;
          t.create({
            row: {
              key: created,
              id: definition.id,
              ...descriptive,
              featureCount: 0,
              spatialExtent: null,
              temporalStart: null,
              temporalEnd: null,
              geometryTypes: [],
              queryables: {},
              dataVersion: 0,
              harvest: harvest ?? NO_HARVEST_INFO,
              createdAt: t.now(),
              updatedAt: t.now(),
            },
            features: new Map(),
          });
          return { key: created, created: true };
        });
      },
      async remove(id) {
        const t = tx();
        return t.run(() => {
          const key = t.keyOf(id);
          if (key === undefined) return false;
          t.remove(key);
          return true;
        });
      },
      async setQueryables(key, queryables: Record<string, Queryable>) {
        const t = tx();
        t.run(() => {
          const state = t.write(key);
          if (state) state.row = { ...state.row, queryables: asJsonb(queryables), updatedAt: t.now() };
        });
      },
      async refreshStats(key) {
        const t = tx();
        t.run(() => {
          const state = t.write(key);
          if (!state) return;
          const current = [...state.features.values()].filter((f) => f.retiredAt === null);
          let start: number | null = null;
          let end: number | null = null;
          for (const f of current) {
            if (f.startMs !== null) start = Math.min(start ?? f.startMs, f.startMs);
            const last = f.endMs ?? f.startMs;
            if (last !== null) end = Math.max(end ?? last, last);
          }
          const types = new Set(current.flatMap((f) => (f.geometry ? [`ST_${f.geometry.type}`] : [])));
          state.row = {
            ...state.row,
            featureCount: current.length,
            spatialExtent: cover(current.flatMap((f) => (f.box ? [f.box] : []))),
            temporalStart: start === null ? null : toSeconds(start),
            temporalEnd: end === null ? null : toSeconds(end),
            geometryTypes: [...types].sort(),
            dataVersion: state.row.dataVersion + 1,
            updatedAt: t.now(),
          };
        });
      },
      async analyze() {
        tx().run(() => undefined);
      },
    };
  }

  /** src/db/sql/feature-sql.ts upsertBatch, checked against the state before the batch as its statement is. */
  function upsertBatch(t: Transaction, collectionKey: number, records: readonly FeatureRecord[]): WriteSummary {
    const summary: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, repaired: [], rejected: [] };
    if (records.length === 0) return summary;
    const state = t.write(collectionKey);
    if (!state) throw new Error(`no partition of relation "feature" found for row (collection_key ${collectionKey})`);
    const ids = new Set(records.map((r) => r.id));
    if (ids.size < records.length) throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time (ids repeat within the batch)');

    const inspireKey = (namespace: string, localId: string) => JSON.stringify([namespace, localId]);
    const holders = new Map<string, StoredFeature>();
    const ngsiHolders = new Map<string, StoredFeature>();
    for (const f of state.features.values()) {
      if (f.retiredAt !== null) continue;
      holders.set(inspireKey(f.namespace, f.localId), f);
      if (f.ngsiLdId !== null) ngsiHolders.set(f.ngsiLdId, f);
    }
    // Two rows of the batch with one inspireId or one NGSI-LD id: the first keeps it.
    const inspireFirst = new Map<string, string>();
    const ngsiFirst = new Map<string, string>();
    for (const r of records) {
      if (!inspireFirst.has(inspireKey(r.namespace, r.localId))) inspireFirst.set(inspireKey(r.namespace, r.localId), r.id);
      if (r.ngsiLdId && !ngsiFirst.has(r.ngsiLdId)) ngsiFirst.set(r.ngsiLdId, r.id);
    }
    const read = records.map((r) => storedFeature(r, 0, t.writeTime()));
    const outcomes = records.map((r, i) => {
      const holder = holders.get(inspireKey(r.namespace, r.localId));
      const clash = holder && holder.id !== r.id ? holder.id : null;
      const firstWithInspireId = inspireFirst.get(inspireKey(r.namespace, r.localId))!;
      const ngsiHolder = r.ngsiLdId ? ngsiHolders.get(r.ngsiLdId) : undefined;
      const ngsiClash = ngsiHolder && ngsiHolder.id !== r.id ? ngsiHolder.id : null;
      const firstWithNgsiId = r.ngsiLdId ? ngsiFirst.get(r.ngsiLdId)! : r.id;
      if (clash !== null || firstWithInspireId !== r.id) return { kind: 'clash' as const, detail: clash ?? firstWithInspireId };
      if (ngsiClash !== null || firstWithNgsiId !== r.id) return { kind: 'ngsi-clash' as const, detail: ngsiClash ?? firstWithNgsiId };
      checkTimes(read[i]!);
      return { kind: 'accepted' as const, written: read[i]! };
    });

    records.forEach((r, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'clash') summary.rejected.push({ id: r.id, reason: `its inspireId (namespace + localId) is already used by feature ${outcome.detail}` });
      else if (outcome.kind === 'ngsi-clash') summary.rejected.push({ id: r.id, reason: `its NGSI-LD entity id (identifiers.ngsiLdId) is already used by feature ${outcome.detail}` });
      else {
        const existing = state.features.get(r.id);
        if (!existing) {
          // New features get their paging position in input order.
          state.features.set(r.id, { ...outcome.written, seq: ++lastSeq });
          summary.inserted++;
        } else if (existing.contentHash !== outcome.written.contentHash || existing.retiredAt !== null || existing.ngsiLdId !== outcome.written.ngsiLdId) {
          state.features.set(r.id, { ...outcome.written, seq: existing.seq });
          summary.updated++;
        } else {
          summary.unchanged++;
        }
      }
    });
    return summary;
  }

  function featureRepository(tx: () => Transaction): FeatureRepository {
    return {
      async upsertBatch(collectionKey, records) {
        const t = tx();
        return t.run(() => upsertBatch(t, collectionKey, records));
      },
      async writeTime() {
        const t = tx();
        return t.run(() => t.writeTime());
      },
    };
  }

  const repositories = (t: Transaction): Repositories => ({ collections: collectionRepository(() => t), features: featureRepository(() => t) });

  function harvestSession(t: Transaction): HarvestSession {
    const seen = new Set<string>();
    const notSeen = (state: CollectionState) => [...state.features.values()].filter((f) => !seen.has(f.id));
    return {
      ...repositories(t),
      async markSeen(ids) {
        return t.run(() => {
          const added = new Set<string>();
          for (const id of ids) {
            if (seen.has(id)) continue;
            seen.add(id);
            added.add(id);
          }
          return added;
        });
      },
      seenCount: async () => t.run(() => seen.size),
      async vanished(collectionKey) {
        return t.run(() => {
          const state = t.read(collectionKey);
          const current = state ? [...state.features.values()].filter((f) => f.retiredAt === null) : [];
          return { vanished: current.filter((f) => !seen.has(f.id)).length, current: current.length };
        });
      },
      async retireVanished(collectionKey, at) {
        return t.run(() => {
          const state = t.write(collectionKey);
          if (!state) return 0;
          const retiredAt = rfc3339(new Date(instant(at, 'retired_at')!));
          const retiring = notSeen(state).filter((f) => f.retiredAt === null);
          for (const f of retiring) state.features.set(f.id, { ...f, retiredAt, updatedAt: t.writeTime() });
          return retiring.length;
        });
      },
      // Deletes what this run did not read, features retired by earlier runs included.
      async purgeVanished(collectionKey) {
        return t.run(() => {
          const state = t.write(collectionKey);
          if (!state) return 0;
          const purging = notSeen(state);
          for (const f of purging) state.features.delete(f.id);
          return purging.length;
        });
      },
      async isEmpty(collectionKey) {
        return t.run(() => (t.read(collectionKey)?.features.size ?? 0) === 0);
      },
    };
  }

  /** Runs `work` in a transaction whose feature writes are counted, and announces them after the commit (src/db/store.ts). */
  async function announced<R extends Repositories, T>(open: (t: Transaction) => R, work: (repositories: R) => Promise<T>): Promise<T> {
    const t = new Transaction();
    let events: Awaited<ReturnType<ReturnType<typeof countedWrites>['changes']>> = [];
    let result: T;
    try {
      const counted = countedWrites(open(t));
      result = await work(counted.repositories);
      events = await counted.changes();
      t.commit();
    } finally {
      t.end();
    }
    for (const event of events) await changes.publish(event);
    return result;
  }

  /** A statement outside a transaction commits on its own. */
  function autocommit<T>(statement: (t: Transaction) => Promise<T>): Promise<T> {
    const t = new Transaction();
    return statement(t).then(
      (value) => {
        t.commit();
        return value;
      },
      (error: unknown) => {
        t.end();
        throw error;
      },
    );
  }

  const ownCollections = (t: Transaction) => collectionRepository(() => t);
  const ownFeatures = (t: Transaction) => featureRepository(() => t);
  /** The repositories outside a transaction: each call its own. */
  const collections: CollectionRepository = {
    list: () => autocommit((t) => ownCollections(t).list()),
    get: (id) => autocommit((t) => ownCollections(t).get(id)),
    save: (definition) => autocommit((t) => ownCollections(t).save(definition)),
    remove: (id) => autocommit((t) => ownCollections(t).remove(id)),
    setQueryables: (key, queryables) => autocommit((t) => ownCollections(t).setQueryables(key, queryables)),
    refreshStats: (key) => autocommit((t) => ownCollections(t).refreshStats(key)),
    analyze: (key) => autocommit((t) => ownCollections(t).analyze(key)),
  };
  const features: FeatureRepository = {
    upsertBatch: (key, records, options) => autocommit((t) => ownFeatures(t).upsertBatch(key, records, options)),
    writeTime: () => autocommit((t) => ownFeatures(t).writeTime()),
  };

  /** Matching current features of a collection in `seq` order, as committed now. */
  function matching(selection: FeatureSelection): StoredFeature[] {
    const keep = selects(selection);
    const state = committed.get(selection.collectionKey);
    return state ? [...state.features.values()].filter(keep).sort((a, b) => a.seq - b.seq) : [];
  }

  const pages: PageSource = {
    async streamPage(query: FeaturePageQuery) {
      if (query.order.length > 0) throw unsupported('sort keys (FeaturePageQuery.order)');
      if (query.linkedValues) throw unsupported('linked sensor values (FeaturePageQuery.linkedValues)');
      checkOutput(query.output);
      const state = committed.get(query.collectionKey);
      const total = state ? String(state.row.featureCount) : '';
      const version = state ? String(state.row.dataVersion) : '';
      const position = query.position;
      const backwards = position.kind === 'before';
      let candidates = matching(query);
      if (position.kind === 'after') candidates = candidates.filter((f) => f.seq > Number(position.seq));
      if (backwards) candidates = candidates.filter((f) => f.seq < Number(position.seq)).reverse();
      const offset = position.kind === 'offset' ? position.offset : 0;
      // One row more than the page, to tell whether features lie beyond it.
      const read = candidates.slice(offset, offset + query.limit + 1);
      const page = read.slice(0, query.limit);
      const beyond = read[query.limit];
      const chunk = (rows: readonly StoredFeature[], more: boolean): PageChunk => {
        const ascending = [...rows].sort((a, b) => a.seq - b.seq);
        return {
          firstSeq: String(ascending[0]!.seq),
          lastSeq: String(ascending.at(-1)!.seq),
          n: rows.length,
          json: ascending.map((f) => outputJson(f, query.output.properties)).join(','),
          more,
          total,
          version,
        };
      };
      let chunks: PageChunk[];
      if (page.length === 0) chunks = [];
      else if (query.limit <= PAGE_CHUNK_ROWS) chunks = [chunk(page, beyond !== undefined)];
      else {
        // Chunks are numbered in reading order and come in ascending `seq` order; the row past the page is a chunk of its own, last.
        chunks = [];
        for (let start = 0; start < page.length; start += PAGE_CHUNK_ROWS) chunks.push(chunk(page.slice(start, start + PAGE_CHUNK_ROWS), false));
        if (backwards) chunks.reverse();
        if (beyond) chunks.push({ firstSeq: String(beyond.seq), lastSeq: String(beyond.seq), n: 0, json: '', more: true, total, version });
      }
      return rowStream(chunks, PAGE_BATCH, cursors);
    },

    async countFeatures(selection, cap) {
      const n = Math.min(matching(selection).length, cap + 1);
      return n > cap ? null : n;
    },

    async snapshot(collectionKey) {
      const state = committed.get(collectionKey);
      return state ? { total: state.row.featureCount, version: state.row.dataVersion } : null;
    },

    async byId(collectionKey, id, output, links): Promise<FeatureRow | null> {
      if (links) throw unsupported('linked sensor values (byId links)');
      checkOutput(output);
      const feature = committed.get(collectionKey)?.features.get(id);
      if (!feature || feature.retiredAt !== null) return null;
      return { seq: String(feature.seq), json: outputJson(feature, output.properties), ngsiLdId: feature.ngsiLdId };
    },
  };

  return {
    collections,
    features,
    pages,
    runs: runRepository(clock, (collectionId) => harvestLocks.has(collectionId)),
    sensors: emptySensorStore(),
    subscriptions: noSubscriptionStore(),
    entities: {
      query: () => Promise.reject(unsupported('NGSI-LD entity queries')),
      byId: () => Promise.reject(unsupported('NGSI-LD entity lookups')),
      attributeUses: () => Promise.reject(unsupported('NGSI-LD attribute discovery')),
      deviceCount: async () => 0,
    },
    history: {
      instances: () => Promise.reject(unsupported('NGSI-LD temporal queries')),
      aggregated: () => Promise.reject(unsupported('NGSI-LD temporal aggregation')),
      maintain: async () => ({ dropped: [], expired: 0 }),
      removeAttribute: () => Promise.reject(unsupported('NGSI-LD temporal attribute writes')),
      removeInstance: () => Promise.reject(unsupported('NGSI-LD temporal attribute writes')),
      patchInstance: () => Promise.reject(unsupported('NGSI-LD temporal attribute writes')),
    },
    ldContexts: {
      insert: () => Promise.reject(unsupported('hosted @contexts')),
      byId: async () => null,
      document: async () => null,
      list: async () => [],
      remove: async () => false,
      recordUses: async () => {},
    },
    concurrentWrites: false,
    async harvest(collectionId, work) {
      // pg_try_advisory_xact_lock: one harvest per collection id, held until its transaction ends.
      if (harvestLocks.has(collectionId)) throw new HarvestRunningError(collectionId);
      harvestLocks.add(collectionId);
      try {
        return await announced(harvestSession, work);
      } finally {
        harvestLocks.delete(collectionId);
      }
    },
    transaction: (work) => announced(repositories, work),
    entityTransaction: () => Promise.reject(unsupported('NGSI-LD entity writes')),
    async ready() {
      return true;
    },
    storedFeatures(collectionId) {
      const state = [...committed.values()].find((s) => s.row.id === collectionId);
      if (!state) return [];
      return [...state.features.values()]
        .sort((a, b) => a.seq - b.seq)
        .map((f) => ({
          seq: String(f.seq),
          id: f.id,
          namespace: f.namespace,
          localId: f.localId,
          versionId: f.versionId,
          ngsiLdId: f.ngsiLdId,
          geometry: f.geometry,
          properties: f.properties,
          timeStart: f.timeStart,
          timeEnd: f.timeEnd,
          retiredAt: f.retiredAt,
          updatedAt: f.updatedAt,
        }));
    },
    openCursors: () => cursors.open,
  };
}
