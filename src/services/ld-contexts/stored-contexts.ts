import { randomUUID } from 'node:crypto';
import type { LdContextUse, StoredLdContext, StoredLdContextKind } from '../../domain/ld-context.js';
import type { LdContextStore } from '../ports/ld-context-ports.js';

/**
 * The @contexts placelink hosts (Hosted, ImplicitlyCreated): kept in the database, so they survive
 * restarts and every process serves them, with their documents cached in memory (they never change:
 * the API adds and deletes contexts, it does not update them).
 */
export interface StoredContextService {
  /** Stores a client's @context (the value of its `@context` member) as a new Hosted context. */
  add(context: unknown): Promise<StoredLdContext>;
  /** A stored context with its counters up to date; null for an unknown id. */
  get(id: string): Promise<StoredLdContext | null>;
  /** Its document, `{"@context": …}`; undefined for an unknown id. */
  document(id: string): Promise<Record<string, unknown> | undefined>;
  /** Oldest first, counters up to date; all kinds when `kind` is null. */
  list(kind: StoredLdContextKind | null): Promise<StoredLdContext[]>;
  /** False for an unknown id. */
  remove(id: string): Promise<boolean>;
  /** Counts a request's use of a stored context (recorded in batches). */
  used(id: string): void;
}

export interface StoredContextOptions {
  /** Uses are written at most this often while requests keep coming (and before counters are read). */
  readonly flushIntervalMs: number;
  /** Documents kept in memory, by number and by total size (JSON characters). */
  readonly maxCachedDocuments: number;
  readonly maxCachedChars: number;
}

const DEFAULTS: StoredContextOptions = { flushIntervalMs: 5000, maxCachedDocuments: 200, maxCachedChars: 16 * 1024 * 1024 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A local id placelink could have given (a UUID), lower case; null for anything else, which no stored context has. */
export function storedContextId(text: string): string | null {
  return UUID.test(text) ? text.toLowerCase() : null;
}

export function storedContextService(store: LdContextStore, options: Partial<StoredContextOptions> = {}): StoredContextService {
  const { flushIntervalMs, maxCachedDocuments, maxCachedChars } = { ...DEFAULTS, ...options };
  const documents = new Map<string, { document: Record<string, unknown>; chars: number }>();
  let cachedChars = 0;
  let pending = new Map<string, { hits: number; at: string }>();
  let flushing: Promise<void> | null = null;
  let lastFlush = 0;

  function cache(id: string, document: Record<string, unknown>): void {
    const chars = JSON.stringify(document).length;
    uncache(id);
    if (chars > maxCachedChars) return;
    documents.set(id, { document, chars });
    cachedChars += chars;
    for (const [oldest, entry] of documents) {
      if (documents.size <= maxCachedDocuments && cachedChars <= maxCachedChars) break;
      documents.delete(oldest);
      cachedChars -= entry.chars;
    }
  }

  function uncache(id: string): void {
    const entry = documents.get(id);
    if (!entry) return;
    documents.delete(id);
    cachedChars -= entry.chars;
  }

  /** Writes the uses counted so far; if that fails they are counted again with the next ones. */
  async function writeUses(): Promise<void> {
    const batch = pending;
    pending = new Map();
    lastFlush = Date.now();
    const uses: LdContextUse[] = [...batch].map(([id, use]) => ({ id, ...use }));
    try {
      await store.recordUses(uses);
    } catch (error) {
      for (const [id, use] of batch) {
        const later = pending.get(id);
        pending.set(id, later ? { hits: later.hits + use.hits, at: later.at } : use);
      }
      throw error;
    }
  }

  /** Waits for a write under way, then writes what is left: counters read afterwards include every use so far. */
  async function flush(): Promise<void> {
    while (flushing) await flushing.catch(() => {});
    if (pending.size === 0) return;
    flushing = writeUses().finally(() => (flushing = null));
    await flushing;
  }

  return {
    async add(context) {
      const document = { '@context': context };
      const stored = await store.insert({ id: randomUUID(), kind: 'Hosted', document });
      cache(stored.id, document);
      return stored;
    },
    async get(id) {
      const key = storedContextId(id);
      if (key === null) return null;
      await flush();
      return store.byId(key);
    },
    async document(id) {
      const key = storedContextId(id);
      if (key === null) return undefined;
      const cached = documents.get(key);
      if (cached) {
        documents.delete(key);
        documents.set(key, cached);
        return cached.document;
      }
      const document = await store.document(key);
      if (document === null) return undefined;
      cache(key, document);
      return document;
    },
    async list(kind) {
      await flush();
      return store.list(kind);
    },
    async remove(id) {
      const key = storedContextId(id);
      if (key === null) return false;
      uncache(key);
      pending.delete(key);
      return store.remove(key);
    },
    used(id) {
      const key = storedContextId(id);
      if (key === null) return;
      const at = new Date().toISOString();
      pending.set(key, { hits: (pending.get(key)?.hits ?? 0) + 1, at });
      // A failed write keeps its uses pending; the next use or read tries again.
      if (!flushing && Date.now() - lastFlush >= flushIntervalMs) flush().catch(() => {});
    },
  };
}
