import type { CollectionDefinition, Queryable } from '../../domain/collection.js';
import type { FeatureRecord, WriteSummary } from '../../domain/feature.js';
import type { FeatureWrites } from '../ports/feature-ports.js';
import { mergeQueryables } from './queryable-inference.js';

export { inferQueryables, mergeQueryables } from './queryable-inference.js';

export interface ImportSummary extends WriteSummary {
  readonly collectionId: string;
  readonly collectionCreated: boolean;
  /** Features the import wrote have been updated since this time. */
  readonly changedSince: string;
  readonly featureCount: number;
}

const BATCH_SIZE = 1000;

/**
 * Writes a set of features into a collection in one transaction: readers see the previous state
 * until everything is stored, and nothing changes if any statement fails.
 */
export async function importFeatures(
  store: FeatureWrites,
  definition: CollectionDefinition,
  records: readonly FeatureRecord[],
  queryables: Record<string, Queryable>,
): Promise<ImportSummary> {
  const summary = await store.transaction(async ({ collections, features }) => {
    const { key, created } = await collections.save(definition);
    const changedSince = await features.writeTime();
    const total: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, repaired: [], rejected: [] };
    for (let start = 0; start < records.length; start += BATCH_SIZE) {
      const summary = await features.upsertBatch(key, records.slice(start, start + BATCH_SIZE));
      total.inserted += summary.inserted;
      total.updated += summary.updated;
      total.unchanged += summary.unchanged;
      total.repaired.push(...summary.repaired);
      total.rejected.push(...summary.rejected);
    }
    const existing = created ? {} : ((await collections.get(definition.id))?.queryables ?? {});
    await collections.setQueryables(key, mergeQueryables(existing, queryables));
    await collections.refreshStats(key);
    return { ...total, key, collectionId: definition.id, collectionCreated: created, changedSince, featureCount: records.length };
  });
  const { key, ...result } = summary;
  if (result.inserted + result.updated > 0) await store.collections.analyze(key);
  return result;
}
