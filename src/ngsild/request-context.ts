import type { ApiContext } from '../api/building-block.js';
import { InvalidInputError } from '../domain/errors.js';
import { CONTEXT_REL, MEDIA } from './vocabulary.js';

/** The @context a request's names are in, on top of the core context (clause 6.3.5). */
export interface RequestContext {
  /** What the request supplies: nothing (core only), a context URL from its Link header, or its body's @context. */
  readonly context: readonly unknown[];
  /** The URL a JSON response names in its Link header (the request's own, or the core context). */
  readonly linkUrl: string | null;
}

const LINK_VALUE = /^\s*<([^>]*)>\s*(.*)$/;

/** The URL of a JSON-LD context link in a Link header, if there is one; two of them are an error. */
function contextLink(header: string): string | null {
  if (!header) return null;
  const urls: string[] = [];
  for (const value of header.split(/,(?=\s*<)/)) {
    const match = LINK_VALUE.exec(value);
    if (!match) throw new InvalidInputError(`The Link header is not a link: ${value.trim().slice(0, 100)}`);
    const rel = /(?:^|;)\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2]!)?.[1];
    if (rel?.split(/\s+/).includes(CONTEXT_REL)) urls.push(match[1]!);
  }
  if (urls.length > 1) throw new InvalidInputError('The request has more than one JSON-LD @context Link header');
  const url = urls[0];
  if (url !== undefined && !URL.canParse(url)) throw new InvalidInputError(`The JSON-LD @context link '${url.slice(0, 100)}' is not an absolute URL`);
  return url ?? null;
}

/** The context of a request without a body (GET, DELETE): its Link header, or the core context alone. */
export function linkedContext(ctx: ApiContext): RequestContext {
  const url = contextLink(ctx.get('Link'));
  return url ? { context: [url], linkUrl: url } : { context: [], linkUrl: null };
}

/**
 * The context of a request with a JSON body: `application/json` names it in the Link header and must
 * have no @context in the body; `application/ld+json` carries it in the body and must have no Link.
 */
export function bodyContext(ctx: ApiContext, body: unknown, mediaType: string): RequestContext {
  const linked = linkedContext(ctx);
  const bodies = Array.isArray(body) ? body : [body];
  const inBody = bodies.filter((b): b is Record<string, unknown> => b !== null && typeof b === 'object' && '@context' in b);
  if (mediaType !== MEDIA.jsonLd) {
    if (inBody.length) throw new InvalidInputError('An application/json body must not carry @context: name the context in a Link header, or send application/ld+json');
    return linked;
  }
  if (linked.linkUrl) throw new InvalidInputError('An application/ld+json body carries its @context itself: a JSON-LD Link header is not allowed with it');
  if (bodies.length === 0) return { context: [], linkUrl: null };
  if (inBody.length !== bodies.length) throw new InvalidInputError('An application/ld+json body must carry an @context (in every entity of an array)');
  const context = inBody[0]!['@context'];
  const list = Array.isArray(context) ? context : [context];
  const url = list.length === 1 && typeof list[0] === 'string' ? list[0] : null;
  return { context: list, linkUrl: url };
}

/** The @context of each element of a JSON-LD array body (batch operations may give each entity its own). */
export function elementContext(element: unknown, fallback: RequestContext): readonly unknown[] {
  if (element !== null && typeof element === 'object' && '@context' in element) {
    const context = (element as Record<string, unknown>)['@context'];
    return Array.isArray(context) ? context : [context];
  }
  return fallback.context;
}
