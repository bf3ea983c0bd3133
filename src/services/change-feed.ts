import type { Logger } from '../logger.js';
import type { ChangeEvent, ChangeFeed, ChangeListener, ChangePublisher } from './ports/changes.js';

/**
 * The in-process feed of committed changes. A listener's failure is logged and never reaches the
 * writer: the change is committed whatever its consumers make of it.
 */
export function createChangeFeed(logger: Logger): ChangeFeed & ChangePublisher {
  const listeners = new Set<ChangeListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async publish(event: ChangeEvent) {
      for (const listener of listeners) {
        await listener(event).catch((error: unknown) => logger.warn({ err: error, change: event.kind }, 'a consumer of committed changes failed; the change itself is stored'));
      }
    },
  };
}
