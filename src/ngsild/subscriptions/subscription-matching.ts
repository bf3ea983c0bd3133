import type { EntityChange, NotificationTrigger, PreviousState, StoredSubscription } from '../../domain/subscription.js';
import { DEFAULT_TRIGGERS } from '../../domain/subscription.js';
import type { TermMap, TermMaps } from '../context/term-map.js';
import type { EntityType } from '../entities/entity-types.js';
import { selectTypes } from '../entities/query-resolution.js';
import { parseGeoQ, type GeoQuery } from '../query/geo-query.js';
import { parseQuery, type QExpression } from '../query/q-language.js';
import { parseTypeSelection } from '../query/type-selection.js';

/**
 * Which subscriptions an entity change concerns (clause 5.8.6 and 5.2.12): its entity selectors
 * (type, id, id pattern), its notification triggers and watched attributes; q and geoQ are left to
 * the database (dispatcher.ts).
 */

interface CompiledSelector {
  readonly keys: ReadonlySet<number>;
  readonly id: string | null;
  readonly idPattern: RegExp | null;
}

/** A condition in a request language with the names it is written in. */
export interface Written<T> {
  readonly value: T;
  readonly terms: TermMap;
}

export interface CompiledSubscription {
  readonly subscription: StoredSubscription;
  /** The names notifications are written in: jsonldContext, or the subscription's @context. */
  readonly output: TermMap;
  /** The entity collections it selects (one per selector); null: every entity. */
  readonly selectors: readonly CompiledSelector[] | null;
  /** Attribute IRIs; null: any attribute. */
  readonly watched: ReadonlySet<string> | null;
  readonly triggers: ReadonlySet<NotificationTrigger>;
  readonly q: Written<QExpression> | null;
  readonly geo: Written<GeoQuery> | null;
}

/** A subscription ready to be matched against the entity types there are now. */
export async function compileSubscription(subscription: StoredSubscription, types: readonly EntityType[], terms: TermMaps): Promise<CompiledSubscription> {
  const d = subscription.definition;
  const output = await terms.of(d.jsonldContext !== undefined ? [d.jsonldContext] : subscription.context);
  const selectors =
    d.entities?.map((selector) => ({
      // Names are stored as IRIs: any context expands them to themselves.
      keys: new Set(selectTypes(parseTypeSelection(selector.type), types, output).map((t) => t.collection.key)),
      id: selector.id ?? null,
      idPattern: selector.id === undefined && selector.idPattern !== undefined ? new RegExp(selector.idPattern, 'u') : null,
    })) ?? null;
  return {
    subscription,
    output,
    selectors,
    watched: d.watchedAttributes ? new Set(d.watchedAttributes) : null,
    triggers: new Set(d.notificationTrigger ?? DEFAULT_TRIGGERS),
    q: d.q ? { value: parseQuery(d.q.value, { parameter: 'q' }), terms: await terms.of(d.q.context) } : null,
    geo: d.geoQ ? { value: parseGeoQ(d.geoQ.value), terms: await terms.of(d.geoQ.context) } : null,
  };
}

/** The changes of one entity in a batch, as one: the entity as it is now against the earliest previous state. */
export interface ChangedEntity {
  readonly collectionKey: number;
  readonly entityId: string;
  readonly event: 'created' | 'updated' | 'deleted';
  /** Stored attribute names. */
  readonly created: ReadonlySet<string>;
  readonly updated: ReadonlySet<string>;
  readonly deleted: ReadonlySet<string>;
  readonly previous: PreviousState | null;
  /** When the first of its changes was written. */
  readonly changedAt: string;
  /** The only subscriptions the change is for (a push's first sync); null: every subscription. */
  readonly onlyFor: ReadonlySet<string> | null;
}

/** Changes for some subscriptions only stay so when combined only with such changes. */
function combinedAudience(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): ReadonlySet<string> | null {
  return a === null || b === null ? null : new Set([...a, ...b]);
}

const entityKey = (collectionKey: number, entityId: string) => `${collectionKey}\u0000${entityId}`;

function mergedPrevious(earlier: PreviousState | null, later: PreviousState | null): PreviousState | null {
  if (!earlier || !later) return earlier ?? later;
  return {
    values: { ...later.values, ...earlier.values },
    attributes: earlier.attributes || later.attributes ? { ...later.attributes, ...earlier.attributes } : null,
    location: earlier.location ?? later.location,
    createdAt: earlier.createdAt ?? later.createdAt,
    modifiedAt: earlier.modifiedAt ?? later.modifiedAt,
  };
}

/**
 * The changes of a batch per entity, in the order entities first changed. A deletion ends what came
 * before it; a creation (or one after a deletion) stays a creation, with the attribute changes after
 * it; updates add up.
 */
export function combineChanges(changes: readonly EntityChange[]): ChangedEntity[] {
  const out = new Map<string, ChangedEntity>();
  for (const change of changes) {
    const key = entityKey(change.collectionKey, change.entityId);
    const before = out.get(key);
    const own = { ...change, created: new Set(change.created), updated: new Set(change.updated), deleted: new Set(change.deleted), onlyFor: change.onlyFor === null ? null : new Set([change.onlyFor]) };
    if (!before) out.set(key, own);
    else if (change.event === 'deleted') out.set(key, { ...own, changedAt: before.changedAt, onlyFor: combinedAudience(before.onlyFor, own.onlyFor) });
    else if (change.event === 'created' || before.event === 'deleted') out.set(key, { ...own, event: 'created', changedAt: before.changedAt, onlyFor: combinedAudience(before.onlyFor, own.onlyFor) });
    else {
      out.set(key, {
        ...before,
        onlyFor: combinedAudience(before.onlyFor, own.onlyFor),
        created: new Set([...before.created, ...own.created]),
        updated: new Set([...before.updated, ...own.updated]),
        deleted: new Set([...before.deleted, ...own.deleted].filter((name) => !own.created.has(name))),
        previous: before.event === 'created' ? null : mergedPrevious(before.previous, change.previous),
      });
    }
  }
  return [...out.values()];
}

/** Whether a subscription's entity selectors take the entity (and a change meant for some subscriptions only is meant for it). */
export function selects(compiled: CompiledSubscription, entity: Pick<ChangedEntity, 'collectionKey' | 'entityId'> & { readonly onlyFor?: ReadonlySet<string> | null }): boolean {
  if (entity.onlyFor && !entity.onlyFor.has(compiled.subscription.id)) return false;
  if (compiled.selectors === null) return true;
  return compiled.selectors.some((s) => s.keys.has(entity.collectionKey) && (s.id === null || s.id === entity.entityId) && (s.idPattern === null || s.idPattern.test(entity.entityId)));
}

/**
 * The attributes (IRIs) an entity change created, updated and deleted. A created entity has created
 * all it has (and `updated` holds what changed after its creation in the same batch); a deleted one
 * deleted all it had.
 */
export interface TouchedAttributes {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
}

/** Whether the change fires one of the subscription's triggers on an attribute it watches (clause 5.2.12 notificationTrigger). */
export function triggers(compiled: CompiledSubscription, event: ChangedEntity['event'], touched: TouchedAttributes): boolean {
  const watched = (names: readonly string[]) => compiled.watched === null || names.some((name) => compiled.watched!.has(name));
  // An entity trigger fires for an entity without attributes too; an attribute trigger needs one.
  const on = (trigger: NotificationTrigger, names: readonly string[]) => compiled.triggers.has(trigger) && (trigger.startsWith('entity') || names.length > 0) && watched(names);
  const updates = () => on('attributeUpdated', touched.updated) || on('attributeDeleted', touched.deleted);
  switch (event) {
    case 'created':
      return on('entityCreated', touched.created) || on('attributeCreated', touched.created) || (touched.updated.length + touched.deleted.length > 0 && (on('entityUpdated', [...touched.updated, ...touched.deleted]) || updates()));
    case 'deleted':
      return on('entityDeleted', touched.deleted) || on('attributeDeleted', touched.deleted);
    case 'updated':
      return on('entityUpdated', [...touched.created, ...touched.updated, ...touched.deleted]) || on('attributeCreated', touched.created) || updates();
  }
}
