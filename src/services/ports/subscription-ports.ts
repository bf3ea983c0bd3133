import type { EntityChange, StoredSubscription, SubscriptionRecord } from '../../domain/subscription.js';

/** NGSI-LD subscriptions, stored so they survive restarts and are shared by every placelink process. */
export interface SubscriptionRepository {
  /** false: a subscription with that id exists. */
  create(record: SubscriptionRecord): Promise<boolean>;
  byId(id: string): Promise<StoredSubscription | null>;
  /** In creation order. */
  page(limit: number, offset: number): Promise<StoredSubscription[]>;
  count(): Promise<number>;
  /** Rewrites what the subscription is made of; its delivery counters stay. false: no such subscription. */
  update(record: SubscriptionRecord): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  /** The subscriptions changes are matched against: active, not expired, not periodic. */
  reacting(): Promise<StoredSubscription[]>;
}

/** Changes claimed by one process until `leaseMs` has passed (then another process may take them). */
export interface ClaimedChanges {
  readonly token: string;
  readonly changes: readonly EntityChange[];
}

/** A notification to put into the outbox. */
export interface NewNotification {
  /** A UUID: the notification is `urn:ngsi-ld:Notification:<id>` on every attempt. */
  readonly id: string;
  readonly subscriptionId: string;
  /** The entities as the subscription asks for them (an array, or a GeoJSON FeatureCollection). */
  readonly data: unknown;
  /** When the oldest change it reports was written. */
  readonly changedAt: string;
  /** Added to a notification of the subscription that no attempt has been made to deliver yet, when there is one (throttling). */
  readonly coalesce: boolean;
}

/** The change log the database writes with every change of an entity. */
export interface ChangeLog {
  /** The oldest unclaimed changes, at most `limit`; null when there are none. */
  claim(limit: number, leaseMs: number): Promise<ClaimedChanges | null>;
  /** Writes the notifications and removes the claimed changes in one transaction; false (nothing written) when the claim had run out and another process took the changes. */
  settle(claim: ClaimedChanges, notifications: readonly NewNotification[]): Promise<boolean>;
  /** Gives claimed changes back at once (the round that claimed them failed). */
  release(claim: ClaimedChanges): Promise<void>;
}

/** A notification waiting in the outbox, claimed for delivery. */
export interface PendingNotification {
  readonly id: string;
  readonly data: unknown;
  readonly changedAt: string;
}

/** A subscription's notifications claimed for delivery, oldest first. */
export interface DeliveryLane {
  readonly subscription: StoredSubscription;
  /** Failed attempts since the last delivered notification (the backoff grows with them). */
  readonly consecutiveFailures: number;
  readonly notifications: readonly PendingNotification[];
}

/** How delivering a lane went. */
export interface DeliveryOutcome {
  readonly subscriptionId: string;
  readonly delivered: readonly string[];
  /** Attempted and failed: kept for a later attempt. */
  readonly failed: readonly string[];
  /** Not attempted (an earlier one of the lane failed): kept, their claim released. */
  readonly untried: readonly string[];
  readonly lastNotification: string | null;
  readonly lastSuccess: string | null;
  readonly lastFailure: string | null;
  /** After a failure, no delivery to the subscription before this. */
  readonly retryAt: string | null;
}

/** Notifications waiting for delivery. */
export interface Outbox {
  /**
   * Notifications of at most `lanes` subscriptions that may be notified now (active, not expired,
   * out of their backoff and throttling window; none of `busy`), up to `perLane` each (one for a
   * throttled subscription), claimed for `leaseMs`.
   */
  claim(lanes: number, perLane: number, leaseMs: number, busy: readonly string[]): Promise<DeliveryLane[]>;
  /** Records how lanes went, together. */
  complete(outcomes: readonly DeliveryOutcome[]): Promise<void>;
  /** Periodic subscriptions whose time has come, claimed for `leaseMs`. */
  claimPeriodic(limit: number, leaseMs: number): Promise<StoredSubscription[]>;
  /** Puts a periodic notification into the outbox (none when nothing matched) and schedules the next one. */
  settlePeriodic(subscriptionId: string, notification: NewNotification | null): Promise<void>;
}

export type PushState = 'created' | 'changed' | 'same';

/** What a push's first sync sends: the entities of a collection, or the Devices whose ids match a pattern (PostgreSQL regex). */
export interface PushSelection {
  readonly collectionId: string | null;
  readonly deviceIdPattern: string | null;
}

/** placelink's own subscriptions that upsert entities into another broker (federation push); the API does not list them. */
export interface PushSubscriptions {
  /** Creates the push subscription, or rewrites it when it differs (`record.id` names it). */
  ensure(record: SubscriptionRecord, pushTo: string): Promise<PushState>;
  /** Deletes the push subscriptions not named; their ids. */
  retireExcept(keep: readonly string[]): Promise<string[]>;
  /** Queues every entity the push selects now, for it alone (its first sync); how many. */
  seed(subscriptionId: string, selection: PushSelection): Promise<number>;
}

/** The subscriptions with their change log and outbox. */
export interface SubscriptionStore extends SubscriptionRepository {
  readonly changes: ChangeLog;
  readonly outbox: Outbox;
  readonly pushes: PushSubscriptions;
  /**
   * Calls `wake` whenever a process has put notifications into the outbox (LISTEN/NOTIFY), and after a
   * reconnection; null where the database cannot notify (the embedded PostGIS).
   */
  listen(wake: () => void): Promise<{ close(): Promise<void> } | null>;
}
