import { InvalidParameterError, UnknownParameterError } from '../domain/errors.js';

export type RawQuery = Record<string, string | string[] | undefined>;

/**
 * One value of a parameter; repeating a single-valued parameter is an error, and so is U+0000,
 * which PostgreSQL text and jsonb cannot hold (binding it fails the statement).
 */
export function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new InvalidParameterError(name, `Parameter '${name}' was given ${value.length} times; give it once`);
  if (value?.includes('\u0000')) throw new InvalidParameterError(name, `${name} contains the character U+0000, which no value can hold`);
  return value;
}

/** Rejects parameters the resource does not define (OGC API Features /req/core/query-param-unknown). */
export function rejectUnknown(query: RawQuery, allowed: ReadonlySet<string>): void {
  for (const name of Object.keys(query)) {
    if (!allowed.has(name)) throw new UnknownParameterError(name, [...allowed].sort());
  }
}

const MAX_ECHO = 80;

/** A parameter value quoted for an error message, shortened so huge inputs are not echoed whole. */
export function quoted(value: string): string {
  return JSON.stringify(value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value);
}

export interface IntegerRange {
  readonly minimum: number;
  /** Values above it are an error, or reduced to it when `clamp` is set. */
  readonly maximum: number;
  readonly fallback: number;
  readonly clamp?: boolean;
}

/** An integer parameter within a range; absent: the fallback. */
export function integerValue(name: string, raw: string | undefined, range: IntegerRange): number {
  if (raw === undefined) return range.fallback;
  const bounds = range.maximum >= Number.MAX_SAFE_INTEGER ? `${range.minimum} or more` : `from ${range.minimum} to ${range.maximum}`;
  const value = Number(raw);
  if (!/^\+?\d+$/.test(raw.trim()) || value < range.minimum) throw new InvalidParameterError(name, `${name} must be an integer ${bounds}, got ${quoted(raw)}`);
  if (value <= range.maximum) return value;
  if (range.clamp) return range.maximum;
  throw new InvalidParameterError(name, `${name} must be an integer ${bounds}, got ${quoted(raw)}`);
}
