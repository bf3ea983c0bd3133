import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The shared OGC schemas and probe, read in place (PLACELINK_CONFORMANCE, default ../shared/conformance). */
export function conformanceDir(): string {
  return path.resolve(process.env['PLACELINK_CONFORMANCE'] ?? '../shared/conformance');
}

/** Null when the path exists, else a sentence saying what is missing and how to provide it. */
export function missingPath(target: string, what: string): string | null {
  return existsSync(target) ? null : `${what} not found at ${target} (set PLACELINK_CONFORMANCE to the shared conformance folder)`;
}

/** Null when `command` runs, else why the tests that need it are skipped. */
export function missingCommand(command: string, args: readonly string[], install: string): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return result.error || result.status !== 0 ? `${command} is not available (${install})` : null;
}

/** Prints why a test file is skipped, so the reason shows in the run's output and not only as a count. */
export function announceSkip(file: string, reason: string | null): boolean {
  if (reason) process.stderr.write(`[skip] ${file}: ${reason}\n`);
  return reason !== null;
}
