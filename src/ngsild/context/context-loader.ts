import type { RemoteDocument } from 'jsonld';
import { LdContextNotAvailableError } from '../../domain/errors.js';
import { offlineContext } from './offline-contexts.js';

export interface ContextLoaderOptions {
  /** URL prefixes whose contexts may be fetched; nothing else leaves the machine. */
  readonly allow: readonly string[];
  readonly timeoutMs: number;
  /** How long a fetched context is kept. */
  readonly ttlMs: number;
  /** Contexts the service hosts (the @context API), looked up before any fetch. */
  readonly hosted?: (url: string) => unknown;
}

/** How long a failed fetch is remembered, so a dead server is not asked again for every request. */
const FAILURE_TTL_MS = 30_000;
const MAX_CACHED = 200;
const MAX_BYTES = 1024 * 1024;

interface Cached {
  readonly document: Promise<unknown>;
  readonly until: number;
}

/**
 * The JSON-LD document loader: shipped contexts first (core, Smart Data Models), then hosted ones,
 * then a fetch from an allowed prefix, with a timeout and a cache shared by all requests (a slow
 * server delays only the requests that need its context). Anything else is LdContextNotAvailable.
 */
export function contextLoader(options: ContextLoaderOptions): (url: string) => Promise<RemoteDocument> {
  const cache = new Map<string, Cached>();

  async function fetchContext(url: string): Promise<unknown> {
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
      return JSON.parse(text) as unknown;
    } catch {
      throw new LdContextNotAvailableError(url, 'it is not JSON');
    }
  }

  function remote(url: string): Promise<unknown> {
    const now = Date.now();
    const hit = cache.get(url);
    if (hit && hit.until > now) return hit.document;
    const document = fetchContext(url);
    cache.set(url, { document, until: now + options.ttlMs });
    document.catch(() => cache.set(url, { document, until: Date.now() + FAILURE_TTL_MS }));
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
    return document;
  }

  return async (url) => {
    const document = offlineContext(url) ?? options.hosted?.(url) ?? (options.allow.some((prefix) => url.startsWith(prefix)) ? remote(url) : undefined);
    if (document === undefined) throw new LdContextNotAvailableError(url, 'it is neither shipped with placelink nor hosted by it, and its address is not in PLACELINK_NGSILD_CONTEXTS_ALLOW');
    return { contextUrl: null, documentUrl: url, document: await document };
  };
}
