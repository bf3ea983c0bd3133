import type { ApiContext } from './building-block.js';
import type { Format } from './negotiation.js';
import { MEDIA, PARAM, REL } from './vocabulary.js';

export interface Link {
  readonly href: string;
  readonly rel: string;
  readonly type?: string;
  readonly title?: string;
  readonly hreflang?: string;
}

/** An absolute URL under the service's base, with query parameters (undefined ones dropped). */
export function apiUrl(ctx: ApiContext, path: string, query: Record<string, string | undefined> = {}): string {
  const url = new URL(`${ctx.state.baseUrl}${path}`);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/** The request's own URL with some query parameters replaced (undefined removes one). */
export function selfUrl(ctx: ApiContext, changes: Record<string, string | undefined> = {}): string {
  const url = new URL(`${ctx.state.baseUrl}${ctx.path}`);
  for (const [name, value] of Object.entries(ctx.query)) {
    if (typeof value === 'string') url.searchParams.set(name, value);
  }
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return url.toString();
}

const TITLES: Record<Format, string> = { json: 'This document as JSON', html: 'This document as HTML' };

/** `self` for the format served and `alternate` for the others, each with its `f` value. */
export function selfAndAlternates(ctx: ApiContext, served: Format, jsonType: string = MEDIA.json): Link[] {
  const types: Record<Format, string> = { json: jsonType, html: MEDIA.html };
  return (['json', 'html'] as const).map((format) => ({
    href: selfUrl(ctx, { [PARAM.format]: format }),
    rel: format === served ? REL.self : REL.alternate,
    type: types[format],
    title: format === served ? 'This document' : TITLES[format],
  }));
}
