import type { Geometry } from 'geojson';
import type { CollectionDefinition } from '../../domain/collection.js';
import type { DatastreamInfo, DatastreamRecord, DatastreamRejection, DatastreamSummary, FeatureOfInterestRecord, LocationEntry, SensorSourceInfo } from '../../domain/datastream.js';
import type { LinkRule } from '../../domain/mapping.js';
import type { ObservationRecord } from '../../domain/observation.js';
import type { Envelope, FeatureEncoding, GeometryOutput, PagePosition, TimeInterval } from '../../domain/query.js';
import type { CollectionRepository } from './feature-ports.js';
import type { CollectionSnapshot, PageChunk, RowStream } from './rows.js';

/** How observations are written: geometry CRS and precision, as GeoJSON Features or in parts. */
export type ObservationOutput = GeometryOutput & { readonly encoding?: FeatureEncoding };

export interface ObservationPageQuery {
  /** The observation collection (its count and data version describe the page). */
  readonly collectionKey: number;
  /** A collection of one datastream: its observation count describes the page instead. */
  readonly countedDatastream: number | null;
  readonly sourceKey: number;
  /** null: every datastream of the source. */
  readonly datastreamKeys: readonly number[] | null;
  readonly time: TimeInterval | null;
  /** Boxes the datastream's current place must meet. */
  readonly envelopes: readonly Envelope[];
  readonly position: PagePosition;
  readonly limit: number;
  readonly output: ObservationOutput;
}

export type SeriesBucket = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** A datastream's observations from `from` until `to` (null: open), e.g. while it was linked to an asset. */
export interface SeriesPeriod {
  readonly datastreamKey: number;
  readonly from: string;
  readonly to: string | null;
}

export interface SeriesQuery {
  readonly periods: readonly SeriesPeriod[];
  readonly time: TimeInterval | null;
  /** null: the observations themselves. */
  readonly bucket: SeriesBucket | null;
  readonly limit: number;
}

/** One value of a series: an observation's result, or a bucket's aggregates of numeric results. */
export type SeriesValue =
  | { readonly time: string; readonly value: unknown }
  | { readonly time: string; readonly avg: number | null; readonly min: number | null; readonly max: number | null; readonly count: number };

export type SeriesRow = SeriesValue & { readonly datastreamKey: number };

/** A link between an asset and a datastream as the rules want it. */
export interface LinkCandidate {
  readonly datastreamKey: number;
  readonly collectionKey: number;
  readonly assetId: string;
  readonly rule: string;
  readonly ruleKind: LinkRule['kind'];
  readonly priority: number;
  readonly distanceM: number | null;
}

/** A place of a datastream in its location history: the entry that starts at `time`. */
export interface PlaceRef {
  readonly datastreamKey: number;
  readonly time: string;
}

/** One link of an asset with its datastream, current (`validTo` null) or closed. */
export interface LinkPeriod {
  readonly datastreamKey: number;
  readonly datastreamId: string;
  readonly name: string;
  readonly unit: string | null;
  readonly validFrom: string;
  readonly validTo: string | null;
}

export interface StoredLink extends LinkCandidate {
  readonly linkId: string;
  readonly validFrom: string;
  readonly validTo: string | null;
}

/** What an asset shows of a linked datastream: its latest value. */
export interface LinkedValue {
  readonly assetId: string;
  readonly datastreamId: string;
  readonly name: string;
  readonly value: unknown;
  readonly unit: string | null;
  readonly observedAt: string | null;
}

/** A nearby asset as the explain report lists it. */
export interface AssetCandidate {
  readonly assetId: string;
  readonly distanceM: number;
  readonly covers: boolean;
}

export interface DatastreamDetail extends DatastreamInfo {
  readonly name: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly thing: Readonly<Record<string, unknown>> | null;
  readonly geometry: Geometry | null;
  readonly locationTime: string | null;
  readonly harvestedUntil: string | null;
}

export interface LinkChange {
  readonly close: readonly { readonly linkId: string; readonly datastreamKey: number; readonly at: string | null }[];
  readonly open: readonly (LinkCandidate & { readonly at: string | null })[];
  readonly update: readonly (LinkCandidate & { readonly linkId: string })[];
}

export interface LinkRepository {
  /** Candidates of one rule for the source's datastreams (all of them, or those given) at their current places, or at the given places of their history. */
  candidates(sourceKey: number, collectionKey: number, rule: LinkRule, datastreamKeys: readonly number[] | null, places?: readonly PlaceRef[]): Promise<LinkCandidate[]>;
  /** Places of the source's datastreams (all, or those given) newer than the one their links were computed for, oldest first. */
  pendingPlaces(sourceKey: number, datastreamKeys: readonly number[] | null): Promise<PlaceRef[]>;
  /** Datastreams of the source whose links to the collection may change because of assets changed since `since` (see linkSql.affectedByAssets). */
  affectedByAssets(sourceKey: number, collectionKey: number, rules: readonly LinkRule[], since: string): Promise<number[]>;
  /** Datastreams of the source (all, or those given) that have no place and never had a link. */
  unlinkedPlaceless(sourceKey: number, datastreamKeys: readonly number[] | null): Promise<Set<number>>;
  /** Notes the places the datastreams' links now follow. */
  placesLinked(places: readonly PlaceRef[]): Promise<void>;
  /** Current links of the source's datastreams (all, or those given). */
  current(sourceKey: number, datastreamKeys: readonly number[] | null): Promise<StoredLink[]>;
  /** Closes, opens and updates links in one transaction; closing and opening at the given times (null: now). */
  apply(change: LinkChange): Promise<void>;
  /** The data version of each asset collection the source's links were last computed from. */
  states(sourceKey: number): Promise<Map<number, number>>;
  saveState(sourceKey: number, collectionKey: number, dataVersion: number): Promise<void>;
  /** Assets near a place (for explanations), nearest first. */
  nearby(collectionKey: number, geometry: Geometry, within: number, limit: number): Promise<AssetCandidate[]>;
  /** Distance and containment between one datastream's place and one asset; null when the asset does not exist. */
  measure(collectionKey: number, assetId: string, datastreamKey: number): Promise<{ distanceM: number | null; covers: boolean; assetValue: (path: readonly string[]) => Promise<string | null> } | null>;
  /** Every link (current and closed) of an asset or datastream. */
  history(filter: { collectionKey?: number; assetId?: string; datastreamKey?: number }): Promise<StoredLink[]>;
  latestForAssets(collectionKey: number, assetIds: readonly string[]): Promise<LinkedValue[]>;
  /** Every link of one asset, current and closed, with its datastream. */
  periods(collectionKey: number, assetId: string): Promise<LinkPeriod[]>;
  /** The collections (keys) that have current links. */
  linkedCollections(): Promise<number[]>;
  /** Makes the geography index the nearest and buffer rules use (idempotent). */
  prepareTarget(collectionKey: number): Promise<void>;
}

/** The sensor side of the PostGIS store. */
export interface SensorStore {
  /** Creates or updates the source's row and the collection its observations are served in. */
  saveSource(id: string, type: SensorSourceInfo['type'], collection: CollectionDefinition, retentionMs: number | null): Promise<SensorSourceInfo>;
  sources(): Promise<SensorSourceInfo[]>;
  upsertDatastreams(sourceKey: number, records: readonly DatastreamRecord[]): Promise<DatastreamRejection[]>;
  datastreamsOfSource(sourceKey: number): Promise<(DatastreamInfo & { harvestedUntil: string | null })[]>;
  datastreamsByIds(ids: readonly string[]): Promise<DatastreamInfo[]>;
  datastreamsByUpstreamIds(sourceKey: number, upstreamIds: readonly string[]): Promise<DatastreamInfo[]>;
  datastreamDetail(id: string): Promise<DatastreamDetail | null>;
  /** Latest known places; returns the keys of datastreams that moved. */
  moveDatastreams(entries: readonly { key: number; location: LocationEntry }[]): Promise<number[]>;
  /** Whole location histories (SensorThings HistoricalLocations); the last entry becomes the current place. */
  replaceLocationHistory(entries: readonly { key: number; location: LocationEntry }[]): Promise<void>;
  setHarvestedUntil(entries: readonly { key: number; until: string }[]): Promise<void>;
  /** A datastream of the source as a collection of its own; null when the source has none with that upstream id. */
  datastreamSummary(sourceKey: number, upstreamId: string): Promise<DatastreamSummary | null>;
  /** A page of the source's datastreams (in id order) as collections, and how many it has. */
  datastreamSummaries(sourceKey: number, limit: number, offset: number): Promise<{ datastreams: DatastreamSummary[]; total: number }>;
  /** Notes which FeaturesOfInterest a datastream's observations refer to. */
  observedFeatures(datastreamKey: number, foiKeys: readonly number[]): Promise<void>;
  /** Stores a source's FeaturesOfInterest; returns the key of each by upstream id. */
  upsertFeaturesOfInterest(sourceKey: number, records: readonly FeatureOfInterestRecord[]): Promise<Map<string, number>>;
  refreshSourceExtent(sourceKey: number): Promise<void>;
  /** Stores observations idempotently; partitions are created first when missing. */
  insertObservations(records: readonly ObservationRecord[]): Promise<{ inserted: number }>;
  streamObservationPage(query: ObservationPageQuery): Promise<RowStream<PageChunk>>;
  countObservations(query: Omit<ObservationPageQuery, 'position' | 'limit' | 'output' | 'collectionKey' | 'countedDatastream'>, cap: number, budgetMs: number): Promise<number | null>;
  /** A datastream's observation count and its observation collection's data version. */
  datastreamSnapshot(datastreamKey: number): Promise<CollectionSnapshot | null>;
  observationById(sourceKey: number, id: string, output: ObservationOutput): Promise<string | null>;
  series(query: SeriesQuery): Promise<SeriesRow[]>;
  /** Deletes the source's observations older than `cutoff`; returns how many. */
  expireObservations(sourceKey: number, cutoff: string): Promise<number>;
  /** Creates the partitions covering [from, to]. */
  ensurePartitions(from: Date, to: Date): Promise<void>;
  /** Drops partitions that end before `before` and hold no rows. */
  dropEmptyPartitions(before: Date): Promise<string[]>;
  readonly links: LinkRepository;
}

/** What the sensor services use of the store: the sensor side and the collections it serves and links to. */
export interface SensorPorts {
  readonly sensors: SensorStore;
  readonly collections: CollectionRepository;
}
