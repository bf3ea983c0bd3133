import type { Geometry } from 'geojson';
import type { AttributeInstance } from './entity.js';

/**
 * NGSI-LD subscriptions (clause 5.8) as placelink keeps them, and the entity changes they are
 * matched against. Names are kept as IRIs, expanded with the @context of the request that gave
 * them, so a subscription reads the same whichever context later requests use; q and geoQ keep
 * their text with the context it was written in (their grammar has no IRIs).
 */

export const NOTIFICATION_TRIGGERS = ['entityCreated', 'entityUpdated', 'entityDeleted', 'attributeCreated', 'attributeUpdated', 'attributeDeleted'] as const;

export type NotificationTrigger = (typeof NOTIFICATION_TRIGGERS)[number];

/** Clause 5.2.12: without notificationTrigger a subscription reacts to attributes created and updated. */
export const DEFAULT_TRIGGERS: readonly NotificationTrigger[] = ['attributeCreated', 'attributeUpdated'];

export type NotificationFormat = 'normalized' | 'concise' | 'keyValues';

export interface KeyValuePair {
  readonly key: string;
  readonly value: string;
}

/** One entity selector: a type selection (clause 4.17, with IRIs for names), and optionally an id or an id pattern. */
export interface StoredEntitySelector {
  readonly type: string;
  readonly id?: string;
  readonly idPattern?: string;
}

export interface StoredEndpoint {
  readonly uri: string;
  readonly accept?: string;
  /** Milliseconds. */
  readonly timeout?: number;
  readonly cooldown?: number;
  readonly receiverInfo?: readonly KeyValuePair[];
  readonly notifierInfo?: readonly KeyValuePair[];
}

export interface StoredNotificationParams {
  /** Attribute IRIs (the deprecated `attributes`). */
  readonly attributes?: readonly string[];
  /** Entity members to keep or leave out: attribute IRIs, `id`, `type`. */
  readonly pick?: readonly string[];
  readonly omit?: readonly string[];
  readonly format?: NotificationFormat;
  readonly showChanges?: boolean;
  readonly sysAttrs?: boolean;
  readonly endpoint: StoredEndpoint;
  /** Linked entity retrieval (clause 4.5.23) in notifications. */
  readonly join?: 'flat' | 'inline';
  /** Relationship levels a join follows (1 when not given). */
  readonly joinLevel?: number;
}

/** A text in the language of a request, with the @context its names are in. */
export interface InContext<T> {
  readonly value: T;
  readonly context: readonly unknown[];
}

export interface SubscriptionDefinition {
  readonly subscriptionName?: string;
  readonly description?: string;
  readonly entities?: readonly StoredEntitySelector[];
  /** Attribute IRIs. */
  readonly watchedAttributes?: readonly string[];
  readonly notificationTrigger?: readonly NotificationTrigger[];
  readonly q?: InContext<string>;
  readonly geoQ?: InContext<Readonly<Record<string, unknown>>>;
  readonly lang?: string;
  readonly jsonldContext?: string;
  /** Only the attribute instances of these datasets in notifications (`@none`: the default instances). */
  readonly datasetId?: readonly string[];
  readonly notification: StoredNotificationParams;
}

/** What a subscription is made of, as written by its creation or update. */
export interface SubscriptionRecord {
  readonly id: string;
  readonly definition: SubscriptionDefinition;
  /** The @context of the creating request ([]: the core context alone). */
  readonly context: readonly unknown[];
  readonly isActive: boolean;
  readonly expiresAt: string | null;
  /** Seconds. */
  readonly throttling: number | null;
  readonly timeInterval: number | null;
}

/** The delivery counters of clause 5.2.14. */
export interface DeliveryState {
  readonly timesSent: number;
  readonly timesFailed: number;
  readonly lastNotification: string | null;
  readonly lastSuccess: string | null;
  readonly lastFailure: string | null;
  readonly lastStatus: 'ok' | 'failed' | null;
}

export interface StoredSubscription extends SubscriptionRecord {
  readonly delivery: DeliveryState;
  readonly createdAt: string;
  readonly modifiedAt: string;
  /** A federation push (placelink's own): the NGSI-LD base URL of the broker its entities are upserted into. */
  readonly pushTo: string | null;
}

export type SubscriptionStatus = 'active' | 'paused' | 'expired';

/** Clause 5.2.12: expired once expiresAt has passed, paused while not active. */
export function subscriptionStatus(subscription: Pick<SubscriptionRecord, 'isActive' | 'expiresAt'>, now: number): SubscriptionStatus {
  if (subscription.expiresAt !== null && Date.parse(subscription.expiresAt) <= now) return 'expired';
  return subscription.isActive ? 'active' : 'paused';
}

/** What an entity was before a change: values and whole attributes by stored name, its location, its system times. */
export interface PreviousState {
  readonly values: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, AttributeInstance | readonly AttributeInstance[]>> | null;
  readonly location: Geometry | null;
  readonly createdAt: string | null;
  readonly modifiedAt: string | null;
}

/**
 * One entity changed by one statement (the change log the database triggers write). Attribute names
 * are the stored names of the entity's collection; `previous` holds the updated and deleted
 * attributes as they were (all of them for a deleted entity).
 */
export interface EntityChange {
  readonly changeId: number;
  readonly collectionKey: number;
  readonly entityId: string;
  readonly event: 'created' | 'updated' | 'deleted';
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
  readonly previous: PreviousState | null;
  readonly changedAt: string;
  /** A push's first sync: the change is for that subscription alone (null: for every subscription). */
  readonly onlyFor: string | null;
}
