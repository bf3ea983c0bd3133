import type { ApiContext } from '../../api/building-block.js';
import { apiUrl, selfUrl } from '../../api/urls.js';
import { FeatureNotFoundError } from '../../domain/errors.js';
import { contentCrsHeader } from '../crs/collection-crs.js';
import { html } from '../html/html.js';
import { crumbsFor, mapElement, page } from '../html/layout.js';
import { selfAndAlternates, type Link } from '../links.js';
import { negotiate } from '../negotiation.js';
import { HEADER, MEDIA, PARAM, REL } from '../vocabulary.js';
import { collectionPath } from './collection-document.js';
import { requireCollection, type FeaturesApiDeps } from './deps.js';
import type { FeatureParameters } from './feature-request.js';

function propertyRows(properties: Record<string, unknown>) {
  return Object.entries(properties).map(([name, value]) => html`<tr><th>${name}</th><td>${value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value ?? '')}</td></tr>`);
}

/** GET /collections/{collectionId}/items/{featureId} */
export function featureHandler(deps: FeaturesApiDeps, parameters: FeatureParameters) {
  return async (ctx: ApiContext): Promise<void> => {
    const collection = await requireCollection(deps, String(ctx.params['collectionId']));
    const featureId = String(ctx.params['featureId']);
    const format = negotiate(ctx, MEDIA.geojson);
    const { crs, output } = parameters.readFeature(ctx.query, collection);
    const found = await deps.queries.feature(collection, featureId, output, deps.assetLinks?.(ctx));
    if (found === null) throw new FeatureNotFoundError(collection.id, featureId);
    const { json, ngsiLdId } = found;

    const links: Link[] = [
      ...selfAndAlternates(ctx, format, MEDIA.geojson),
      { href: apiUrl(ctx, collectionPath(collection), { [PARAM.format]: 'json' }), rel: REL.collection, type: MEDIA.json, title: collection.title },
      // The one identifier of the real-world thing across placelink's APIs (NGSI-LD entity id, a URN).
      ...(ngsiLdId ? [{ href: ngsiLdId, rel: REL.describes, title: 'NGSI-LD entity id of the thing this feature describes' }] : []),
    ];
    ctx.set(HEADER.contentCrs, contentCrsHeader(crs));
    ctx.set('Vary', 'Accept');
    if (format === 'json') {
      ctx.type = MEDIA.geojson;
      ctx.body = `${json.slice(0, -1)},"links":${JSON.stringify(links)}}`;
      return;
    }
    const feature = JSON.parse(json) as { id: string; properties: Record<string, unknown> | null };
    const base = ctx.state.baseUrl;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      {
        title: `${collection.title}: ${feature.id}`,
        crumbs: crumbsFor(ctx.state.apiBase, [['Collections', `${ctx.state.apiBase}/collections`], [collection.title, apiUrl(ctx, collectionPath(collection))], ['Items', apiUrl(ctx, `${collectionPath(collection)}/items`)], [String(feature.id), undefined]]),
        links,
        baseUrl: base,
        withMap: true,
      },
      html`${mapElement({ geojsonUrl: selfUrl(ctx, { [PARAM.format]: 'json' }) }, deps.html)}
<h2>Properties</h2><table><tbody><tr><th>id</th><td>${feature.id}</td></tr>${propertyRows(feature.properties ?? {})}</tbody></table>`,
    );
  };
}
