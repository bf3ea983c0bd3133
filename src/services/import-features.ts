import { isDateText, isTimestampText } from '../domain/calendar.js';
import type { CollectionDefinition, Queryable } from '../domain/collection.js';
import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { Store } from './ports.js';

export interface ImportSummary extends WriteSummary {
  readonly collectionId: string;
  readonly collectionCreated: boolean;
  readonly featureCount: number;
}

const BATCH_SIZE = 1000;

/**
 * Writes a set of features into a collection in one transaction: readers see the previous state
 * until everything is stored, and nothing changes if any statement fails.
 */
export async function importFeatures(
  store: Store,
  definition: CollectionDefinition,
  records: readonly FeatureRecord[],
  queryables: Record<string, Queryable>,
): Promise<ImportSummary> {
  const summary = await store.transaction(async ({ collections, features }) => {
    const { key, created } = await collections.save(definition);
    const total: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, repaired: [] };
    for (let start = 0; start < records.length; start += BATCH_SIZE) {
      const summary = await features.upsertBatch(key, records.slice(start, start + BATCH_SIZE));
      total.inserted += summary.inserted;
      total.updated += summary.updated;
      total.unchanged += summary.unchanged;
      total.repaired.push(...summary.repaired);
    }
    const existing = created ? {} : ((await collections.get(definition.id))?.queryables ?? {});
    await collections.setQueryables(key, mergeQueryables(existing, queryables));
    await collections.refreshStats(key);
    return { ...total, key, collectionId: definition.id, collectionCreated: created, featureCount: records.length };
  });
  const { key, ...result } = summary;
  if (result.inserted + result.updated > 0) await store.collections.analyze(key);
  return result;
}

/** Declared queryables win over inferred ones; inferred ones are added. */
export function mergeQueryables(existing: Record<string, Queryable>, inferred: Record<string, Queryable>): Record<string, Queryable> {
  return { ...inferred, ...existing };
}

/**
 * Infers queryables from property values: a property whose non-null values are all strings (or
 * all dates YYYY-MM-DD, or all RFC 3339 date-times), all integers, all numbers, all booleans or
 * all arrays. Properties with mixed or object values are not queryable.
 */
export function inferQueryables(records: readonly FeatureRecord[]): Record<string, Queryable> {
  const seen = new Map<string, Queryable['type'] | 'mixed'>();
  for (const record of records) {
    for (const [name, value] of Object.entries(record.properties)) {
      if (value === null || value === undefined) continue;
      const type = valueType(value);
      const before = seen.get(name);
      seen.set(name, before === undefined ? type : combine(before, type));
    }
  }
  const out: Record<string, Queryable> = {};
  for (const [name, type] of [...seen].sort(([a], [b]) => a.localeCompare(b))) {
    if (type !== 'mixed') out[name] = { type };
  }
  return out;
}

const STRING_LIKE = new Set<Queryable['type'] | 'mixed'>(['string', 'date', 'timestamp']);

function combine(a: Queryable['type'] | 'mixed', b: Queryable['type'] | 'mixed'): Queryable['type'] | 'mixed' {
  if (a === b) return a;
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  if (STRING_LIKE.has(a) && STRING_LIKE.has(b)) return 'string';
  return 'mixed';
}

function valueType(value: unknown): Queryable['type'] | 'mixed' {
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
