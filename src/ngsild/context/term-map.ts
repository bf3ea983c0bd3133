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
  of(context: unknown): Promise<TermMap>;
}

const MAX_CONTEXTS = 200;

/**
 * `core`: the core context, which is always in force (clause 5.5.7): a request context is applied on top
 * of it. An unusable context is InvalidInputError (a bad definition) or LdContextNotAvailableError.
 */
export function termMaps(documentLoader: (url: string) => Promise<RemoteDocument>, core: string): TermMaps {
  const cache = new Map<string, Promise<TermMap>>();
  let initial: Promise<ActiveContext> | null = null;

  async function build(context: unknown): Promise<TermMap> {
    initial ??= jsonld.processContext(null, null, {}).then((empty) => jsonld.processContext(empty, core, { documentLoader }));
    try {
      return termMapOf(await jsonld.processContext(await initial, context, { documentLoader }));
    } catch (error) {
      if (error instanceof PlacelinkError) throw error;
      const cause = (error as { details?: { cause?: unknown } }).details?.cause;
      if (cause instanceof LdContextNotAvailableError) throw cause;
      throw new InvalidInputError(`The @context cannot be used: ${(error as Error).message}`);
    }
  }

  return {
    of(context) {
      const key = JSON.stringify(context ?? null);
      let map = cache.get(key);
      if (!map) {
        map = build(context ?? null);
        cache.set(key, map);
        map.catch(() => cache.delete(key));
        if (cache.size > MAX_CONTEXTS) cache.delete(cache.keys().next().value!);
      }
      return map;
    },
  };
}
