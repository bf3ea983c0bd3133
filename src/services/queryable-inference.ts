import type { Queryable } from '../domain/collection.js';
import type { FeatureRecord } from '../domain/feature.js';

type Seen = Queryable['type'] | 'mixed';

function scalarType(value: unknown): Seen {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    default:
      return 'mixed';
  }
}

function combine(before: Seen, type: Seen): Seen {
  if (before === type) return before;
  if ((before === 'integer' && type === 'number') || (before === 'number' && type === 'integer')) return 'number';
  return 'mixed';
}

/**
 * Infers simple queryables from property values, batch by batch: a property whose non-null values
 * are all strings, all integers, all numbers or all booleans. Mixed or structured ones are not queryable.
 */
export class QueryableInference {
  private readonly seen = new Map<string, Seen>();

  add(records: readonly FeatureRecord[]): void {
    for (const record of records) {
      for (const [name, value] of Object.entries(record.properties)) {
        if (value === null || value === undefined) continue;
        const type = scalarType(value);
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

export function inferQueryables(records: readonly FeatureRecord[]): Record<string, Queryable> {
  const inference = new QueryableInference();
  inference.add(records);
  return inference.result();
}

/** Declared queryables win over inferred ones; inferred ones are added. */
export function mergeQueryables(existing: Record<string, Queryable>, inferred: Record<string, Queryable>): Record<string, Queryable> {
  return { ...inferred, ...existing };
}
