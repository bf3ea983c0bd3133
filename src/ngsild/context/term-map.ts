import jsonld, { type ActiveContext, type RemoteDocument } from 'jsonld';
import { InvalidInputError, LdContextNotAvailableError, PlacelinkError } from '../../domain/errors.js';

/**
 * The names of one @context: short term ↔ IRI, for entity types and attribute names. jsonld.js
 * processes the context once (its rules for protected terms, scoped contexts and imports); names are
 * then translated with the term definitions, so encoding an entity costs a map lookup per attribute
 * instead of a JSON-LD compaction.
 */
export interface TermMap {
  /** A term, compact IRI or IRI as the context expands it (vocabulary-relative). */
  expand(name: string): string;
  /** The shortest name the context gives an IRI: a term, a vocabulary-relative name, a compact IRI, or the IRI itself. */
  compact(iri: string): string;
  /** The context names a core context itself, directly or through the contexts it names (responses may then echo it alone). */
  readonly includesCore?: boolean;
}

const CORE_CONTEXT = /\/ngsi-ld-core-context(-v[\d.]+)?\.jsonld$/;

/** Whether a context names a core context, following the context URLs it names a few levels down. */
async function namesCore(context: unknown, load: (url: string) => Promise<RemoteDocument>, depth = 3): Promise<boolean> {
  if (typeof context === 'string') {
    if (CORE_CONTEXT.test(context)) return true;
    if (depth === 0) return false;
    const document = (await load(context)).document as { '@context'?: unknown } | null;
    return namesCore(document?.['@context'], load, depth - 1);
  }
  if (Array.isArray(context)) {
    for (const member of context) if (await namesCore(member, load, depth)) return true;
  }
  return false;
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** Characters after which an IRI prefix may be cut into a compact IRI (JSON-LD 1.1 gen-delims). */
const PREFIX_END = /[:/?#[\]@]$/;

function shortestFirst(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function termMapOf(active: ActiveContext): TermMap {
  const vocab = active['@vocab'];
  const terms = new Map<string, string>();
  const inverse = new Map<string, string>();
  const prefixes: [string, string][] = [];
  for (const [term, definition] of active.mappings) {
    const iri = definition['@id'];
    if (!iri || definition.reverse || term.startsWith('@')) continue;
    terms.set(term, iri);
    const best = inverse.get(iri);
    if (best === undefined || shortestFirst(term, best) < 0) inverse.set(iri, term);
    if (PREFIX_END.test(iri) && !term.includes(':')) prefixes.push([term, iri]);
  }
  const expanded = new Map<string, string>();
  const compacted = new Map<string, string>();

  function expand(name: string): string {
    if (name.startsWith('@')) return name;
    const known = terms.get(name);
    if (known !== undefined) return known;
    const colon = name.indexOf(':');
    if (colon > 0) {
      const prefix = terms.get(name.slice(0, colon));
      if (prefix !== undefined && !name.startsWith('//', colon + 1)) return prefix + name.slice(colon + 1);
      if (ABSOLUTE.test(name)) return name;
    }
    return vocab !== undefined ? vocab + name : name;
  }

  function compact(iri: string): string {
    const term = inverse.get(iri);
    if (term !== undefined) return term;
    if (vocab !== undefined && iri.startsWith(vocab) && iri.length > vocab.length) {
      const suffix = iri.slice(vocab.length);
      if (!terms.has(suffix) && !suffix.includes(':')) return suffix;
    }
    let best: string | null = null;
    for (const [prefix, prefixIri] of prefixes) {
      if (!iri.startsWith(prefixIri) || iri.length === prefixIri.length) continue;
      const candidate = `${prefix}:${iri.slice(prefixIri.length)}`;
      if (!terms.has(candidate) && (best === null || shortestFirst(candidate, best) < 0)) best = candidate;
    }
    return best ?? iri;
  }

  return {
    expand(name) {
      let iri = expanded.get(name);
      if (iri === undefined) expanded.set(name, (iri = expand(name)));
      return iri;
    },
    compact(iri) {
      let name = compacted.get(iri);
      if (name === undefined) compacted.set(iri, (name = compact(iri)));
      return name;
    },
  };
}

/** Term maps of the contexts seen, by the context's JSON (requests name the same few over and over). */
export interface TermMaps {
  /** The term map of a request's context; each call counts as a use of every context URL it was built from. */
  of(context: unknown): Promise<TermMap>;
  /** Drops the term maps built from a context URL the test matches (a context deleted or reloaded). */
  forget(builtFrom: (url: string) => boolean): void;
}

const MAX_CONTEXTS = 200;

interface Built {
  readonly map: TermMap;
  /** Every context URL loaded to build it, the core context's included. */
  readonly urls: ReadonlySet<string>;
}

/**
 * `core`: the core context, which is always in force (clause 5.5.7): a request context is applied on top
 * of it. An unusable context is InvalidInputError (a bad definition) or LdContextNotAvailableError.
 * `used`: told the context URLs behind each term map a request asks for.
 */
export function termMaps(documentLoader: (url: string) => Promise<RemoteDocument>, core: string, used: (urls: ReadonlySet<string>) => void = () => {}): TermMaps {
  const cache = new Map<string, Promise<Built>>();
  let initial: Promise<{ active: ActiveContext; urls: ReadonlySet<string> }> | null = null;

  /** The document loader of one build, noting the URLs it loads. */
  function noting(urls: Set<string>): (url: string) => Promise<RemoteDocument> {
    return (url) => {
      urls.add(url);
      return documentLoader(url);
    };
  }

  async function processCore(): Promise<{ active: ActiveContext; urls: ReadonlySet<string> }> {
    const urls = new Set<string>();
    const empty = await jsonld.processContext(null, null, {});
    return { active: await jsonld.processContext(empty, core, { documentLoader: noting(urls) }), urls };
  }

  async function build(context: unknown): Promise<Built> {
    if (!initial) {
      initial = processCore();
      initial.catch(() => (initial = null));
    }
    const base = await initial;
    const urls = new Set(base.urls);
    try {
      const active = await jsonld.processContext(base.active, context, { documentLoader: noting(urls) });
      return { map: { ...termMapOf(active), includesCore: await namesCore(context, documentLoader) }, urls };
    } catch (error) {
      if (error instanceof PlacelinkError) throw error;
      const cause = (error as { details?: { cause?: unknown } }).details?.cause;
      if (cause instanceof LdContextNotAvailableError) throw cause;
      throw new InvalidInputError(`The @context cannot be used: ${(error as Error).message}`);
    }
  }

  return {
    async of(context) {
      const key = JSON.stringify(context ?? null);
      let built = cache.get(key);
      if (!built) {
        built = build(context ?? null);
        cache.set(key, built);
        built.catch(() => cache.delete(key));
        if (cache.size > MAX_CONTEXTS) cache.delete(cache.keys().next().value!);
      }
      const { map, urls } = await built;
      used(urls);
      return map;
    },
    forget(builtFrom) {
      for (const [key, built] of cache) {
        built.then(
          ({ urls }) => {
            if ([...urls].some(builtFrom) && cache.get(key) === built) cache.delete(key);
          },
          () => {},
        );
      }
    },
  };
}

/**
 * Checks the syntax of a context a client gives (clause 5.5.4) without loading the contexts it names
 * (they are checked when a request uses it): each stands for an empty context here.
 */
export async function checkContextSyntax(context: unknown): Promise<void> {
  const placeholder = async (url: string): Promise<RemoteDocument> => ({ contextUrl: null, documentUrl: url, document: { '@context': {} } });
  try {
    await jsonld.processContext(await jsonld.processContext(null, null, {}), context as never, { documentLoader: placeholder });
  } catch (error) {
    throw new InvalidInputError(`The @context is not a valid JSON-LD context: ${(error as Error).message}`);
  }
}
