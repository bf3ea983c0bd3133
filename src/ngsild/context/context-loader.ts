import type { RemoteDocument } from 'jsonld';
import { LdContextNotAvailableError } from '../../domain/errors.js';
import { offlineContext } from './offline-contexts.js';

export interface ContextLoaderOptions {
  /** URL prefixes whose contexts may be fetched; nothing else leaves the machine. */
  readonly allow: readonly string[];
  readonly timeoutMs: number;
  /** How long a fetched context is kept. */
  readonly ttlMs: number;
  /**
   * Contexts the service hosts (the @context API), looked up before any fetch: the document, or
   * undefined when the URL names none of them.
   */
  readonly hosted?: (url: string) => Promise<unknown>;
}

/** A context fetched and kept (NGSI-LD kind Cached). */
export interface FetchedContext {
  readonly url: string;
  /** Epoch milliseconds. */
  readonly fetchedAt: number;
  readonly expiresAt: number;
  readonly hits: number;
  readonly lastUsedAt: number | null;
}

export interface ContextLoader {
  /** The JSON-LD document loader. */
  readonly load: (url: string) => Promise<RemoteDocument>;
  /** The fetched contexts kept now, oldest first. */
  fetched(): FetchedContext[];
  /** Counts a request's use of a fetched context (nothing for other URLs). */
  used(url: string): void;
  /** Drops a fetched context, so the next request that names it fetches it again; false when none is kept. */
  forget(url: string): boolean;
  /**
   * Fetches a kept context again and keeps the new copy; when that fails the old copy stays and the
   * failure is LdContextNotAvailable.
   */
  reload(url: string): Promise<void>;
}

/** How long a failed fetch is remembered, so a dead server is not asked again for every request. */
const FAILURE_TTL_MS = 30_000;
const MAX_CACHED = 200;
const MAX_BYTES = 1024 * 1024;
/** All fetched contexts together (characters of their JSON text). */
const MAX_CACHED_CHARS = 32 * 1024 * 1024;

interface Kept {
  readonly document: Promise<unknown>;
  until: number;
  fetchedAt: number;
  /** Characters of the JSON text once fetched; null while the fetch runs or after it failed. */
  chars: number | null;
  hits: number;
  lastUsedAt: number | null;
}

/**
 * The JSON-LD document loader: shipped contexts first (core, Smart Data Models), then hosted ones,
 * then a fetch from an allowed prefix, with a timeout and a cache shared by all requests (a slow
 * server delays only the requests that need its context). Anything else is LdContextNotAvailable.
 */
export function contextLoader(options: ContextLoaderOptions): ContextLoader {
  const cache = new Map<string, Kept>();
  let cachedChars = 0;

  async function fetchContext(url: string): Promise<{ document: unknown; chars: number }> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { Accept: 'application/ld+json, application/json' }, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'follow' });
    } catch (error) {
      throw new LdContextNotAvailableError(url, (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (error as Error).message);
    }
    if (!response.ok) throw new LdContextNotAvailableError(url, `the server answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_BYTES) throw new LdContextNotAvailableError(url, `it is larger than ${MAX_BYTES} bytes`);
    try {
      return { document: JSON.parse(text) as unknown, chars: text.length };
    } catch {
      throw new LdContextNotAvailableError(url, 'it is not JSON');
    }
  }

  function drop(url: string): void {
    const kept = cache.get(url);
    if (!kept) return;
    cache.delete(url);
    cachedChars -= kept.chars ?? 0;
  }

  /** Keeps a fetch's outcome: the document until the TTL ends, a failure for a short while; the oldest go first past the limits. */
  function keep(url: string, fetching: Promise<{ document: unknown; chars: number }>, counters: Pick<Kept, 'hits' | 'lastUsedAt'>): Kept {
    const now = Date.now();
    const kept: Kept = { document: fetching.then((f) => f.document), until: now + options.ttlMs, fetchedAt: now, chars: null, ...counters };
    drop(url);
    cache.set(url, kept);
    fetching.then(
      ({ chars }) => {
        if (cache.get(url) !== kept) return;
        kept.chars = chars;
        cachedChars += chars;
        for (const [oldest] of cache) {
          if (cache.size <= MAX_CACHED && cachedChars <= MAX_CACHED_CHARS) break;
          drop(oldest);
        }
      },
      () => {
        if (cache.get(url) === kept) kept.until = Date.now() + FAILURE_TTL_MS;
      },
    );
    return kept;
  }

  function remote(url: string): Promise<unknown> {
    const hit = cache.get(url);
    if (hit && hit.until > Date.now()) return hit.document;
    return keep(url, fetchContext(url), { hits: hit?.hits ?? 0, lastUsedAt: hit?.lastUsedAt ?? null }).document;
  }

  /** A kept context whose fetch succeeded and has not expired. */
  function usable(url: string): Kept | undefined {
    const kept = cache.get(url);
    return kept && kept.chars !== null && kept.until > Date.now() ? kept : undefined;
  }

  return {
    async load(url) {
      const document = offlineContext(url) ?? (await options.hosted?.(url)) ?? (options.allow.some((prefix) => url.startsWith(prefix)) ? remote(url) : undefined);
      if (document === undefined) throw new LdContextNotAvailableError(url, 'it is neither shipped with placelink nor hosted by it, and its address is not in PLACELINK_NGSILD_CONTEXTS_ALLOW');
      return { contextUrl: null, documentUrl: url, document: await document };
    },
    fetched() {
      const out: FetchedContext[] = [];
      for (const url of cache.keys()) {
        const kept = usable(url);
        if (kept) out.push({ url, fetchedAt: kept.fetchedAt, expiresAt: kept.until, hits: kept.hits, lastUsedAt: kept.lastUsedAt });
      }
      return out;
    },
    used(url) {
      const kept = usable(url);
      if (!kept) return;
      kept.hits += 1;
      kept.lastUsedAt = Date.now();
    },
    forget(url) {
      if (!usable(url)) return false;
      drop(url);
      return true;
    },
    async reload(url) {
      const fetched = await fetchContext(url);
      const old = cache.get(url);
      await keep(url, Promise.resolve(fetched), { hits: old?.hits ?? 0, lastUsedAt: old?.lastUsedAt ?? null }).document;
    },
  };
}
