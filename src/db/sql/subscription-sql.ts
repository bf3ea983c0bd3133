import type { DeliveryOutcome, NewNotification } from '../../services/ports/subscription-ports.js';
import type { SubscriptionRecord } from '../../domain/subscription.js';
import { type SqlQuery } from './sql-query.js';

/**
 * NGSI-LD subscriptions, the change log the triggers of migration 0040 write, and the outbox of
 * notifications. Claims mark rows with a lease (claimed_until / lease_until) in one statement that
 * locks them FOR UPDATE SKIP LOCKED, so processes never wait for each other and a claim of a process
 * that died runs out.
 */

const TIME = (column: string) => `placelink_rfc3339(${column})`;

/** Is subscription `s` active and not expired. */
const LIVE = `s.is_active AND (s.expires_at IS NULL OR s.expires_at > now())`;

const SUBSCRIPTION_COLUMNS = `s.subscription_id, s.definition, s.context, s.is_active, ${TIME('s.expires_at')} AS expires_at, s.throttling_s, s.time_interval_s,
  s.times_sent::text AS times_sent, s.times_failed::text AS times_failed, ${TIME('s.last_notification')} AS last_notification,
  ${TIME('s.last_success')} AS last_success, ${TIME('s.last_failure')} AS last_failure, s.last_status,
  ${TIME('s.created_at')} AS created_at, ${TIME('s.modified_at')} AS modified_at, s.push_to`;

/** A subscription made through the API (not one of placelink's pushes). */
const LISTED = 's.push_to IS NULL';

export interface SubscriptionRow {
  subscription_id: string;
  definition: SubscriptionRecord['definition'];
  context: unknown[];
  is_active: boolean;
  expires_at: string | null;
  throttling_s: number | null;
  time_interval_s: number | null;
  times_sent: string;
  times_failed: string;
  last_notification: string | null;
  last_success: string | null;
  last_failure: string | null;
  last_status: 'ok' | 'failed' | null;
  created_at: string;
  modified_at: string;
  push_to: string | null;
}

export interface ChangeRow {
  change_id: string;
  collection_key: number;
  entity_id: string;
  event: 'created' | 'updated' | 'deleted';
  created: string[];
  updated: string[];
  deleted: string[];
  previous: { p?: Record<string, unknown>; a?: Record<string, never>; g?: never; cr?: string; mo?: string } | null;
  changed_at: string;
  only_subscription: string | null;
}

export interface LaneRow extends SubscriptionRow {
  consecutive_failures: number;
  notification_id: string;
  data: unknown;
  changed_at_notification: string;
}

const recordValues = (r: SubscriptionRecord) => [r.id, JSON.stringify(r.definition), JSON.stringify(r.context), r.isActive, r.expiresAt, r.throttling, r.timeInterval];

/** Arrays of the notifications' columns, for unnest. */
const notificationArrays = (notifications: readonly NewNotification[]) => [
  notifications.map((n) => n.id),
  notifications.map((n) => n.subscriptionId),
  notifications.map((n) => JSON.stringify(n.data)),
  notifications.map((n) => n.changedAt),
];

export const subscriptionSql = {
  /** Periodic subscriptions are first due one interval after their creation. */
  create: (record: SubscriptionRecord): SqlQuery => ({
    text: `INSERT INTO ngsild_subscription (subscription_id, definition, context, is_active, expires_at, throttling_s, time_interval_s, next_periodic_at)
           VALUES ($1, $2::jsonb, $3::jsonb, $4, $5::timestamptz, $6, $7, now() + $7 * interval '1 second')
           ON CONFLICT (subscription_id) DO NOTHING RETURNING 1`,
    values: recordValues(record),
  }),

  /** A new time interval restarts the period; a subscription made active again forgets its backoff. */
  update: (record: SubscriptionRecord): SqlQuery => ({
    text: `UPDATE ngsild_subscription s SET definition = $2::jsonb, context = $3::jsonb, is_active = $4, expires_at = $5::timestamptz,
             throttling_s = $6, time_interval_s = $7, modified_at = now(),
             next_periodic_at = CASE WHEN s.time_interval_s IS DISTINCT FROM $7 THEN now() + $7 * interval '1 second' ELSE s.next_periodic_at END,
             retry_at = CASE WHEN $4 AND NOT s.is_active THEN NULL ELSE s.retry_at END
           WHERE s.subscription_id = $1 AND ${LISTED} RETURNING 1`,
    values: recordValues(record),
  }),

  byId: (id: string): SqlQuery => ({ text: `SELECT ${SUBSCRIPTION_COLUMNS} FROM ngsild_subscription s WHERE s.subscription_id = $1 AND ${LISTED}`, values: [id] }),

  page: (limit: number, offset: number): SqlQuery => ({
    text: `SELECT ${SUBSCRIPTION_COLUMNS} FROM ngsild_subscription s WHERE ${LISTED} ORDER BY s.created_at, s.subscription_id LIMIT $1 OFFSET $2`,
    values: [limit, offset],
  }),

  count: (): SqlQuery => ({ text: `SELECT count(*)::integer AS n FROM ngsild_subscription s WHERE ${LISTED}`, values: [] }),

  remove: (id: string): SqlQuery => ({ text: `DELETE FROM ngsild_subscription s WHERE s.subscription_id = $1 AND ${LISTED} RETURNING 1`, values: [id] }),

  reacting: (): SqlQuery => ({
    name: 'ngsild-reacting-subscriptions',
    text: `SELECT ${SUBSCRIPTION_COLUMNS} FROM ngsild_subscription s WHERE ${LIVE} AND s.time_interval_s IS NULL ORDER BY s.created_at, s.subscription_id`,
    values: [],
  }),

  claimChanges: (limit: number, leaseMs: number, token: string): SqlQuery => ({
    name: 'ngsild-claim-changes',
    text: `UPDATE ngsild_change c SET claimed_until = clock_timestamp() + $2 * interval '1 millisecond', claim_token = $3::uuid
           WHERE c.change_id IN (SELECT x.change_id FROM ngsild_change x WHERE x.claimed_until IS NULL OR x.claimed_until < clock_timestamp()
                                 ORDER BY x.change_id LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING c.change_id::text AS change_id, c.collection_key, c.entity_id, c.event, c.created, c.updated, c.deleted, c.previous,
                     ${TIME('c.changed_at')} AS changed_at, c.only_subscription`,
    values: [limit, leaseMs, token],
  }),

  /**
   * Removes claimed changes and puts their notifications into the outbox in one statement, only when
   * every change is still claimed by this claim (as the statement's snapshot sees them): how many
   * were removed. A claim taken over meanwhile removes nothing here; the process that took it over
   * notifies (at worst twice, never not at all).
   */
  settle: (changeIds: readonly number[], token: string, notifications: readonly NewNotification[]): SqlQuery => ({
    text: `WITH mine AS (
             SELECT count(*) = $3 AS whole FROM ngsild_change WHERE change_id = ANY($1::bigint[]) AND claim_token = $2::uuid
           ), gone AS (
             DELETE FROM ngsild_change c USING mine WHERE mine.whole AND c.change_id = ANY($1::bigint[]) AND c.claim_token = $2::uuid RETURNING 1
           ), written AS (
             INSERT INTO ngsild_notification (notification_id, subscription_id, data, changed_at)
             SELECT i.* FROM unnest($4::uuid[], $5::text[], $6::json[], $7::timestamptz[]) AS i, mine WHERE mine.whole
             RETURNING 1
           )
           SELECT (SELECT count(*) FROM gone)::integer AS n, CASE WHEN EXISTS (SELECT 1 FROM written) THEN pg_notify('placelink_ngsild', '') END AS woken`,
    values: [changeIds, token, changeIds.length, ...notificationArrays(notifications)],
  }),

  releaseChanges: (token: string): SqlQuery => ({ text: 'UPDATE ngsild_change SET claimed_until = NULL, claim_token = NULL WHERE claim_token = $1::uuid', values: [token] }),

  insertNotifications: (notifications: readonly NewNotification[]): SqlQuery => ({
    text: `INSERT INTO ngsild_notification (notification_id, subscription_id, data, changed_at)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::json[], $4::timestamptz[])`,
    values: notificationArrays(notifications),
  }),

  /**
   * A throttled subscription's notification: added to its newest notification no attempt has been
   * made to deliver yet (entities it holds already are replaced by their newer state), or a new one.
   */
  coalesceNotification: (notification: NewNotification): SqlQuery => ({
    text: `WITH pending AS (
             SELECT n.notification_id FROM ngsild_notification n
             WHERE n.subscription_id = $2 AND n.attempts = 0 AND n.lease_until IS NULL
             ORDER BY n.seq DESC LIMIT 1 FOR UPDATE SKIP LOCKED
           ), merged AS (
             UPDATE ngsild_notification n SET data = placelink_ngsild_merge(n.data, $3::json), changed_at = least(n.changed_at, $4::timestamptz)
             FROM pending p WHERE n.notification_id = p.notification_id RETURNING 1
           )
           INSERT INTO ngsild_notification (notification_id, subscription_id, data, changed_at)
           SELECT $1::uuid, $2, $3::json, $4::timestamptz WHERE NOT EXISTS (SELECT 1 FROM merged)`,
    values: [notification.id, notification.subscriptionId, JSON.stringify(notification.data), notification.changedAt],
  }),

  /** Wakes the deliveries of every process. */
  wake: (): SqlQuery => ({ name: 'ngsild-wake', text: `SELECT pg_notify('placelink_ngsild', '')`, values: [] }),

  /**
   * Claims lanes: subscriptions that may be notified now, each with its oldest waiting notifications
   * (one for a throttled subscription, whose next window starts with the claim).
   */
  claimLanes: (lanes: number, perLane: number, leaseMs: number, busy: readonly string[]): SqlQuery => ({
    name: 'ngsild-claim-lanes',
    text: `WITH eligible AS (
             SELECT s.subscription_id, s.throttling_s FROM ngsild_subscription s
             WHERE ${LIVE} AND (s.retry_at IS NULL OR s.retry_at <= now()) AND (s.throttle_until IS NULL OR s.throttle_until <= now())
               AND s.subscription_id <> ALL($4::text[])
               AND EXISTS (SELECT 1 FROM ngsild_notification n WHERE n.subscription_id = s.subscription_id AND (n.lease_until IS NULL OR n.lease_until < now()))
             ORDER BY s.last_notification NULLS FIRST LIMIT $1
             FOR UPDATE OF s SKIP LOCKED
           ), picked AS (
             SELECT p.notification_id, e.subscription_id FROM eligible e
             CROSS JOIN LATERAL (
               SELECT n.notification_id FROM ngsild_notification n
               WHERE n.subscription_id = e.subscription_id AND (n.lease_until IS NULL OR n.lease_until < now())
               ORDER BY n.seq LIMIT CASE WHEN e.throttling_s IS NULL THEN $2 ELSE 1 END
               FOR UPDATE SKIP LOCKED) p
           ), throttled AS (
             UPDATE ngsild_subscription s SET throttle_until = now() + e.throttling_s * interval '1 second'
             FROM eligible e WHERE s.subscription_id = e.subscription_id AND e.throttling_s IS NOT NULL
               AND EXISTS (SELECT 1 FROM picked p WHERE p.subscription_id = e.subscription_id)
           ), claimed AS (
             UPDATE ngsild_notification n SET lease_until = now() + $3 * interval '1 millisecond', attempts = n.attempts + 1
             FROM picked p WHERE n.notification_id = p.notification_id
             RETURNING n.notification_id, n.subscription_id, n.seq, n.data, n.changed_at
           )
           SELECT ${SUBSCRIPTION_COLUMNS}, s.consecutive_failures, c.notification_id::text AS notification_id, c.data,
                  ${TIME('c.changed_at')} AS changed_at_notification
           FROM claimed c JOIN ngsild_subscription s USING (subscription_id)
           ORDER BY s.subscription_id, c.seq`,
    values: [lanes, perLane, leaseMs, busy],
  }),

  /**
   * How lanes went, in one statement: delivered notifications go, the claims of the others are given
   * back (a failed attempt stays counted, an untried one is as if never claimed), and each
   * subscription's counters of clause 5.2.14, failure streak and backoff follow.
   */
  complete: (outcomes: readonly DeliveryOutcome[]): SqlQuery => ({
    text: `WITH delivered AS (
             DELETE FROM ngsild_notification WHERE notification_id = ANY($1::uuid[])
           ), released AS (
             UPDATE ngsild_notification SET lease_until = NULL, attempts = CASE WHEN notification_id = ANY($3::uuid[]) THEN attempts - 1 ELSE attempts END
             WHERE notification_id = ANY($2::uuid[]) OR notification_id = ANY($3::uuid[])
           )
           UPDATE ngsild_subscription s SET times_sent = s.times_sent + o.sent, times_failed = s.times_failed + o.failed,
             last_notification = coalesce(o.last_notification, s.last_notification), last_success = coalesce(o.last_success, s.last_success),
             last_failure = coalesce(o.last_failure, s.last_failure),
             last_status = CASE WHEN o.last_failure IS NOT NULL THEN 'failed' WHEN o.last_success IS NOT NULL THEN 'ok' ELSE s.last_status END,
             consecutive_failures = CASE WHEN o.last_failure IS NOT NULL THEN s.consecutive_failures + 1 WHEN o.last_success IS NOT NULL THEN 0 ELSE s.consecutive_failures END,
             retry_at = o.retry_at
           FROM unnest($4::text[], $5::integer[], $6::integer[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[])
                AS o(subscription_id, sent, failed, last_notification, last_success, last_failure, retry_at)
           WHERE s.subscription_id = o.subscription_id`,
    values: [
      outcomes.flatMap((o) => o.delivered),
      outcomes.flatMap((o) => o.failed),
      outcomes.flatMap((o) => o.untried),
      outcomes.map((o) => o.subscriptionId),
      outcomes.map((o) => o.delivered.length + o.failed.length),
      outcomes.map((o) => o.failed.length),
      outcomes.map((o) => o.lastNotification),
      outcomes.map((o) => o.lastSuccess),
      outcomes.map((o) => o.lastFailure),
      outcomes.map((o) => o.retryAt),
    ],
  }),

  claimPeriodic: (limit: number, leaseMs: number): SqlQuery => ({
    text: `UPDATE ngsild_subscription s SET periodic_lease_until = now() + $2 * interval '1 millisecond'
           WHERE s.subscription_id IN (SELECT x.subscription_id FROM ngsild_subscription x
                                       WHERE x.time_interval_s IS NOT NULL AND x.next_periodic_at <= now()
                                         AND x.is_active AND (x.expires_at IS NULL OR x.expires_at > now())
                                         AND (x.periodic_lease_until IS NULL OR x.periodic_lease_until < now())
                                       ORDER BY x.next_periodic_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING ${SUBSCRIPTION_COLUMNS}`,
    values: [limit, leaseMs],
  }),

  /** The next period follows the last one, or starts now when placelink was not running for a whole period. */
  schedulePeriodic: (subscriptionId: string): SqlQuery => ({
    text: `UPDATE ngsild_subscription SET periodic_lease_until = NULL,
             next_periodic_at = CASE WHEN next_periodic_at + time_interval_s * interval '1 second' > now() THEN next_periodic_at + time_interval_s * interval '1 second'
                                     ELSE now() + time_interval_s * interval '1 second' END
           WHERE subscription_id = $1`,
    values: [subscriptionId],
  }),

  /**
   * Makes placelink's push subscription what the mapping says now: created, or rewritten when its
   * definition, @context or broker changed (a push to another broker starts over). `state`: created,
   * changed or same.
   */
  ensurePush: (record: SubscriptionRecord, pushTo: string): SqlQuery => ({
    text: `WITH before AS (SELECT definition, context, push_to FROM ngsild_subscription WHERE subscription_id = $1),
           upserted AS (
             INSERT INTO ngsild_subscription (subscription_id, definition, context, is_active, push_to)
             VALUES ($1, $2::jsonb, $3::jsonb, true, $4)
             ON CONFLICT (subscription_id) DO UPDATE SET definition = EXCLUDED.definition, context = EXCLUDED.context, push_to = EXCLUDED.push_to,
               is_active = true, retry_at = NULL, consecutive_failures = 0, modified_at = now()
             WHERE (ngsild_subscription.definition, ngsild_subscription.context, ngsild_subscription.push_to)
                   IS DISTINCT FROM (EXCLUDED.definition, EXCLUDED.context, EXCLUDED.push_to)
             RETURNING 1
           )
           SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM before) THEN 'created' WHEN EXISTS (SELECT 1 FROM upserted) THEN 'changed' ELSE 'same' END AS state`,
    values: [record.id, JSON.stringify(record.definition), JSON.stringify(record.context), pushTo],
  }),

  /** Push subscriptions of mappings that no longer push (with what they had still to deliver). */
  retirePushes: (keep: readonly string[]): SqlQuery => ({
    text: 'DELETE FROM ngsild_subscription WHERE push_to IS NOT NULL AND NOT (subscription_id = ANY($1::text[])) RETURNING subscription_id',
    values: [keep],
  }),

  /**
   * A push's first sync: a 'created' change, for this subscription alone, of every current entity of
   * the collection (features with an NGSI-LD id) or, for a sensor mapping, of every Device whose id
   * matches the pattern.
   */
  seedPush: (subscriptionId: string, collectionId: string | null, deviceIdPattern: string | null): SqlQuery => ({
    text: `WITH seeded AS (
             INSERT INTO ngsild_change (collection_key, entity_id, event, only_subscription)
             SELECT f.collection_key, f.ngsi_ld_id, 'created', $1
             FROM feature f JOIN collection c ON c.collection_key = f.collection_key AND c.id = $2 AND c.ngsi_ld_type IS NOT NULL
             WHERE f.ngsi_ld_id IS NOT NULL AND f.retired_at IS NULL
             UNION ALL
             SELECT 0, 'urn:ngsi-ld:Device:' || d.id, 'created', $1
             FROM datastream d WHERE $3::text IS NOT NULL AND ('urn:ngsi-ld:Device:' || d.id) ~ $3
             RETURNING 1
           )
           SELECT count(*)::integer AS n FROM seeded`,
    values: [subscriptionId, collectionId, deviceIdPattern],
  }),
};
