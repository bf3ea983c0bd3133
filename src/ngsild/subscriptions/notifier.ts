import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import type { ChangeFeed } from '../../services/ports/changes.js';
import type { SubscriptionStore } from '../../services/ports/subscription-ports.js';
import { deliveries, type SendNotification } from './delivery.js';
import type { Dispatcher } from './dispatcher.js';
import { pushEntities } from '../federation/push-endpoint.js';
import { postNotification } from './http-endpoint.js';
import { mqttPublisher } from './mqtt-endpoint.js';

export interface NotifierSettings {
  /** How long a delivery may take. */
  readonly timeoutMs: number;
  readonly backoffMaxMs: number;
  /** Subscriptions delivered to at once. */
  readonly concurrency: number;
  /** How often the change log and the outbox are looked at without being woken. */
  readonly pollMs: number;
}

export interface Notifier {
  /** Finishes the round and the deliveries under way, then stops. */
  stop(): Promise<void>;
}

/** The shortest time between two dispatch rounds. */
const ROUND_INTERVAL_MS = 50;

/** A wake-up call a loop can wait for, with a timeout; a call while it is busy is kept for its next wait. */
function signal() {
  let pending = false;
  let release: (() => void) | null = null;
  return {
    notify() {
      pending = true;
      release?.();
    },
    async wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          release = null;
          resolve();
        }
        release = done;
      });
      pending = false;
    },
  };
}

/**
 * Runs the dispatcher and the deliveries of one process. The dispatcher is woken by the changes this
 * process commits (its change feed) and polls every `pollMs` for those of other processes (a CLI
 * import); the deliveries are woken by the database (LISTEN/NOTIFY) whenever any process has put
 * notifications into the outbox, and poll too. Several processes share the work through their claims.
 */
export async function startNotifier(store: SubscriptionStore, dispatch: Dispatcher, changes: ChangeFeed, settings: NotifierSettings, logger: Logger): Promise<Notifier> {
  const mqtt = mqttPublisher();
  const send: SendNotification = (subscription, message, timeoutMs) => {
    if (subscription.pushTo !== null) return pushEntities(subscription.pushTo, message, timeoutMs, logger);
    const endpoint = subscription.definition.notification.endpoint;
    return endpoint.uri.startsWith('mqtt') ? mqtt.publish(endpoint.uri, message, endpoint.notifierInfo ?? [], timeoutMs) : postNotification(endpoint.uri, message, timeoutMs);
  };
  const dispatchWake = signal();
  const deliveryWake = signal();
  const delivery = deliveries({ outbox: store.outbox, send, logger, lanes: settings.concurrency, timeoutMs: settings.timeoutMs, backoffMaxMs: settings.backoffMaxMs, onLaneDone: () => deliveryWake.notify() });
  let running = true;

  async function dispatchLoop(): Promise<void> {
    let lastRound = 0;
    while (running) {
      let busy = false;
      // Rounds at most every ROUND_INTERVAL_MS: under a stream of commits one round takes what came
      // meanwhile, and a subscription gets one notification for it rather than one per commit.
      const wait = lastRound + ROUND_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait);
      lastRound = Date.now();
      try {
        const handled = await dispatch.round();
        const periodic = await dispatch.periodic();
        if (handled + periodic > 0) deliveryWake.notify();
        busy = handled > 0;
      } catch (error) {
        logger.warn({ err: error }, 'dispatching NGSI-LD notifications failed; the changes stay and are tried again');
      }
      if (!busy) await dispatchWake.wait(settings.pollMs);
    }
  }

  async function deliveryLoop(): Promise<void> {
    while (running) {
      let started = 0;
      try {
        started = await delivery.pump();
      } catch (error) {
        logger.warn({ err: error }, 'claiming NGSI-LD notifications failed; they are tried again');
      }
      if (started === 0) await deliveryWake.wait(settings.pollMs);
    }
  }

  const unsubscribe = changes.subscribe(async () => dispatchWake.notify());
  const listener = await store.listen(() => deliveryWake.notify()).catch((error: unknown) => {
    logger.warn({ err: error }, 'cannot LISTEN for NGSI-LD notifications; polling only');
    return null;
  });
  const loops = Promise.all([dispatchLoop(), deliveryLoop()]);
  logger.info({ listening: listener !== null, pollMs: settings.pollMs }, 'NGSI-LD notifier started');

  return {
    async stop() {
      running = false;
      unsubscribe();
      dispatchWake.notify();
      deliveryWake.notify();
      await loops;
      await delivery.idle();
      await listener?.close();
      await mqtt.close();
    },
  };
}
