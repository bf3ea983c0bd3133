import { randomUUID } from 'node:crypto';
import type { Geometry } from 'geojson';
import { PlacelinkError } from '../domain/errors.js';
import type { EntityChange, PreviousState, StoredSubscription } from '../domain/subscription.js';
import type { DeliveryLane, PushState, SubscriptionStore } from '../services/ports/subscription-ports.js';
import type { Database } from './database.js';
import { subscriptionSql, type ChangeRow, type LaneRow, type SubscriptionRow } from './sql/subscription-sql.js';

/** The channel settlements notify on when they put notifications into the outbox. */
const CHANNEL = 'placelink_ngsild';

function toSubscription(row: SubscriptionRow): StoredSubscription {
  return {
    id: row.subscription_id,
    definition: row.definition,
    context: row.context,
    isActive: row.is_active,
    expiresAt: row.expires_at,
    throttling: row.throttling_s,
    timeInterval: row.time_interval_s,
    delivery: {
      timesSent: Number(row.times_sent),
      timesFailed: Number(row.times_failed),
      lastNotification: row.last_notification,
      lastSuccess: row.last_success,
      lastFailure: row.last_failure,
      lastStatus: row.last_status,
    },
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    pushTo: row.push_to,
  };
}

function toPrevious(previous: ChangeRow['previous']): PreviousState | null {
  if (previous === null) return null;
  return {
    values: previous.p ?? {},
    attributes: previous.a ?? null,
    location: (previous.g as Geometry | undefined) ?? null,
    createdAt: previous.cr ?? null,
    modifiedAt: previous.mo ?? null,
  };
}

function toChange(row: ChangeRow): EntityChange {
  return {
    changeId: Number(row.change_id),
    collectionKey: row.collection_key,
    entityId: row.entity_id,
    event: row.event,
    created: row.created,
    updated: row.updated,
    deleted: row.deleted,
    previous: toPrevious(row.previous),
    changedAt: row.changed_at,
    onlyFor: row.only_subscription,
  };
}

/** Rows of claimed notifications (one per notification, a lane's in order) grouped into lanes. */
function toLanes(rows: readonly LaneRow[]): DeliveryLane[] {
  const lanes = new Map<string, { subscription: StoredSubscription; consecutiveFailures: number; notifications: DeliveryLane['notifications'][number][] }>();
  for (const row of rows) {
    let lane = lanes.get(row.subscription_id);
    if (!lane) lanes.set(row.subscription_id, (lane = { subscription: toSubscription(row), consecutiveFailures: row.consecutive_failures, notifications: [] }));
    lane.notifications.push({ id: row.notification_id, data: row.data, changedAt: row.changed_at_notification });
  }
  return [...lanes.values()];
}

/** The PostgreSQL implementation of the subscription ports. */
export function subscriptionStore(db: Database): SubscriptionStore {
  return {
    async create(record) {
      return (await db.query(subscriptionSql.create(record))).length > 0;
    },
    async byId(id) {
      const [row] = await db.query<SubscriptionRow>(subscriptionSql.byId(id));
      return row ? toSubscription(row) : null;
    },
    async page(limit, offset) {
      return (await db.query<SubscriptionRow>(subscriptionSql.page(limit, offset))).map(toSubscription);
    },
    async count() {
      const [row] = await db.query<{ n: number }>(subscriptionSql.count());
      return row!.n;
    },
    async update(record) {
      return (await db.query(subscriptionSql.update(record))).length > 0;
    },
    async remove(id) {
      return (await db.query(subscriptionSql.remove(id))).length > 0;
    },
    async reacting() {
      return (await db.query<SubscriptionRow>(subscriptionSql.reacting())).map(toSubscription);
    },

    changes: {
      async claim(limit, leaseMs) {
        const token = randomUUID();
        const rows = await db.query<ChangeRow>(subscriptionSql.claimChanges(limit, leaseMs, token));
        return rows.length ? { token, changes: rows.map(toChange).sort((a, b) => a.changeId - b.changeId) } : null;
      },
      async settle(claim, notifications) {
        const ids = claim.changes.map((c) => c.changeId);
        const coalesced = notifications.filter((n) => n.coalesce);
        if (coalesced.length === 0) {
          const [row] = await db.query<{ n: number }>(subscriptionSql.settle(ids, claim.token, notifications));
          return row!.n === ids.length;
        }
        // Throttled subscriptions' notifications join waiting ones: statements of their own, in one transaction.
        return db
          .transaction(async (tx) => {
            const [row] = await tx.query<{ n: number }>(subscriptionSql.settle(ids, claim.token, notifications.filter((n) => !n.coalesce)));
            if (row!.n !== ids.length) throw new ClaimLostError('the claim on the changes ran out');
            for (const notification of coalesced) await tx.query(subscriptionSql.coalesceNotification(notification));
            await tx.query(subscriptionSql.wake());
            return true;
          })
          .catch((error: unknown) => {
            if (error instanceof ClaimLostError) return false;
            throw error;
          });
      },
      async release(claim) {
        await db.query(subscriptionSql.releaseChanges(claim.token));
      },
    },

    outbox: {
      async claim(lanes, perLane, leaseMs, busy) {
        return toLanes(await db.query<LaneRow>(subscriptionSql.claimLanes(lanes, perLane, leaseMs, busy)));
      },
      async complete(outcomes) {
        await db.query(subscriptionSql.complete(outcomes));
      },
      async claimPeriodic(limit, leaseMs) {
        return (await db.query<SubscriptionRow>(subscriptionSql.claimPeriodic(limit, leaseMs))).map(toSubscription);
      },
      async settlePeriodic(subscriptionId, notification) {
        await db.transaction(async (tx) => {
          if (notification) {
            await tx.query(subscriptionSql.insertNotifications([notification]));
            await tx.query(subscriptionSql.wake());
          }
          await tx.query(subscriptionSql.schedulePeriodic(subscriptionId));
        });
      },
    },

    pushes: {
      async ensure(record, pushTo) {
        const [row] = await db.query<{ state: PushState }>(subscriptionSql.ensurePush(record, pushTo));
        return row!.state;
      },
      async retireExcept(keep) {
        return (await db.query<{ subscription_id: string }>(subscriptionSql.retirePushes(keep))).map((r) => r.subscription_id);
      },
      async seed(subscriptionId, selection) {
        const [row] = await db.query<{ n: number }>(subscriptionSql.seedPush(subscriptionId, selection.collectionId, selection.deviceIdPattern));
        if (row!.n > 0) await db.query(subscriptionSql.wake());
        return row!.n;
      },
    },

    listen: (wake) => db.listen(CHANNEL, wake),
  };
}

/** Rolls back a settlement whose claim another process took over. */
class ClaimLostError extends PlacelinkError {
  readonly code = 'claim-lost';
}
