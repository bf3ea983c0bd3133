import type { ApiContext } from '../api/building-block.js';
import { CORE_CONTEXT_URL } from './context/offline-contexts.js';
import type { TermMap } from './context/term-map.js';
import type { Representation } from './negotiation.js';
import type { RequestContext } from './request-context.js';
import { CONTEXT_REL, HEADER, MEDIA } from './vocabulary.js';

/**
 * The @context of a JSON-LD body: the request's own as it came when it names the core context itself
 * (what the ETSI suite expects), else with the core context last (clause 5.5.7: its terms win), or the
 * core context alone.
 */
export function bodyContextOf(request: RequestContext, names: TermMap | undefined): unknown {
  if (request.context.length === 0) return CORE_CONTEXT_URL;
  if (names?.includesCore) return request.context.length === 1 ? request.context[0] : request.context;
  return request.context.includes(CORE_CONTEXT_URL) ? request.context : [...request.context, CORE_CONTEXT_URL];
}

/** The Link header value naming a JSON-LD @context. */
export function contextLink(url: string): string {
  return `<${url}>; rel="${CONTEXT_REL}"; type="${MEDIA.jsonLd}"`;
}

/**
 * A JSON body in the representation chosen (clause 6.3.6): application/json names the @context in a
 * Link header, application/ld+json carries it in the body (in each entity of an array), GeoJSON in
 * the FeatureCollection or Feature unless the client prefers `body=json`. Bodies are set as JSON text
 * (an object body would be serialised twice: once for its length by the compression, once to send).
 */
export function writeBody(ctx: ApiContext, body: Record<string, unknown> | readonly Record<string, unknown>[], representation: Representation, request: RequestContext, names?: TermMap): void {
  const context = bodyContextOf(request, names);
  const withContext = (member: Record<string, unknown>) => ({ ...member, '@context': context });
  if (representation === 'ld+json') {
    ctx.set('Content-Type', MEDIA.jsonLd);
    ctx.body = JSON.stringify(Array.isArray(body) ? body.map(withContext) : withContext(body as Record<string, unknown>));
    return;
  }
  const linkUrl = request.linkUrl ?? CORE_CONTEXT_URL;
  if (representation === 'geo+json') {
    ctx.set('Content-Type', MEDIA.geoJson);
    const document = Array.isArray(body) ? { type: 'FeatureCollection', features: body } : body;
    if (/\bbody=json\b/.test(ctx.get(HEADER.prefer))) {
      ctx.append(HEADER.link, contextLink(linkUrl));
      ctx.body = JSON.stringify(document);
    } else ctx.body = JSON.stringify(withContext(document as Record<string, unknown>));
    return;
  }
  ctx.set('Content-Type', MEDIA.json);
  ctx.append(HEADER.link, contextLink(linkUrl));
  ctx.body = JSON.stringify(body);
}

/** rel next/prev links of an offset-paged list, in the Link header (clause 6.3.10). */
export function pagingLinks(ctx: ApiContext, offset: number, limit: number, returned: number, total: number | null): void {
  const link = (to: number, rel: string) => {
    const query = new URLSearchParams(ctx.querystring);
    query.set('offset', String(to));
    query.set('limit', String(limit));
    // The collection's path as the API names it (a request to `/subscriptions/` pages `/subscriptions`).
    ctx.append(HEADER.link, `<${ctx.path.replace(/(.)\/+$/, '$1')}?${query}>;rel="${rel}";type="${MEDIA.jsonLd}"`);
  };
  if (limit === 0) return;
  const more = total === null ? returned === limit : offset + returned < total;
  if (more) link(offset + limit, 'next');
  if (offset > 0) link(Math.max(0, offset - limit), 'prev');
}
