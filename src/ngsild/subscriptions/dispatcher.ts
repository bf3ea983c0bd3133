import { randomUUID } from 'node:crypto';
import type { EntityQuery, EntityRow, EntitySelection } from '../../domain/entity.js';
import type { Logger } from '../../logger.js';
import type { EntityService } from '../../services/entities/entity-service.js';
import type { NewNotification, SubscriptionStore } from '../../services/ports/subscription-ports.js';
import type { TermMaps } from '../context/term-map.js';
import type { EntityType } from '../entities/entity-types.js';
import { resolveGeoQuery, resolveQuery } from '../entities/query-resolution.js';
import { joinEntities, type LinkedEntityDeps, type TypedRow } from '../entities/linked-entities.js';
import { MEDIA } from '../vocabulary.js';
import { currentState, encodeOptions, notificationData, notifiedEntity, touchedAttributes } from './notification-content.js';
import { combineChanges, compileSubscription, selects, triggers, type ChangedEntity, type CompiledSubscription } from './subscription-matching.js';

export interface DispatcherDeps {
  readonly store: Pick<SubscriptionStore, 'changes' | 'outbox' | 'reacting'>;
  readonly entities: Pick<EntityService, 'query'>;
  /** The entity types there are; `fresh`: read again now (a change named a collection the last read did not know). */
  readonly types: (fresh: boolean) => Promise<EntityType[]>;
  readonly terms: TermMaps;
  readonly logger: Logger;
  /** Changes claimed per round. */
  readonly batchSize: number;
}

/** How long a claim on changes or on a periodic subscription holds before another process may take it over. */
const CLAIM_LEASE_MS = 60_000;
/** Periodic subscriptions produced per round. */
const PERIODIC_BATCH = 10;
/** The most entities a periodic notification carries (the largest page a query returns). */
const PERIODIC_LIMIT = 1000;

const rowKey = (collectionKey: number, id: string) => `${collectionKey}\u0000${id}`;

/** The selection of one entity type, with or without the subscription's q and geoQ resolved for it. */
function selection(type: EntityType, compiled: CompiledSubscription | null): EntitySelection {
  return {
    collectionKeys: [type.collection.key],
    condition: compiled?.q ? resolveQuery(compiled.q.value, type, compiled.q.terms) : null,
    anyAttribute: null,
    withLocation: false,
    linked: type.linked,
    geo: compiled?.geo ? resolveGeoQuery(compiled.geo.value, type, compiled.geo.terms) : null,
  };
}

/**
 * Turns committed changes into notifications: each round claims a batch of change rows, matches
 * each changed entity against the subscriptions, reads the entities as they are now (q and geoQ
 * evaluated by the entity query in the database), and writes one notification per subscription into
 * the outbox in the transaction that removes the change rows. Periodic subscriptions are produced
 * when their time has come.
 */
export function dispatcher(deps: DispatcherDeps) {
  async function compiled(types: readonly EntityType[]): Promise<CompiledSubscription[]> {
    const subscriptions = await deps.store.reacting();
    const out: CompiledSubscription[] = [];
    for (const subscription of subscriptions) {
      try {
        out.push(await compileSubscription(subscription, types, deps.terms));
      } catch (error) {
        // Its @context could not be loaded now: its notifications of this round are lost, the others go out.
        deps.logger.warn({ err: error, subscription: subscription.id }, 'a subscription cannot be matched now; its notifications of these changes are skipped');
      }
    }
    return out;
  }

  /** Rows of entities by collection and id, read together. */
  async function rows(types: ReadonlyMap<number, EntityType>, wanted: readonly ChangedEntity[], compiled: CompiledSubscription | null): Promise<Map<string, EntityRow>> {
    const keys = [...new Set(wanted.map((e) => e.collectionKey))];
    const ids = [...new Set(wanted.map((e) => e.entityId))];
    const out = new Map<string, EntityRow>();
    if (keys.length === 0) return out;
    const query: EntityQuery = { parts: keys.map((key) => selection(types.get(key)!, compiled)), ids, idPattern: null, limit: ids.length * keys.length, offset: 0, count: false };
    for (const row of (await deps.entities.query(query)).rows) out.set(rowKey(row.collectionKey, row.id), row);
    return out;
  }

  /** The notification of one subscription for the changed entities it selects; null when no change fires it. */
  async function notificationOf(c: CompiledSubscription, entities: readonly ChangedEntity[], current: ReadonlyMap<string, EntityRow>, byKey: ReadonlyMap<number, EntityType>): Promise<NewNotification | null> {
    let chosen = entities.filter((e) => {
      const row = current.get(rowKey(e.collectionKey, e.entityId)) ?? null;
      if (e.event !== 'deleted' && !row) return false;
      return triggers(c, e.event, touchedAttributes(e, row, byKey.get(e.collectionKey)!, c.output));
    });
    if (chosen.length && (c.q || c.geo)) {
      // A deleted entity can no longer be tested; it is notified to the subscriptions that select it.
      const matching = await rows(byKey, chosen.filter((e) => e.event !== 'deleted'), c);
      chosen = chosen.filter((e) => e.event === 'deleted' || matching.has(rowKey(e.collectionKey, e.entityId)));
    }
    const notified = chosen.flatMap((e) => {
      const row = current.get(rowKey(e.collectionKey, e.entityId)) ?? null;
      const entity = notifiedEntity(c, e, row, byKey.get(e.collectionKey)!);
      return entity ? [{ entity, typed: e.event !== 'deleted' && row ? { row, type: byKey.get(e.collectionKey)! } : null }] : [];
    });
    if (notified.length === 0) return null;
    const data = await joined(c, notified, byKey);
    return {
      id: randomUUID(),
      subscriptionId: c.subscription.id,
      data: notificationData(c, data),
      changedAt: chosen.map((e) => e.changedAt).reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b)),
      coalesce: c.subscription.throttling !== null,
    };
  }

  /**
   * The entities of a notification with the entities they link to, when the subscription asks for a
   * join (clause 4.5.23): inside their Relationships, or after them. Deleted entities are not joined.
   */
  async function joined(c: CompiledSubscription, notified: readonly { entity: Record<string, unknown>; typed: TypedRow | null }[], byKey: ReadonlyMap<number, EntityType>): Promise<Record<string, unknown>[]> {
    const join = c.subscription.definition.notification.join;
    const joinable = notified.filter((n) => n.typed !== null);
    if (!join || joinable.length === 0 || c.subscription.definition.notification.endpoint.accept === MEDIA.geoJson) return notified.map((n) => n.entity);
    const options = encodeOptions(c);
    const linked: LinkedEntityDeps = {
      rowsOf: async (ids) => {
        const query: EntityQuery = { parts: [...byKey.values()].map((t) => selection(t, null)), ids, idPattern: null, limit: Math.min(PERIODIC_LIMIT, ids.length * byKey.size), offset: 0, count: false };
        return (await deps.entities.query(query)).rows.map((row) => ({ row, type: byKey.get(row.collectionKey)! }));
      },
      encode: (typed) => currentState(c, typed.row, typed.type),
      optionsOf: () => options,
    };
    const result = await joinEntities(
      joinable.map((n) => n.typed!),
      { attrs: null, pick: null, omit: null },
      { mode: join, level: c.subscription.definition.notification.joinLevel ?? 1 },
      linked,
      joinable.map((n) => n.entity),
    );
    const byEntity = new Map(joinable.map((n, i) => [n.entity, result.entities[i]!]));
    return [...notified.map((n) => byEntity.get(n.entity) ?? n.entity), ...result.linked];
  }

  /** Notifications of one claimed batch of changes. */
  async function notificationsFor(changes: Parameters<typeof combineChanges>[0]): Promise<NewNotification[]> {
    let types = await deps.types(false);
    const changed = combineChanges(changes);
    if (changed.some((e) => !types.some((t) => t.collection.key === e.collectionKey))) types = await deps.types(true);
    const byKey = new Map(types.map((t) => [t.collection.key, t]));
    const known = changed.filter((e) => byKey.has(e.collectionKey));
    const subscriptions = await compiled(types);
    const candidates = subscriptions.map((c) => ({ compiled: c, entities: known.filter((e) => selects(c, e)) })).filter((c) => c.entities.length > 0);
    if (candidates.length === 0) return [];
    const current = await rows(byKey, [...new Set(candidates.flatMap((c) => c.entities))].filter((e) => e.event !== 'deleted'), null);
    const notifications: NewNotification[] = [];
    for (const { compiled: c, entities } of candidates) {
      try {
        const notification = await notificationOf(c, entities, current, byKey);
        if (notification) notifications.push(notification);
      } catch (error) {
        // One subscription that cannot be evaluated must not hold up the notifications of the others.
        deps.logger.warn({ err: error, subscription: c.subscription.id }, 'a subscription could not be evaluated; its notification of these changes is skipped');
      }
    }
    return notifications;
  }

  /** The notification of a periodic subscription: every entity it selects, as it is now. */
  async function periodicNotification(compiled: CompiledSubscription, types: readonly EntityType[]): Promise<NewNotification | null> {
    const selectors = compiled.selectors ?? [];
    const selected = types.filter((t) => selectors.some((s) => s.keys.has(t.collection.key)));
    if (selected.length === 0) return null;
    const entities = compiled.subscription.definition.entities ?? [];
    const ids = entities.every((e) => e.id !== undefined) ? entities.map((e) => e.id!) : null;
    const patterns = entities.filter((e) => e.id === undefined && e.idPattern !== undefined).map((e) => `(${e.idPattern})`);
    const query: EntityQuery = {
      parts: selected.map((t) => selection(t, compiled)),
      ids,
      idPattern: ids === null && patterns.length === entities.length ? patterns.join('|') : null,
      limit: PERIODIC_LIMIT,
      offset: 0,
      count: false,
    };
    const byKey = new Map(selected.map((t) => [t.collection.key, t]));
    const found = (await deps.entities.query(query)).rows.filter((row) => selects(compiled, { collectionKey: row.collectionKey, entityId: row.id }));
    if (found.length === 0) return null;
    const data = found.map((row) => currentState(compiled, row, byKey.get(row.collectionKey)!));
    return { id: randomUUID(), subscriptionId: compiled.subscription.id, data: notificationData(compiled, data), changedAt: new Date().toISOString(), coalesce: false };
  }

  return {
    /** One batch of changes; how many changes it handled (0: none were waiting). */
    async round(): Promise<number> {
      const claim = await deps.store.changes.claim(deps.batchSize, CLAIM_LEASE_MS);
      if (!claim) return 0;
      let notifications: NewNotification[];
      try {
        notifications = await notificationsFor(claim.changes);
      } catch (error) {
        // The next round (after the poll interval) tries them again, rather than after the lease.
        await deps.store.changes.release(claim).catch(() => {});
        throw error;
      }
      if (!(await deps.store.changes.settle(claim, notifications))) deps.logger.warn({ changes: claim.changes.length }, 'another process took over changes this one had claimed; it notifies for them');
      return claim.changes.length;
    },

    /** The periodic subscriptions whose time has come; how many. */
    async periodic(): Promise<number> {
      const due = await deps.store.outbox.claimPeriodic(PERIODIC_BATCH, CLAIM_LEASE_MS);
      if (due.length === 0) return 0;
      const types = await deps.types(false);
      for (const subscription of due) {
        let notification: NewNotification | null = null;
        try {
          notification = await periodicNotification(await compileSubscription(subscription, types, deps.terms), types);
        } catch (error) {
          deps.logger.warn({ err: error, subscription: subscription.id }, 'a periodic notification could not be made; the next period tries again');
        }
        await deps.store.outbox.settlePeriodic(subscription.id, notification);
      }
      return due.length;
    },
  };
}

export type Dispatcher = ReturnType<typeof dispatcher>;
