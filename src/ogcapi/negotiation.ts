import type { ApiContext } from '../api/building-block.js';
import { single } from '../api/query-values.js';
import { InvalidParameterError, RepresentationUnavailableError } from '../domain/errors.js';
import { MEDIA, PARAM } from './vocabulary.js';

export type Format = 'json' | 'html';

const F_VALUES: Record<string, Format> = { json: 'json', geojson: 'json', html: 'html' };

/**
 * Chooses the representation: the `f` parameter when given, otherwise the Accept header
 * (JSON when the client states no preference). `jsonType` is the JSON flavour of this resource.
 */
export function negotiate(ctx: ApiContext, jsonType: string = MEDIA.json): Format {
  const f = single(ctx.query, PARAM.format);
  if (f !== undefined) {
    const format = F_VALUES[f.toLowerCase()];
    if (!format) throw new InvalidParameterError(PARAM.format, `f must be one of ${Object.keys(F_VALUES).join(', ')}, got '${f.slice(0, 40)}'`);
    return format;
  }
  if (!ctx.get('Accept')) return 'json';
  const chosen = ctx.accepts(jsonType, MEDIA.json, MEDIA.html, 'application/*+json');
  if (chosen === false) throw new RepresentationUnavailableError([jsonType, MEDIA.html]);
  return chosen === MEDIA.html ? 'html' : 'json';
}
