import type { Collection } from '../../domain/collection.js';
import { SINCE_EVER, type SensorSourceInfo } from '../../domain/datastream.js';
import { InvalidParameterError, ResourceNotFoundError } from '../../domain/errors.js';
import type { LinkRule } from '../../domain/mapping.js';
import type { SensorPorts } from '../ports/sensor-ports.js';
import type { SensorMapping } from './sensor-registry.js';
import type { AssetCandidate, LinkCandidate, PlaceRef, StoredLink } from '../ports/sensor-ports.js';

export interface LinkRefreshSummary {
  readonly opened: number;
  readonly closed: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Rules whose asset collection does not exist (yet). */
  readonly missingCollections: readonly string[];
}

const pairKey = (l: { datastreamKey: number; collectionKey: number; assetId: string }) => `${l.datastreamKey}\u0000${l.collectionKey}\u0000${l.assetId}`;

/** Rules in the order they are tried: priority, then as written. */
function ordered(rules: readonly LinkRule[]): LinkRule[] {
  return rules.map((rule, index) => ({ rule, index })).sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index).map(({ rule }) => rule);
}

async function targetCollections(store: SensorPorts, rules: readonly LinkRule[]): Promise<Map<string, Collection | null>> {
  const out = new Map<string, Collection | null>();
  for (const rule of rules) if (!out.has(rule.collection)) out.set(rule.collection, await store.collections.get(rule.collection));
  return out;
}

/**
 * What the rules link for the given datastreams (at their current places, or at the given places of
 * their history): per datastream and asset collection, the first rule (by priority) that finds any
 * asset decides; later rules of that collection are fallbacks.
 */
async function desiredLinks(
  store: SensorPorts,
  source: SensorSourceInfo,
  rules: readonly LinkRule[],
  collections: Map<string, Collection | null>,
  keys: readonly number[] | null,
  places?: readonly PlaceRef[],
): Promise<Map<string, LinkCandidate>> {
  const decided = new Set<string>();
  const desired = new Map<string, LinkCandidate>();
  for (const rule of ordered(rules)) {
    const collection = collections.get(rule.collection);
    if (!collection) continue;
    if (rule.kind === 'nearest' || rule.kind === 'buffer') await store.sensors.links.prepareTarget(collection.key);
    const found = await store.sensors.links.candidates(source.key, collection.key, rule, keys, places);
    const winners = new Set<string>();
    for (const candidate of found) {
      const group = `${candidate.datastreamKey}\u0000${candidate.collectionKey}`;
      if (decided.has(group)) continue;
      winners.add(group);
      desired.set(pairKey(candidate), candidate);
    }
    for (const group of winners) decided.add(group);
  }
  return desired;
}

const sameLink = (a: LinkCandidate, b: LinkCandidate) => a.rule === b.rule && a.priority === b.priority && a.ruleKind === b.ruleKind && (a.distanceM ?? -1) === (b.distanceM ?? -1);

/**
 * Brings current links in line with the desired ones: links that no longer hold are closed (kept as
 * history), new ones opened, changed distances or rules updated. `at` gives the time a datastream's
 * links change (null: now).
 */
async function reconcile(store: SensorPorts, current: readonly StoredLink[], desired: Map<string, LinkCandidate>, at: (datastreamKey: number) => string | null): Promise<LinkRefreshSummary> {
  const close: { linkId: string; datastreamKey: number; at: string | null }[] = [];
  const update: (LinkCandidate & { linkId: string })[] = [];
  let unchanged = 0;
  const existing = new Set<string>();
  for (const link of current) {
    const key = pairKey(link);
    existing.add(key);
    const wanted = desired.get(key);
    if (!wanted) close.push({ linkId: link.linkId, datastreamKey: link.datastreamKey, at: at(link.datastreamKey) });
    else if (!sameLink(wanted, link)) update.push({ ...wanted, linkId: link.linkId });
    else unchanged++;
  }
  const open = [...desired].filter(([key]) => !existing.has(key)).map(([, candidate]) => ({ ...candidate, at: at(candidate.datastreamKey) }));
  await store.sensors.links.apply({ close, open, update });
  return { opened: open.length, closed: close.length, updated: update.length, unchanged, missingCollections: [] };
}

function added(a: LinkRefreshSummary, b: LinkRefreshSummary): LinkRefreshSummary {
  return {
    opened: a.opened + b.opened,
    closed: a.closed + b.closed,
    updated: a.updated + b.updated,
    unchanged: b.unchanged,
    missingCollections: [...new Set([...a.missingCollections, ...b.missingCollections])],
  };
}

const missing = (collections: Map<string, Collection | null>) => [...collections].filter(([, c]) => !c).map(([id]) => id);

/**
 * Follows the moves of the source's datastreams (all, or those given): each place of a location
 * history newer than the one the links were computed for is linked in turn, oldest first, and the
 * links it closes and opens carry that place's time (a HistoricalLocation's time, the phenomenon
 * time of the payload that moved the sensor), so the link history says where the sensor was when.
 * The n-th pending places of all datastreams are linked together, one round per place.
 */
export async function followMoves(store: SensorPorts, mapping: SensorMapping, source: SensorSourceInfo, datastreamKeys: readonly number[] | null): Promise<LinkRefreshSummary> {
  const collections = await targetCollections(store, mapping.links);
  let summary: LinkRefreshSummary = { opened: 0, closed: 0, updated: 0, unchanged: 0, missingCollections: missing(collections) };
  if (mapping.links.length === 0) return summary;
  const queues = new Map<number, PlaceRef[]>();
  for (const place of await store.sensors.links.pendingPlaces(source.key, datastreamKeys)) {
    (queues.get(place.datastreamKey) ?? queues.set(place.datastreamKey, []).get(place.datastreamKey)!).push(place);
  }
  for (let round = 0; ; round++) {
    const places = [...queues.values()].flatMap((queue) => queue.slice(round, round + 1));
    if (places.length === 0) return summary;
    const keys = places.map((p) => p.datastreamKey);
    const times = new Map(places.map((p) => [p.datastreamKey, p.time]));
    const desired = await desiredLinks(store, source, mapping.links, collections, keys, places);
    const current = await store.sensors.links.current(source.key, keys);
    summary = added(summary, await reconcile(store, current, desired, (key) => times.get(key) ?? null));
    await store.sensors.links.placesLinked(places);
  }
}

/**
 * When links change because the assets did: now, except for the first links of a datastream that
 * has no place (a property rule's standing relation, which holds as far back as its observations go).
 */
async function assetChangeTimes(store: SensorPorts, source: SensorSourceInfo, keys: readonly number[] | null): Promise<(datastreamKey: number) => string | null> {
  const placeless = await store.sensors.links.unlinkedPlaceless(source.key, keys);
  return (key) => (placeless.has(key) ? SINCE_EVER : null);
}

/**
 * Brings all of a source's links in line with its rules: first the datastreams' moves (see
 * followMoves), then the assets as they are now (changes dated now, see assetChangeTimes); records the asset
 * collections' data versions, so a later change of the assets is noticed.
 */
export async function refreshLinks(store: SensorPorts, mapping: SensorMapping, source: SensorSourceInfo): Promise<LinkRefreshSummary> {
  const moves = await followMoves(store, mapping, source, null);
  const collections = await targetCollections(store, mapping.links);
  const desired = await desiredLinks(store, source, mapping.links, collections, null);
  const current = await store.sensors.links.current(source.key, null);
  const assets = await reconcile(store, current, desired, await assetChangeTimes(store, source, null));
  for (const collection of collections.values()) if (collection) await store.sensors.links.saveState(source.key, collection.key, collection.dataVersion);
  return added(moves, { ...assets, missingCollections: missing(collections) });
}

/**
 * After a harvest or an import changed features of an asset collection (those updated since
 * `since`, retired ones included): the links of the source's datastreams that these assets may
 * concern follow, dated now. A source whose links to the collection were never computed gets a
 * full refresh instead.
 */
export async function refreshAssetLinks(store: SensorPorts, mapping: SensorMapping, source: SensorSourceInfo, collection: Collection, since: string): Promise<LinkRefreshSummary> {
  const rules = mapping.links.filter((rule) => rule.collection === collection.id);
  const none: LinkRefreshSummary = { opened: 0, closed: 0, updated: 0, unchanged: 0, missingCollections: [] };
  if (rules.length === 0) return none;
  if (!(await store.sensors.links.states(source.key)).has(collection.key)) return refreshLinks(store, mapping, source);
  const moves = await followMoves(store, mapping, source, null);
  const keys = await store.sensors.links.affectedByAssets(source.key, collection.key, rules, since);
  let assets = none;
  if (keys.length) {
    const collections = await targetCollections(store, mapping.links);
    const desired = await desiredLinks(store, source, mapping.links, collections, keys);
    assets = await reconcile(store, await store.sensors.links.current(source.key, keys), desired, await assetChangeTimes(store, source, keys));
  }
  await store.sensors.links.saveState(source.key, collection.key, collection.dataVersion);
  return added(moves, assets);
}

/** True when an asset collection the source links to changed since its links were computed. */
export async function linksStale(store: SensorPorts, mapping: SensorMapping, source: SensorSourceInfo): Promise<boolean> {
  if (mapping.links.length === 0) return false;
  const states = await store.sensors.links.states(source.key);
  const collections = await targetCollections(store, mapping.links);
  for (const collection of collections.values()) {
    if (collection && states.get(collection.key) !== collection.dataVersion) return true;
  }
  return false;
}

// ---------------------------------------------------------------- explanations

/** `collection/featureId`: the feature id is everything after the first slash. */
export function parseAssetReference(raw: string): { collectionId: string; assetId: string } {
  const slash = raw.indexOf('/');
  if (slash <= 0 || slash === raw.length - 1) throw new InvalidParameterError('asset', `asset must be <collection>/<feature id>, got '${raw}'`);
  return { collectionId: raw.slice(0, slash), assetId: raw.slice(slash + 1) };
}


export interface RuleExplanation {
  readonly rule: string;
  readonly kind: LinkRule['kind'];
  readonly priority: number;
  readonly collection: string;
  /** The mapping that declares the rule (the sensor mapping, or an asset mapping). */
  readonly declaredIn: string;
  /** Whether this rule can link the asset at all (it targets the asset's collection and applies to the datastream). */
  readonly applies: boolean;
  /** What the rule decides for this datastream: the assets it picks. */
  readonly picks: readonly { assetId: string; distanceM: number | null }[];
  readonly matchesAsset: boolean;
  /** Distance between the sensor's place and the asset (metres), when both have a geometry. */
  readonly distanceM: number | null;
  readonly threshold: number | null;
  /** Nearby assets the rule considered, nearest first. */
  readonly candidates: readonly AssetCandidate[];
  readonly reason: string;
}

export interface LinkExplanation {
  readonly asset: { readonly collection: string; readonly id: string; readonly exists: boolean };
  readonly datastream: { readonly id: string; readonly name: string; readonly source: string; readonly location: unknown; readonly locationTime: string | null };
  readonly linked: boolean;
  /** Which rule made the link, or why none did. */
  readonly summary: string;
  readonly rules: readonly RuleExplanation[];
  /** Every link this pair has had, current and closed. */
  readonly history: readonly StoredLink[];
}

const metres = (m: number | null) => (m === null ? 'an unknown distance' : `${m.toFixed(m < 10 ? 3 : 1)} m`);

/** Says why the datastream is linked to the asset or not: each rule's verdict with distances and the candidates it considered. */
export async function explainLink(
  store: SensorPorts,
  mappings: readonly SensorMapping[],
  request: { collectionId: string; assetId: string; datastreamId: string },
): Promise<LinkExplanation> {
  const datastream = await store.sensors.datastreamDetail(request.datastreamId);
  if (!datastream) throw new ResourceNotFoundError(`datastream '${request.datastreamId}'`);
  const collection = await store.collections.get(request.collectionId);
  if (!collection) throw new ResourceNotFoundError(`collection '${request.collectionId}'`);
  const mapping = mappings.find((m) => m.id === datastream.sourceId);
  const measured = await store.sensors.links.measure(collection.key, request.assetId, datastream.key);
  const history = await store.sensors.links.history({ collectionKey: collection.key, assetId: request.assetId, datastreamKey: datastream.key });
  const current = history.find((l) => l.validTo === null) ?? null;
  const source = (await store.sensors.sources()).find((s) => s.key === datastream.sourceKey)!;

  const explanations: RuleExplanation[] = [];
  for (const rule of ordered(mapping?.links ?? [])) {
    const described = { rule: rule.name, kind: rule.kind, priority: rule.priority, collection: rule.collection, declaredIn: rule.declaredIn };
    const outside =
      rule.collection !== collection.id
        ? `links assets of '${rule.collection}', not of '${collection.id}'`
        : rule.datastreams && !rule.datastreams.includes(datastream.id)
          ? `applies to the datastreams ${rule.datastreams.map((id) => `'${id}'`).join(', ')} only`
          : null;
    if (outside) {
      explanations.push({ ...described, applies: false, picks: [], matchesAsset: false, distanceM: null, threshold: null, candidates: [], reason: outside });
      continue;
    }
    if (rule.kind === 'nearest' || rule.kind === 'buffer') await store.sensors.links.prepareTarget(collection.key);
    const picks = (await store.sensors.links.candidates(source.key, collection.key, rule, [datastream.key])).map((c) => ({ assetId: c.assetId, distanceM: c.distanceM }));
    const matchesAsset = picks.some((p) => p.assetId === request.assetId);
    const distance = measured?.distanceM ?? null;
    const threshold = rule.kind === 'nearest' ? rule.maxDistance : rule.kind === 'buffer' ? rule.distance : null;
    const candidates = datastream.geometry && rule.kind !== 'property' ? await store.sensors.links.nearby(collection.key, datastream.geometry, Math.max(threshold ?? 0, (distance ?? 0) + 1, 50), 5) : [];
    let reason: string;
    if (!measured) reason = `asset '${request.assetId}' does not exist in '${collection.id}' (or was retired upstream)`;
    else if (rule.kind !== 'property' && !datastream.geometry) reason = 'the datastream has no known place';
    else {
      switch (rule.kind) {
        case 'nearest': {
          const tied = picks.length > 1 ? ` (tie: ${picks.map((p) => p.assetId).join(', ')} at the same distance)` : '';
          if (distance !== null && distance > rule.maxDistance) reason = `the asset is ${metres(distance)} away, beyond maxDistance ${rule.maxDistance} m`;
          else if (matchesAsset) reason = `the asset is the nearest within ${rule.maxDistance} m, at ${metres(distance)}${tied}`;
          else if (picks.length) {
            const nearer = picks[0]!;
            const tie = rule.ties === 'first' && nearer.distanceM === distance ? ` at the same distance; ties go to the first id, and '${nearer.assetId}' sorts first` : ` at ${metres(nearer.distanceM)}`;
            reason = `'${nearer.assetId}' is nearer${tie}; this asset is ${metres(distance)} away`;
          } else reason = `no asset within ${rule.maxDistance} m`;
          break;
        }
        case 'contains':
          reason = measured.covers ? "the sensor's place lies inside the asset's geometry" : `the sensor's place is outside the asset's geometry (${metres(distance)} from it)`;
          break;
        case 'buffer':
          reason = distance !== null && distance <= rule.distance ? `the sensor is ${metres(distance)} from the asset, within ${rule.distance} m` : `the sensor is ${metres(distance)} from the asset, beyond ${rule.distance} m`;
          break;
        case 'property': {
          const assetValue = await measured.assetValue(rule.assetProperty === '$id' ? ['$id'] : rule.assetProperty.split('.'));
          const shownAsset = rule.assetProperty === '$id' ? request.assetId : assetValue;
          reason = matchesAsset
            ? `the datastream's ${rule.sensorProperty.join('.')} equals the asset's ${rule.assetProperty} (${JSON.stringify(shownAsset)})`
            : `the datastream's ${rule.sensorProperty.join('.')} is ${picks.length ? `the ${rule.assetProperty} of ${picks.map((p) => `'${p.assetId}'`).join(', ')}` : 'no asset\'s ' + rule.assetProperty}, the asset's is ${JSON.stringify(shownAsset)}`;
          break;
        }
      }
    }
    explanations.push({ ...described, applies: true, picks, matchesAsset, distanceM: distance, threshold, candidates, reason });
  }

  const deciding = explanations.find((e) => e.applies && e.picks.length > 0);
  let summary: string;
  if (!mapping) summary = `the datastream's source '${datastream.sourceId}' is not among the loaded mappings, so its rules are unknown`;
  else if (!explanations.some((e) => e.applies)) summary = `no link rule of '${mapping.id}' targets the collection '${collection.id}'`;
  else if (current) summary = `linked by rule '${current.rule}' (${current.ruleKind}, priority ${current.priority})${current.distanceM !== null ? ` at ${metres(current.distanceM)}` : ''} since ${current.validFrom}`;
  else if (deciding && !deciding.matchesAsset) summary = `not linked: rule '${deciding.rule}' (priority ${deciding.priority}) decides for this datastream and picks ${deciding.picks.map((p) => `'${p.assetId}'`).join(', ')}; ${deciding.reason}`;
  else if (deciding) summary = `rule '${deciding.rule}' would link them, but the link is not stored yet (links are refreshed by the maintenance job and \`placelink links refresh\`)`;
  else summary = `not linked: no rule finds an asset for this datastream (${explanations.filter((e) => e.applies).map((e) => `${e.rule}: ${e.reason}`).join('; ')})`;

  return {
    asset: { collection: collection.id, id: request.assetId, exists: measured !== null },
    datastream: { id: datastream.id, name: datastream.name, source: datastream.sourceId, location: datastream.geometry, locationTime: datastream.locationTime },
    linked: current !== null,
    summary,
    rules: explanations,
    history,
  };
}
