import type { HarvestProgress } from './run-options.js';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line of progress: pages, features, features/s and, when the total is known, percent and ETA. */
export function progressLine(progress: HarvestProgress): string {
  const { counts, expected, elapsedMs } = progress;
  const rate = elapsedMs > 0 ? (counts.read * 1000) / elapsedMs : 0;
  const parts = [`${counts.pages} pages`, `${counts.read.toLocaleString('en')}${expected !== null ? ` / ${expected.toLocaleString('en')}` : ''} features`, `${Math.round(rate).toLocaleString('en')} features/s`];
  if (expected !== null && expected > 0) {
    parts.push(`${Math.min(100, Math.floor((counts.read / expected) * 100))} %`);
    if (rate > 0 && counts.read < expected) parts.push(`ETA ${duration(((expected - counts.read) / rate) * 1000)}`);
  }
  parts.push(`${counts.inserted} new, ${counts.updated} changed, ${counts.unchanged} unchanged, ${counts.rejected} rejected`);
  return parts.join(' · ');
}

/**
 * Progress for a terminal: one line rewritten in place on a TTY (at most 10 times a second), a
 * plain log line every `intervalMs` otherwise.
 */
export function progressReporter(stream: NodeJS.WriteStream, intervalMs = 5000): { update(progress: HarvestProgress): void; done(): void } {
  const tty = stream.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < (tty ? 100 : intervalMs)) return;
      last = now;
      if (tty) {
        const width = stream.columns ?? 120;
        stream.write(`\r\x1b[2K${progressLine(progress).slice(0, width - 1)}`);
        shown = true;
      } else {
        stream.write(`progress: ${progressLine(progress)}\n`);
      }
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[2K');
    },
  };
}
