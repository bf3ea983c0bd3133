import type { Logger } from '../../logger.js';
import type { DeliveryLane, DeliveryOutcome, Outbox } from '../../services/ports/subscription-ports.js';
import type { StoredSubscription } from '../../domain/subscription.js';
import { notificationMessage, type NotificationMessage } from './notification-message.js';

/** Sends one notification to the subscription's endpoint within `timeoutMs`; throws NotificationDeliveryError when it was not taken. */
export type SendNotification = (subscription: StoredSubscription, message: NotificationMessage, timeoutMs: number) => Promise<void>;

export interface DeliveryDeps {
  readonly outbox: Outbox;
  readonly send: SendNotification;
  readonly logger: Logger;
  /** Subscriptions this process delivers to at once. */
  readonly lanes: number;
  /** How long a delivery may take before it counts as failed (an endpoint's own timeout may be shorter, not longer). */
  readonly timeoutMs: number;
  /** The longest wait before the next attempt after failures. */
  readonly backoffMaxMs: number;
  /** Called when a lane has finished (its subscription may have more to deliver). */
  readonly onLaneDone: () => void;
}

/** Notifications of a subscription claimed at once (one for a throttled one). */
const PER_LANE = 50;
/** The first wait after a failure; it doubles with each further failure, up to backoffMaxMs. */
const FIRST_BACKOFF_MS = 1000;

/** Exponential backoff after the nth failure in a row, at least the endpoint's cooldown. */
export function backoffMs(failures: number, maxMs: number, cooldownMs = 0): number {
  return Math.max(cooldownMs, Math.min(maxMs, FIRST_BACKOFF_MS * 2 ** Math.min(failures - 1, 30)));
}

/**
 * Delivers the outbox: each subscription is a lane of its own (its notifications in order, one at a
 * time), lanes run side by side, so a slow or dead endpoint holds up only its own subscription. A
 * failed attempt ends the lane and puts the subscription into backoff; the notification stays in the
 * outbox until it is delivered or the subscription is deleted (at least once: an attempt whose
 * answer was lost is made again, with the same notification id).
 */
export function deliveries(deps: DeliveryDeps) {
  /** Lanes under way (until their outcome is recorded), by subscription. */
  const busy = new Map<string, Promise<void>>();
  // A claim outlives one attempt with room to spare; a lane stops before an attempt could outlive its claim.
  const leaseMs = 2 * deps.timeoutMs + 5000;
  /** Outcomes of finished lanes, recorded together (one transaction for the lanes that end at about the same time). */
  let finished: { outcome: DeliveryOutcome; recorded: () => void }[] = [];
  let recording: Promise<void> | null = null;

  async function record(): Promise<void> {
    // Lanes that finish in this turn of the event loop share the transaction.
    await new Promise((resolve) => setImmediate(resolve));
    while (finished.length) {
      const batch = finished;
      finished = [];
      try {
        await deps.outbox.complete(batch.map((f) => f.outcome));
      } catch (error) {
        // The claims run out and the notifications are delivered again: at least once.
        deps.logger.warn({ err: error, lanes: batch.length }, 'the outcome of notifications could not be recorded; they will be delivered again');
      }
      for (const f of batch) f.recorded();
    }
    recording = null;
  }

  function recorded(outcome: DeliveryOutcome): Promise<void> {
    return new Promise((resolve) => {
      finished.push({ outcome, recorded: resolve });
      recording ??= record();
    });
  }

  async function runLane(lane: DeliveryLane, claimedAt: number): Promise<DeliveryOutcome> {
    const subscription = lane.subscription;
    const endpoint = subscription.definition.notification.endpoint;
    const timeoutMs = Math.min(endpoint.timeout ?? deps.timeoutMs, deps.timeoutMs);
    const delivered: string[] = [];
    const failed: string[] = [];
    let lastNotification: string | null = null;
    let lastSuccess: string | null = null;
    let lastFailure: string | null = null;
    for (const notification of lane.notifications) {
      if (Date.now() + timeoutMs > claimedAt + leaseMs - 1000) break;
      const notifiedAt = new Date().toISOString();
      lastNotification = notifiedAt;
      try {
        await deps.send(subscription, notificationMessage(subscription, notification, notifiedAt), timeoutMs);
        delivered.push(notification.id);
        lastSuccess = new Date().toISOString();
      } catch (error) {
        failed.push(notification.id);
        lastFailure = new Date().toISOString();
        deps.logger.info({ subscription: subscription.id, notification: notification.id, reason: (error as Error).message }, 'notification not delivered; it is tried again after a backoff');
        break;
      }
    }
    const attempted = new Set([...delivered, ...failed]);
    return {
      subscriptionId: subscription.id,
      delivered,
      failed,
      untried: lane.notifications.map((n) => n.id).filter((id) => !attempted.has(id)),
      lastNotification,
      lastSuccess,
      lastFailure,
      retryAt: failed.length ? new Date(Date.now() + backoffMs(lane.consecutiveFailures + 1, deps.backoffMaxMs, endpoint.cooldown)).toISOString() : null,
    };
  }

  return {
    /** Claims lanes for the free capacity and starts them; how many it started. */
    async pump(): Promise<number> {
      const free = deps.lanes - busy.size;
      if (free <= 0) return 0;
      const claimedAt = Date.now();
      const lanes = await deps.outbox.claim(free, PER_LANE, leaseMs, [...busy.keys()]);
      for (const lane of lanes) {
        const id = lane.subscription.id;
        busy.set(
          id,
          runLane(lane, claimedAt)
            .then(recorded)
            .finally(() => {
              busy.delete(id);
              deps.onLaneDone();
            }),
        );
      }
      return lanes.length;
    },

    /** Waits for the lanes under way and the recording of their outcomes. */
    async idle(): Promise<void> {
      await Promise.all(busy.values());
    },
  };
}

