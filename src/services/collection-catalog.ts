import type { Collection } from '../domain/collection.js';
import type { CollectionRepository } from './ports.js';

/** Collection metadata for request handling, read through a short-lived cache. */
export interface CollectionCatalog {
  list(): Promise<Collection[]>;
  get(id: string): Promise<Collection | null>;
  /** Forget everything (after this process wrote to the catalog). */
  invalidate(): void;
}

/**
 * Keeps collection rows for `ttlMs`, saving a round trip per request. Nothing that must be exact
 * comes from here: page queries read the count and data version in their own snapshot, so a write
 * by another process shows up in metadata (title, extent, queryables) within the TTL.
 */
export function cachedCatalog(repository: Pick<CollectionRepository, 'list' | 'get'>, ttlMs: number): CollectionCatalog {
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
