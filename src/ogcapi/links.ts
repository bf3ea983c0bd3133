import type { ApiContext } from '../api/building-block.js';
import { selfUrl } from '../api/urls.js';
import type { Format } from './negotiation.js';
import { MEDIA, PARAM, REL } from './vocabulary.js';

export interface Link {
  readonly href: string;
  readonly rel: string;
  readonly type?: string;
  readonly title?: string;
  readonly hreflang?: string;
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
