import type { Collection } from '../../domain/collection.js';
import { collectionQueryables } from '../../domain/queryables.js';
import { CRS84_URI } from '../../geo/crs-registry.js';
import type { ApiContext } from '../../api/building-block.js';
import { apiUrl } from '../../api/urls.js';
import { offeredCrs } from '../crs/collection-crs.js';
import { html } from '../html/html.js';
import { crumbsFor, mapElement, page } from '../html/layout.js';
import { selfAndAlternates } from '../links.js';
import { negotiate } from '../negotiation.js';
import { rejectUnknown } from '../../api/query-values.js';
import { MEDIA, PARAM } from '../vocabulary.js';
import { collectionPath, listedCollectionDocument, singleCollectionDocument } from './collection-document.js';
import { extraLinks, requireCollection, type FeaturesApiDeps } from './deps.js';

const ONLY_FORMAT = new Set([PARAM.format]);

function extentText(collection: Collection): string {
  const e = collection.spatialExtent;
  return e ? e.map((n) => n.toFixed(6)).join(', ') : 'empty';
}

/** GET /collections */
export function collectionsHandler(deps: FeaturesApiDeps) {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx);
    const collections = await deps.collections.list();
    const links = selfAndAlternates(ctx, format);
    if (format === 'json') {
      const extra = await Promise.all(collections.map((c) => extraLinks(deps, c)));
      ctx.body = { links, collections: collections.map((c, i) => listedCollectionDocument(ctx, c, extra[i])) };
      return;
    }
    const base = ctx.state.baseUrl;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: 'Collections', crumbs: crumbsFor(ctx.state.apiBase, [['Collections', undefined]]), links, baseUrl: base },
      html`<table><thead><tr><th>Collection</th><th>Description</th><th>Features</th><th>Extent (CRS84)</th></tr></thead><tbody>
${collections.map((c) => html`<tr><td><a href="${apiUrl(ctx, collectionPath(c))}">${c.title}</a><br><code>${c.id}</code></td><td>${c.description ?? ''}</td><td class="num">${c.featureCount}</td><td>${extentText(c)}</td></tr>`)}
</tbody></table>`,
    );
  };
}

/** GET /collections/{collectionId} */
export function collectionHandler(deps: FeaturesApiDeps) {
  return async (ctx: ApiContext): Promise<void> => {
    const collection = await requireCollection(deps, String(ctx.params['collectionId']));
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx);
    const extra = await extraLinks(deps, collection);
    if (format === 'json') {
      ctx.body = singleCollectionDocument(ctx, collection, format, extra);
      return;
    }
    const base = ctx.state.baseUrl;
    const doc = singleCollectionDocument(ctx, collection, format, extra);
    const items = `${collectionPath(collection)}/items`;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      {
        title: collection.title,
        crumbs: crumbsFor(ctx.state.apiBase, [['Collections', `${ctx.state.apiBase}/collections`], [collection.title, undefined]]),
        links: doc['links'] as never,
        baseUrl: base,
        withMap: true,
      },
      html`<p>${collection.description ?? ''}</p>
${mapElement({ bbox: collection.spatialExtent }, deps.html)}
<p><a href="${apiUrl(ctx, items, { [PARAM.format]: 'html' })}">Browse the features</a> · <a href="${apiUrl(ctx, items, { [PARAM.format]: 'json' })}" type="${MEDIA.geojson}">GeoJSON</a></p>
<dl class="meta">
<dt>Identifier</dt><dd><code>${collection.id}</code></dd>
<dt>Features</dt><dd>${collection.featureCount}</dd>
<dt>Geometry types</dt><dd>${collection.geometryTypes.join(', ') || '—'}</dd>
<dt>Spatial extent</dt><dd>${extentText(collection)} <span class="muted">(${CRS84_URI})</span></dd>
<dt>Temporal extent</dt><dd>${collection.temporalExtent ? `${collection.temporalExtent[0] ?? '..'} / ${collection.temporalExtent[1] ?? '..'}` : '—'}</dd>
<dt>Keywords</dt><dd>${collection.keywords.join(', ') || '—'}</dd>
<dt>License</dt><dd>${collection.license ?? '—'}</dd>
<dt>Attribution</dt><dd>${collection.attribution ?? '—'}</dd>
<dt>Queryables</dt><dd>${[...collectionQueryables(collection)].map(([name, q]) => html`<code>${name}</code> (${q.type}) `)} <a href="${apiUrl(ctx, `${collectionPath(collection)}/queryables`, { [PARAM.format]: 'html' })}">details</a></dd>
<dt>Output CRSs</dt><dd>${offeredCrs(collection).map((c) => html`<code>${c.uri}</code><br>`)}</dd>
</dl>`,
    );
  };
}
