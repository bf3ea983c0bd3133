import type { ApiContext } from '../api/building-block.js';
import { RepresentationUnavailableError, UnsupportedInputFormatError } from '../domain/errors.js';
import { MEDIA } from './vocabulary.js';

export type Representation = 'json' | 'ld+json' | 'geo+json';

const BY_TYPE: Readonly<Record<string, Representation>> = { [MEDIA.json]: 'json', [MEDIA.jsonLd]: 'ld+json', [MEDIA.geoJson]: 'geo+json' };

/**
 * The response representation (clause 6.3.4): JSON, JSON-LD or (where the operation offers it) GeoJSON,
 * by the Accept header's preferences; no Accept header or a wildcard means JSON.
 */
export function representation(ctx: ApiContext, geoJson = false): Representation {
  if (!ctx.get('Accept')) return 'json';
  const offered = geoJson ? [MEDIA.json, MEDIA.jsonLd, MEDIA.geoJson] : [MEDIA.json, MEDIA.jsonLd];
  const chosen = ctx.accepts(...offered);
  if (chosen === false) throw new RepresentationUnavailableError(offered);
  return BY_TYPE[chosen]!;
}

/** The media type of a request body: JSON or JSON-LD (and JSON merge patch where the operation takes it). */
export function bodyMediaType(ctx: ApiContext, mergePatch = false): string {
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  const accepted = mergePatch ? [MEDIA.json, MEDIA.jsonLd, MEDIA.mergePatch] : [MEDIA.json, MEDIA.jsonLd];
  if (!accepted.includes(type as never)) throw new UnsupportedInputFormatError(type || '(none)', accepted);
  return type === MEDIA.mergePatch ? MEDIA.json : type;
}
