import { createHash } from 'node:crypto';
import { InvalidParameterError, OperationNotSupportedError, ResourceNotFoundError } from '../../domain/errors.js';
import type { LdContextKind, StoredLdContext } from '../../domain/ld-context.js';
import { storedContextId, type StoredContextService } from '../../services/ld-contexts/stored-contexts.js';
import { CONTEXTS_PATH, NGSI_LD_MOUNT } from '../vocabulary.js';
import type { ContextLoader } from './context-loader.js';
import { OFFLINE_CONTEXTS, offlineContext } from './offline-contexts.js';
import { checkContextSyntax } from './term-map.js';

/** An @context placelink holds, as the @context API describes it (clause 5.13.3.5). */
export interface HeldContext {
  readonly url: string;
  readonly localId: string;
  readonly kind: LdContextKind;
  /** RFC 3339. */
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsage: string | null;
  readonly numberOfHits: number;
  /** Shipped with placelink (a Cached context it never fetches), fetched from an allowed prefix, or stored in its database. */
  readonly origin: 'shipped' | 'fetched' | 'stored';
}

/**
 * Every @context placelink holds: the shipped ones and those fetched from allowed prefixes (Cached),
 * and those it stores (Hosted, ImplicitlyCreated). Ids and URLs a client may name one by: its local
 * id, the URL of a Cached context, or the URL of a stored one under any base.
 */
export interface ContextCatalog {
  /** All kinds when `kind` is null; `apiBase`: the public URL of the NGSI-LD API for this request. */
  list(kind: LdContextKind | null, apiBase: string): Promise<HeldContext[]>;
  find(contextId: string, apiBase: string): Promise<HeldContext | null>;
  /** The document of a context placelink serves: stored and shipped ones, not its copies of fetched ones. */
  document(context: HeldContext): Promise<unknown>;
  /** Stores a client's @context (the value of its body's `@context`) as a Hosted context. */
  add(context: unknown, apiBase: string): Promise<HeldContext>;
  /**
   * Deletes a context, or with `reload` fetches a Cached one again (clause 5.13.5); the shipped ones
   * stay (they are part of placelink).
   */
  remove(contextId: string, reload: boolean, apiBase: string): Promise<void>;
  /** Counts a request's use of these context URLs. */
  used(urls: Iterable<string>): void;
}

export interface ContextCatalogDeps {
  readonly loader: ContextLoader;
  readonly stored: StoredContextService;
  /** Told which context URLs changed, so nothing built from the old version is used again. */
  readonly changed: (test: (url: string) => boolean) => void;
}

const HOSTED_PATH = `${NGSI_LD_MOUNT}${CONTEXTS_PATH}/`;

/**
 * The local id in a URL of a context placelink stores, `…/ngsi-ld/v1/jsonldContexts/<id>` under any
 * base (the base depends on how the request reached placelink); null for other URLs.
 */
export function hostedContextId(url: string): string | null {
  if (!url.includes(HOSTED_PATH) || !URL.canParse(url)) return null;
  const path = new URL(url).pathname;
  const at = path.lastIndexOf(HOSTED_PATH);
  return at >= 0 ? storedContextId(path.slice(at + HOSTED_PATH.length)) : null;
}

/** Any version of the NGSI-LD core context. */
const CORE_CONTEXT = /^https?:\/\/uri\.etsi\.org\/ngsi-ld\/v1\/ngsi-ld-core-context(-v\d+(\.\d+)*)?\.jsonld$/;

/** RFC 9562 name-based UUID (version 5) in the URL namespace: a stable local id for a context known by its URL. */
function urlUuid(url: string): string {
  const hash = createHash('sha1').update(Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex')).update(url).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function contextCatalog(deps: ContextCatalogDeps): ContextCatalog {
  const startedAt = new Date().toISOString();
  const shippedUses = new Map<string, { hits: number; lastUsedAt: number }>();
  const shipped = [...OFFLINE_CONTEXTS.keys()].map((url) => ({ url, localId: urlUuid(url) }));

  function shippedContext(url: string, localId: string): HeldContext {
    const uses = shippedUses.get(url);
    return { url, localId, kind: 'Cached', createdAt: startedAt, expiresAt: null, lastUsage: iso(uses?.lastUsedAt ?? null), numberOfHits: uses?.hits ?? 0, origin: 'shipped' };
  }

  function fetchedContexts(): HeldContext[] {
    return deps.loader.fetched().map((f) => ({
      url: f.url,
      localId: urlUuid(f.url),
      kind: 'Cached',
      createdAt: iso(f.fetchedAt)!,
      expiresAt: iso(f.expiresAt),
      lastUsage: iso(f.lastUsedAt),
      numberOfHits: f.hits,
      origin: 'fetched',
    }));
  }

  function storedContext(context: StoredLdContext, apiBase: string): HeldContext {
    return { url: `${apiBase}${CONTEXTS_PATH}/${context.id}`, localId: context.id, kind: context.kind, createdAt: context.createdAt, expiresAt: null, lastUsage: context.lastUsedAt, numberOfHits: context.hits, origin: 'stored' };
  }

  async function find(contextId: string, apiBase: string): Promise<HeldContext | null> {
    const ship = shipped.find((s) => s.url === contextId || s.localId === contextId);
    if (ship) return shippedContext(ship.url, ship.localId);
    const fetched = fetchedContexts().find((f) => f.url === contextId || f.localId === contextId);
    if (fetched) return fetched;
    const id = storedContextId(contextId) ?? hostedContextId(contextId);
    const stored = id === null ? null : await deps.stored.get(id);
    return stored ? storedContext(stored, apiBase) : null;
  }

  return {
    async list(kind, apiBase) {
      const cached = kind === null || kind === 'Cached' ? [...shipped.map((s) => shippedContext(s.url, s.localId)), ...fetchedContexts()] : [];
      const stored = kind === 'Cached' ? [] : (await deps.stored.list(kind)).map((c) => storedContext(c, apiBase));
      return [...cached, ...stored];
    },
    find,
    async document(context) {
      if (context.origin === 'fetched') {
        throw new OperationNotSupportedError(
          `@context ${context.localId} is placelink's Cached copy of ${context.url}; copies of published contexts are not served (clause 5.13.4): get it from its URL, or its details with details=true`,
        );
      }
      const document = context.origin === 'shipped' ? await offlineContext(context.url) : await deps.stored.document(context.localId);
      if (document === undefined) throw new ResourceNotFoundError(`${CONTEXTS_PATH}/${context.localId}`);
      return document;
    },
    async add(context, apiBase) {
      await checkContextSyntax(context);
      return storedContext(await deps.stored.add(context), apiBase);
    },
    async remove(contextId, reload, apiBase) {
      const held = await find(contextId, apiBase);
      if (reload) {
        if (held?.origin === 'fetched') {
          await deps.loader.reload(held.url);
          deps.changed((url) => url === held.url);
          return;
        }
        // A shipped context is reloaded from placelink's own copy: there is nothing to download.
        if (held?.origin === 'shipped') return;
        throw new InvalidParameterError(
          'reload',
          held
            ? `reload=true is for Cached contexts; @context ${contextId} is ${held.kind} and has no original URL to download it from again`
            : `reload=true is for Cached contexts, and placelink holds no @context '${contextId}'`,
        );
      }
      if (held?.origin === 'shipped' || (!held && CORE_CONTEXT.test(contextId))) {
        throw new InvalidParameterError('contextId', `@context ${held?.url ?? contextId} cannot be deleted: the NGSI-LD core context and the contexts shipped with placelink stay (reload=true re-reads the shipped copy)`);
      }
      if (!held) throw new ResourceNotFoundError(`${CONTEXTS_PATH}/${contextId}`);
      if (held.origin === 'fetched') {
        deps.loader.forget(held.url);
        deps.changed((url) => url === held.url);
        return;
      }
      if (!(await deps.stored.remove(held.localId))) throw new ResourceNotFoundError(`${CONTEXTS_PATH}/${contextId}`);
      deps.changed((url) => hostedContextId(url) === held.localId);
    },
    used(urls) {
      for (const url of urls) {
        if (OFFLINE_CONTEXTS.has(url)) {
          const uses = shippedUses.get(url);
          shippedUses.set(url, { hits: (uses?.hits ?? 0) + 1, lastUsedAt: Date.now() });
          continue;
        }
        const id = hostedContextId(url);
        if (id !== null) deps.stored.used(id);
        else deps.loader.used(url);
      }
    },
  };
}
