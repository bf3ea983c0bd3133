import { DEVICE_COLLECTION_KEY, type EntityRow } from '../../domain/entity.js';
import type { HistoryFeature, HistoryQuery, InstanceRow } from '../../domain/temporal.js';
import type { HistoryStore } from '../../services/ports/history-ports.js';
import type { TermMap } from '../context/term-map.js';
import type { EntityPage, EntitySelectionParameters } from '../entities/entity-parameters.js';
import type { EntityReader } from '../entities/entity-reader.js';
import type { EntityType } from '../entities/entity-types.js';
import type { EntityTypeSelection } from '../query/type-selection.js';
import { encodeAggregatedEntity, encodeTemporalEntity, GEOMETRY_ATTRIBUTE, type TemporalEncodeOptions } from './temporal-encoder.js';
import type { TemporalView } from './temporal-parameters.js';

const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
const DEVICE_ID_PREFIX = 'urn:ngsi-ld:Device:';

export interface TemporalReaderDeps {
  readonly entities: EntityReader;
  readonly history: Pick<HistoryStore, 'instances' | 'aggregated'>;
  /** Most instances of one entity in a response; more are cut off (206 with Content-Range). */
  readonly instanceLimit: number;
}

export interface TemporalResult {
  readonly entities: readonly Record<string, unknown>[];
  readonly count: number | null;
  /** `Content-Range` of a response cut at the instance limit (clause 6.3.10); null when nothing was cut. */
  readonly contentRange: string | null;
}

/** Reads the temporal evolution of entities and writes it in the request's names and representation. */
export interface TemporalReader {
  query(selection: EntitySelectionParameters, page: EntityPage, view: TemporalView, request: TermMap): Promise<TemporalResult>;
  /** null: no entity with that id. */
  retrieve(id: string, types: EntityTypeSelection | null, view: TemporalView, request: TermMap): Promise<{ entity: Record<string, unknown>; contentRange: string | null } | null>;
}

/** The history names of the attributes asked for, for one type: a geometry's GeoProperty is `@location` unless it is stored whole. */
function historyNames(attrs: readonly string[] | null, type: EntityType, storesLocation: boolean): string[] | null {
  return attrs ? attrs.map((iri) => (iri === LOCATION && !storesLocation ? GEOMETRY_ATTRIBUTE : type.terms.compact(iri))) : null;
}

function historyQuery(rows: readonly EntityRow[], types: ReadonlyMap<number, EntityType>, view: TemporalView, attrs: readonly string[] | null, instanceLimit: number): HistoryQuery {
  const devices: { position: number; datastreamId: string }[] = [];
  const written: HistoryFeature[] = [];
  const versioned: HistoryFeature[] = [];
  let deviceAttributes: string[] | null = null;
  rows.forEach((row, position) => {
    const type = types.get(row.collectionKey)!;
    if (row.collectionKey === DEVICE_COLLECTION_KEY) {
      devices.push({ position, datastreamId: row.id.slice(DEVICE_ID_PREFIX.length) });
      deviceAttributes = historyNames(attrs, type, false);
    } else if (row.featureId !== null) {
      const stored = row.attributes !== null;
      (stored ? written : versioned).push({ position, collectionKey: row.collectionKey, featureId: row.featureId, attributes: historyNames(attrs, type, stored) });
    }
  });
  return { sources: { devices, written, versioned }, deviceAttributes, window: view.window, timeProperty: view.timeProperty, lastN: view.lastN, instanceLimit };
}

/**
 * The range a cut response covers (clause 6.3.10): oldest first from the window's start (or the
 * oldest instance) to the newest returned; with lastN newest first, down to the oldest returned.
 */
function contentRange(rows: readonly InstanceRow[], view: TemporalView): string {
  const times = rows.filter((r) => r.instanceId !== null).map((r) => r.time ?? r.modifiedAt).filter((t): t is string => t !== null).sort((a, b) => Date.parse(a) - Date.parse(b));
  const oldest = times[0] ?? '';
  const newest = times.at(-1) ?? '';
  const window = view.window;
  if (view.lastN === null) return `date-time ${window && window.relation !== 'before' ? window.timeAt : oldest}-${newest}/*`;
  const start = window?.relation === 'before' ? window.timeAt : window?.relation === 'between' ? window.endTimeAt! : newest;
  return `date-time ${start}-${oldest}/${view.lastN}`;
}

const SYSTEM = new Set(['id', 'type', 'createdAt', 'modifiedAt']);

/** The entity shows at least one attribute. */
export function hasAttributes(entity: Record<string, unknown>): boolean {
  return Object.keys(entity).some((member) => !SYSTEM.has(member));
}

function byPosition<T extends { position: number }>(rows: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) {
    const list = out.get(row.position);
    if (list) list.push(row);
    else out.set(row.position, [row]);
  }
  return out;
}

export function temporalReader(deps: TemporalReaderDeps): TemporalReader {
  async function encode(rows: readonly EntityRow[], types: ReadonlyMap<number, EntityType>, view: TemporalView, request: TermMap) {
    const attrs = view.entity.projection.attrs?.map((name) => request.expand(name)) ?? null;
    const query = historyQuery(rows, types, view, attrs, deps.instanceLimit);
    const iris = (names: readonly string[]) => new Set(names.map((name) => (name === 'id' || name === 'type' ? name : request.expand(name))));
    const options: TemporalEncodeOptions = {
      format: view.format,
      sysAttrs: view.entity.sysAttrs,
      output: request,
      attributes: attrs ? new Set(attrs) : null,
      pick: view.entity.projection.pick ? iris(view.entity.projection.pick.map((t) => t.name)) : null,
      omit: view.entity.projection.omit ? iris(view.entity.projection.omit.map((t) => t.name)) : null,
      lang: view.entity.lang,
    };
    if (view.aggregation) {
      const aggregates = byPosition(await deps.history.aggregated(query, view.aggregation));
      const entities = rows.map((row, position) => encodeAggregatedEntity(row, types.get(row.collectionKey)!, aggregates.get(position) ?? [], options));
      return { entities, withHistory: new Set(aggregates.keys()), contentRange: null };
    }
    const history = await deps.history.instances(query);
    const instances = byPosition(history.rows);
    const entities = rows.map((row, position) => encodeTemporalEntity(row, types.get(row.collectionKey)!, instances.get(position) ?? [], options));
    return { entities, withHistory: new Set(instances.keys()), contentRange: history.truncated.length ? contentRange(history.rows, view) : null };
  }

  return {
    async query(selection, page, view, request) {
      const found = await deps.entities.rows(selection, page, view.entity.projection.attrs, request);
      const { entities, withHistory, contentRange: range } = await encode(found.rows, found.types, view, request);
      // With a time window, an entity without an instance in it has no temporal evolution to show.
      return { entities: view.window ? entities.filter((_, position) => withHistory.has(position)) : entities, count: found.count, contentRange: range };
    },

    async retrieve(id, types, view, request) {
      const found = await deps.entities.row(id, types, request);
      if (!found) return null;
      const { entities, contentRange: range } = await encode([found.row], new Map([[found.type.collection.key, found.type]]), view, request);
      return { entity: entities[0]!, contentRange: range };
    },
  };
}
