import { isDateText, isTimestampText } from '../../domain/calendar.js';
import type { Queryable } from '../../domain/collection.js';
import type { FeatureRecord } from '../../domain/feature.js';

type Seen = Queryable['type'] | 'mixed';

const STRING_LIKE = new Set<Seen>(['string', 'date', 'timestamp']);

function valueType(value: unknown): Seen {
  switch (typeof value) {
    case 'string':
      if (isDateText(value)) return 'date';
      return isTimestampText(value) ? 'timestamp' : 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    default:
      return Array.isArray(value) ? 'array' : 'mixed';
  }
}

function combine(a: Seen, b: Seen): Seen {
  if (a === b) return a;
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  if (STRING_LIKE.has(a) && STRING_LIKE.has(b)) return 'string';
  return 'mixed';
}

/**
 * Infers queryables from property values, batch by batch: a property whose non-null values are all
 * strings (or all dates YYYY-MM-DD, or all RFC 3339 date-times), all integers, all numbers, all
 * booleans or all arrays. Properties with mixed or object values are not queryable.
 */
export class QueryableInference {
  private readonly seen = new Map<string, Seen>();

  add(records: readonly Pick<FeatureRecord, 'properties'>[]): void {
    for (const record of records) {
      for (const [name, value] of Object.entries(record.properties)) {
        if (value === null || value === undefined) continue;
        const type = valueType(value);
        const before = this.seen.get(name);
        this.seen.set(name, before === undefined ? type : combine(before, type));
      }
    }
  }

  result(): Record<string, Queryable> {
    const out: Record<string, Queryable> = {};
    for (const [name, type] of [...this.seen].sort(([a], [b]) => a.localeCompare(b))) {
      if (type !== 'mixed') out[name] = { type };
    }
    return out;
  }
}

export function inferQueryables(records: readonly Pick<FeatureRecord, 'properties'>[]): Record<string, Queryable> {
  const inference = new QueryableInference();
  inference.add(records);
  return inference.result();
}

/** Declared queryables win over inferred ones; inferred ones are added. */
export function mergeQueryables(existing: Record<string, Queryable>, inferred: Record<string, Queryable>): Record<string, Queryable> {
  return { ...inferred, ...existing };
}

/**
 * Queryables of a collection that is written piece by piece (NGSI-LD entities): a property keeps
 * its type while new values fit it, is widened as inference widens (integer and number, the
 * string-like types), and stops being queryable when the values no longer share a type.
 */
export function widenQueryables(existing: Readonly<Record<string, Queryable>>, inferred: Readonly<Record<string, Queryable>>): Record<string, Queryable> {
  const out: Record<string, Queryable> = { ...existing };
  for (const [name, queryable] of Object.entries(inferred)) {
    const before = existing[name];
    if (before === undefined) out[name] = queryable;
    else if (before.role === undefined) {
      const type = combine(before.type, queryable.type);
      if (type === 'mixed') delete out[name];
      else out[name] = { ...before, type };
    }
  }
  return out;
}
