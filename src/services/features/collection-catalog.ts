import type { Collection } from '../../domain/collection.js';
import { CollectionNotFoundError } from '../../domain/errors.js';
import type { CollectionRepository } from '../ports/feature-ports.js';

/** What request handlers read of collections. */
export type CollectionReader = Pick<CollectionRepository, 'list' | 'get'>;

/** Collection metadata for request handling, read through a short-lived cache. */
export interface CollectionCatalog extends CollectionReader {
  /** Forget everything (after this process wrote to the catalog). */
  invalidate(): void;
}

/**
 * Keeps collection rows for `ttlMs`, saving a round trip per request. Nothing that must be exact
 * comes from here: page queries read the count and data version in their own snapshot, so a write
 * by another process shows up in metadata (title, extent, queryables) within the TTL.
 */
export function cachedCatalog(repository: CollectionReader, ttlMs: number): CollectionCatalog {
  const byId = new Map<string, { value: Collection; until: number }>();
  let all: { value: Collection[]; until: number } | null = null;

  return {
    async list() {
      const now = Date.now();
      if (all && all.until > now) return all.value;
      const value = await repository.list();
      all = { value, until: now + ttlMs };
      for (const collection of value) byId.set(collection.id, { value: collection, until: now + ttlMs });
      return value;
    },

    async get(id: string) {
      const now = Date.now();
      const hit = byId.get(id);
      if (hit && hit.until > now) return hit.value;
      const value = await repository.get(id);
      if (value) byId.set(id, { value, until: now + ttlMs });
      else byId.delete(id);
      return value;
    },

    invalidate() {
      byId.clear();
      all = null;
    },
  };
}

/** The collection with that id; CollectionNotFoundError when there is none. */
export async function requireCollection(collections: CollectionReader, id: string): Promise<Collection> {
  const collection = await collections.get(id);
  if (!collection) throw new CollectionNotFoundError(id);
  return collection;
}
