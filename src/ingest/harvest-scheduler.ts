import type { LoadedMapping } from '../config/mappings-loader.js';
import type { Logger } from '../logger.js';
import { runHarvest } from './harvest-runner.js';
import type { IngestStore } from './run-options.js';

/** After a failed run the next try comes sooner than a full interval. */
const RETRY_AFTER_FAILURE_MS = 10 * 60_000;

export interface HarvestScheduler {
  /** Resolves once the current harvest (if any) has stopped; a running harvest is rolled back. */
  stop(): Promise<void>;
  /** When each scheduled mapping runs next (for logs and tests). */
  nextRuns(): Map<string, Date>;
}

export interface SchedulerOptions {
  readonly now?: () => number;
}

/**
 * Runs each mapping with a schedule every `schedule.interval`, counted from its last run's start
 * (a mapping never harvested runs right away), one harvest at a time.
 */
export async function startHarvestScheduler(store: IngestStore, mappings: readonly LoadedMapping[], logger: Logger, options: SchedulerOptions = {}): Promise<HarvestScheduler> {
  const now = options.now ?? (() => Date.now());
  const scheduled = mappings.filter((m) => m.mapping.schedule?.enabled);
  const next = new Map<string, number>();
  const last = await store.runs.lastFinished();
  for (const { mapping } of scheduled) {
    const previous = last.get(mapping.id);
    const interval = mapping.schedule!.intervalMs;
    const wait = previous ? (previous.status === 'failed' ? Math.min(interval, RETRY_AFTER_FAILURE_MS) : interval) : 0;
    next.set(mapping.id, previous ? Date.parse(previous.startedAt) + wait : now());
  }
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const controller = new AbortController();
  let running: Promise<void> = Promise.resolve();

  const tick = () => {
    timer = null;
    if (stopped) return;
    const due = scheduled.filter(({ mapping }) => (next.get(mapping.id) ?? Infinity) <= now()).sort((a, b) => next.get(a.mapping.id)! - next.get(b.mapping.id)!);
    const chosen = due[0];
    if (!chosen) return arm();
    const started = now();
    running = runHarvest(store, chosen, logger, { trigger: 'schedule', signal: controller.signal })
      .then((run) => {
        const interval = chosen.mapping.schedule!.intervalMs;
        next.set(chosen.mapping.id, started + (run.status === 'failed' ? Math.min(interval, RETRY_AFTER_FAILURE_MS) : interval));
      })
      .catch((error: unknown) => {
        logger.error({ err: error, mapping: chosen.mapping.id }, 'scheduled harvest could not run');
        next.set(chosen.mapping.id, started + Math.min(chosen.mapping.schedule!.intervalMs, RETRY_AFTER_FAILURE_MS));
      })
      .finally(() => {
        if (!stopped) setImmediate(tick);
      });
  };

  const arm = () => {
    if (stopped || scheduled.length === 0) return;
    const soonest = Math.min(...scheduled.map(({ mapping }) => next.get(mapping.id) ?? Infinity));
    // setTimeout holds at most ~24.8 days; wake up earlier and look again.
    timer = setTimeout(tick, Math.max(0, Math.min(soonest - now(), 2 ** 31 - 1)));
    timer.unref();
  };

  if (scheduled.length) logger.info({ mappings: scheduled.map((m) => ({ id: m.mapping.id, next: new Date(next.get(m.mapping.id)!).toISOString() })) }, 'harvest schedule');
  arm();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      controller.abort();
      await running;
    },
    nextRuns: () => new Map([...next].map(([id, at]) => [id, new Date(at)])),
  };
}
