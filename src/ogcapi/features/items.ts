import type { ApiContext } from '../../api/building-block.js';
import { responseBody } from '../../api/response-body.js';
import { apiUrl, selfUrl } from '../../api/urls.js';
import type { Collection } from '../../domain/collection.js';
import { InvariantError } from '../../domain/errors.js';
import type { PagePosition, SortKey } from '../../domain/query.js';
import { propertyQueryables } from '../../domain/queryables.js';
import type { PageOutcome } from '../../services/features/query-features.js';
import { contentCrsHeader } from '../crs/collection-crs.js';
import { html, trusted } from '../html/html.js';
import { crumbsFor, mapElement, pageEnd, pageStart, type PageFrame } from '../html/layout.js';
import { selfAndAlternates, type Link } from '../links.js';
import { negotiate, type Format } from '../negotiation.js';
import { encodeCursor } from '../params/cursor.js';
import { MEDIA, PARAM, REL, HEADER } from '../vocabulary.js';
import { collectionPath } from './collection-document.js';
import { requireCollection, type FeaturesApiDeps } from './deps.js';
import type { FeatureParameters, ItemsRequest } from './feature-request.js';

function pageUrl(ctx: ApiContext, position: PagePosition, order: readonly SortKey[], format: Format): string {
  if (position.kind !== 'after' && position.kind !== 'before') throw new InvariantError('paging links carry keyset positions');
  return selfUrl(ctx, { [PARAM.cursor]: encodeCursor(position, order), [PARAM.offset]: undefined, [PARAM.format]: format });
}

function pagingLinks(ctx: ApiContext, outcome: PageOutcome, order: readonly SortKey[], format: Format): Link[] {
  const type = format === 'json' ? MEDIA.geojson : MEDIA.html;
  const links: Link[] = [];
  if (outcome.next) links.push({ href: pageUrl(ctx, outcome.next, order, format), rel: REL.next, type, title: 'Next page' });
  if (outcome.prev) links.push({ href: pageUrl(ctx, outcome.prev, order, format), rel: REL.prev, type, title: 'Previous page' });
  return links;
}

function collectionLink(ctx: ApiContext, collection: Collection): Link {
  return { href: apiUrl(ctx, collectionPath(collection), { [PARAM.format]: 'json' }), rel: REL.collection, type: MEDIA.json, title: collection.title };
}

async function* geojsonBody(ctx: ApiContext, collection: Collection, request: ItemsRequest, features: AsyncIterable<string>, outcome: () => Promise<PageOutcome>): AsyncGenerator<string> {
  yield '{"type":"FeatureCollection","features":[';
  let first = true;
  for await (const piece of features) {
    yield first ? piece : `,${piece}`;
    first = false;
  }
  const result = await outcome();
  const links = [...selfAndAlternates(ctx, 'json', MEDIA.geojson), ...pagingLinks(ctx, result, request.order, 'json'), collectionLink(ctx, collection)];
  const tail: Record<string, unknown> = { numberReturned: result.numberReturned };
  if (result.numberMatched !== null) tail['numberMatched'] = result.numberMatched;
  tail['timeStamp'] = ctx.state.receivedAt.toISOString();
  tail['links'] = links;
  yield `],${JSON.stringify(tail).slice(1)}`;
}

function propertyCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

async function* htmlBody(
  ctx: ApiContext,
  deps: FeaturesApiDeps,
  collection: Collection,
  request: ItemsRequest,
  features: AsyncIterable<string>,
  outcome: () => Promise<PageOutcome>,
): AsyncGenerator<string> {
  const base = ctx.state.baseUrl;
  const itemsPath = `${collectionPath(collection)}/items`;
  const columns = request.output.properties ?? propertyQueryables(collection).map(([name]) => name);
  const frame: PageFrame = {
    title: `${collection.title}: features`,
    crumbs: crumbsFor(ctx.state.apiBase, [['Collections', `${ctx.state.apiBase}/collections`], [collection.title, apiUrl(ctx, collectionPath(collection))], ['Items', undefined]]),
    links: selfAndAlternates(ctx, 'html', MEDIA.geojson),
    baseUrl: base,
    withMap: true,
  };
  yield pageStart(frame);
  yield mapElement({ geojsonUrl: selfUrl(ctx, { [PARAM.format]: 'json' }), itemsBase: apiUrl(ctx, itemsPath) }, deps.html).value;
  yield html`<table><thead><tr><th>id</th>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead><tbody>`.value;
  for await (const piece of features) {
    yield (JSON.parse(`[${piece}]`) as Array<{ id: string; properties: Record<string, unknown> | null }>)
      .map((feature) => {
        const properties = feature.properties ?? {};
        return html`<tr><td><a href="${apiUrl(ctx, `${itemsPath}/${encodeURIComponent(feature.id)}`)}">${feature.id}</a></td>${columns.map((c) => html`<td>${propertyCell(properties[c])}</td>`)}</tr>`.value;
      })
      .join('');
  }
  const result = await outcome();
  const paging = pagingLinks(ctx, result, request.order, 'html');
  const next = paging.find((l) => l.rel === REL.next);
  const prev = paging.find((l) => l.rel === REL.prev);
  const matched = result.numberMatched === null ? '' : ` of ${result.numberMatched}`;
  yield html`</tbody></table>
<div class="pager">${prev ? html`<a rel="prev" href="${prev.href}">← Previous</a>` : trusted('<span class="disabled">← Previous</span>')}
<span>${result.numberReturned} feature(s)${matched}</span>
${next ? html`<a rel="next" href="${next.href}">Next →</a>` : trusted('<span class="disabled">Next →</span>')}</div>`.value;
  yield pageEnd({ ...frame, links: [...frame.links, ...paging, collectionLink(ctx, collection)] });
}

/** GET /collections/{collectionId}/items: one page of features, streamed from a database cursor. */
export function itemsHandler(deps: FeaturesApiDeps, parameters: FeatureParameters) {
  return async (ctx: ApiContext): Promise<void> => {
    const collection = await requireCollection(deps, String(ctx.params['collectionId']));
    const format = negotiate(ctx, MEDIA.geojson);
    const request = parameters.readItems(ctx.query, collection);
    const page = await deps.queries.page(collection, request, deps.assetLinks?.(ctx));
    const pieces =
      format === 'json'
        ? geojsonBody(ctx, collection, request, page.features, () => page.outcome())
        : htmlBody(ctx, deps, collection, request, page.features, () => page.outcome());
    let body: Awaited<ReturnType<typeof responseBody>>;
    try {
      body = await responseBody(pieces);
    } catch (error) {
      await page.close();
      throw error;
    }
    ctx.set(HEADER.contentCrs, contentCrsHeader(request.crs));
    ctx.set('Vary', 'Accept');
    ctx.type = format === 'json' ? MEDIA.geojson : 'text/html; charset=utf-8';
    ctx.body = body;
  };
}
