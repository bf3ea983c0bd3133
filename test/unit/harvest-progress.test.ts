import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ZERO_COUNTS } from '../../src/domain/harvest-run.js';
import { progressLine, progressReporter } from '../../src/ingest/harvest-progress.js';
import type { HarvestProgress } from '../../src/ingest/run-options.js';

const progress = (read: number, expected: number | null, elapsedMs: number): HarvestProgress => ({
  runId: 1,
  counts: { ...ZERO_COUNTS, pages: Math.ceil(read / 1000), read, inserted: read - 10, unchanged: 10 },
  expected,
  elapsedMs,
});

/** A stand-in for process.stderr that keeps what is written. */
function stream(isTTY: boolean, columns?: number) {
  const written: string[] = [];
  return { written, target: { isTTY, columns, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
}

describe('progress line', () => {
  it('shows percent and ETA when the total is known', () => {
    expect(progressLine(progress(1500, 6000, 2000))).toBe('2 pages · 1,500 / 6,000 features · 750 features/s · 25 % · ETA 6s · 1490 new, 0 changed, 10 unchanged, 0 rejected');
    expect(progressLine(progress(3000, 3_000_000, 1000))).toContain('ETA 16m39s');
  });

  it('leaves them out when it is not', () => {
    expect(progressLine(progress(2000, null, 4000))).toBe('2 pages · 2,000 features · 500 features/s · 1990 new, 0 changed, 10 unchanged, 0 rejected');
  });
});

describe('progress reporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('on a terminal redraws one line in place, at most 10 times a second, cut to the width, and clears it at the end', () => {
    const { written, target } = stream(true, 40);
    const reporter = progressReporter(target);
    reporter.update(progress(1000, 4000, 1000));
    vi.advanceTimersByTime(50);
    reporter.update(progress(1100, 4000, 1050));
    vi.advanceTimersByTime(60);
    reporter.update(progress(2000, 4000, 1110));
    reporter.done();
    expect(written).toHaveLength(3);
    expect(written[0]).toBe(`\r\x1b[2K${progressLine(progress(1000, 4000, 1000)).slice(0, 39)}`);
    expect(written[1]).toBe(`\r\x1b[2K${progressLine(progress(2000, 4000, 1110)).slice(0, 39)}`);
    expect(written.slice(0, 2).every((w) => !w.includes('\n') && w.length === 39 + 5)).toBe(true);
    expect(written[2]).toBe('\r\x1b[2K');
  });

  it('elsewhere writes a plain log line per interval and nothing to clear', () => {
    const { written, target } = stream(false);
    const reporter = progressReporter(target, 5000);
    reporter.update(progress(1000, null, 1000));
    vi.advanceTimersByTime(1000);
    reporter.update(progress(2000, null, 2000));
    vi.advanceTimersByTime(4500);
    reporter.update(progress(3000, null, 6500));
    reporter.done();
    expect(written).toEqual([`progress: ${progressLine(progress(1000, null, 1000))}\n`, `progress: ${progressLine(progress(3000, null, 6500))}\n`]);
  });

  it('writes nothing at the end of a terminal run that showed no progress', () => {
    const { written, target } = stream(true);
    progressReporter(target).done();
    expect(written).toEqual([]);
  });
});
