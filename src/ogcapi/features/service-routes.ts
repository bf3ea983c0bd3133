import type { ApiContext, BuildingBlock } from '../../api/building-block.js';
import { openApiDocument } from '../../api/openapi-document.js';
import { rejectUnknown } from '../../api/query-values.js';
import type { ServiceInfo } from '../../api/service-info.js';
import { apiUrl } from '../../api/urls.js';
import { html, trusted } from '../html/html.js';
import { crumbsFor, linkList, page } from '../html/layout.js';
import { selfAndAlternates, type Link } from '../links.js';
import { negotiate } from '../negotiation.js';
import { MEDIA, PARAM, REL } from '../vocabulary.js';
import type { FeaturesApiDeps } from './deps.js';

const ONLY_FORMAT = new Set([PARAM.format]);

/** The blocks the API is made of; given lazily because these routes are themselves part of a block. */
export type BlockList = () => readonly BuildingBlock[];

export function conformanceClasses(blocks: readonly BuildingBlock[]): string[] {
  return [...new Set(blocks.flatMap((b) => b.conformance))];
}

function landingLinks(ctx: ApiContext, served: 'json' | 'html', extra: (ctx: ApiContext) => Link[]): Link[] {
  return [
    ...selfAndAlternates(ctx, served),
    { href: apiUrl(ctx, '/api'), rel: REL.serviceDesc, type: MEDIA.openapi, title: 'The API definition (OpenAPI 3.0)' },
    { href: apiUrl(ctx, '/api.html'), rel: REL.serviceDoc, type: MEDIA.html, title: 'The API documentation' },
    { href: apiUrl(ctx, '/conformance', { [PARAM.format]: 'json' }), rel: REL.conformance, type: MEDIA.json, title: 'Conformance classes implemented' },
    { href: apiUrl(ctx, '/conformance', { [PARAM.format]: 'html' }), rel: REL.conformance, type: MEDIA.html, title: 'Conformance classes implemented (HTML)' },
    { href: apiUrl(ctx, '/collections', { [PARAM.format]: 'json' }), rel: REL.data, type: MEDIA.json, title: 'Feature collections' },
    { href: apiUrl(ctx, '/collections', { [PARAM.format]: 'html' }), rel: REL.data, type: MEDIA.html, title: 'Feature collections (HTML)' },
    ...extra(ctx),
  ];
}

/** `extra`: the links the enabled extensions add. */
export function landingHandler(info: ServiceInfo, extra: (ctx: ApiContext) => Link[]) {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx);
    const links = landingLinks(ctx, format, extra);
    if (format === 'json') {
      ctx.body = { title: info.title, description: info.description, links };
      return;
    }
    const base = ctx.state.baseUrl;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: info.title, crumbs: [], links, baseUrl: base },
      html`<p>${info.description}</p>
<ul>
<li><a href="${apiUrl(ctx, '/collections', { [PARAM.format]: 'html' })}">Collections</a>: the feature collections and their items</li>
<li><a href="${apiUrl(ctx, '/api.html')}">API documentation</a> and <a href="${apiUrl(ctx, '/api')}">definition</a> (OpenAPI 3.0)</li>
<li><a href="${apiUrl(ctx, '/conformance', { [PARAM.format]: 'html' })}">Conformance classes</a></li>
</ul>`,
    );
  };
}

export function conformanceHandler(blocks: BlockList) {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx);
    const conformsTo = conformanceClasses(blocks());
    const links = selfAndAlternates(ctx, format);
    if (format === 'json') {
      ctx.body = { links, conformsTo };
      return;
    }
    const base = ctx.state.baseUrl;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: 'Conformance classes', crumbs: crumbsFor(ctx.state.apiBase, [['Conformance', undefined]]), links, baseUrl: base },
      html`<ul>${conformsTo.map((uri) => html`<li><a href="${uri}">${uri}</a></li>`)}</ul>`,
    );
  };
}

interface OperationView {
  summary?: string;
  description?: string;
  parameters?: Array<{ $ref?: string; name?: string; in?: string; description?: string; schema?: unknown }>;
}

function apiHtml(doc: Record<string, unknown>): string {
  const components = (doc['components'] as { parameters: Record<string, { name: string; in: string; description?: string; schema?: unknown }> }).parameters;
  const paths = doc['paths'] as Record<string, Record<string, OperationView>>;
  const sections = Object.entries(paths).map(([path, item]) =>
    Object.entries(item).map(([method, op]) => {
      const params = (op.parameters ?? []).map((p) => (p.$ref ? components[p.$ref.split('/').pop()!]! : p));
      return html`<section><h2><code>${method.toUpperCase()} ${path}</code></h2><p>${op.summary ?? ''}</p>${op.description ? html`<p class="muted">${op.description}</p>` : ''}
${params.length ? html`<table><thead><tr><th>Parameter</th><th>In</th><th>Schema</th><th>Description</th></tr></thead><tbody>${params.map((p) => html`<tr><td><code>${p.name ?? ''}</code></td><td>${p.in ?? ''}</td><td><code>${JSON.stringify(p.schema ?? {})}</code></td><td>${p.description ?? ''}</td></tr>`)}</tbody></table>` : ''}</section>`;
    }),
  );
  return trusted(sections.flat().map((s) => s.value).join('\n')).value;
}

export function apiHandler(info: ServiceInfo, deps: FeaturesApiDeps, blocks: BlockList) {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx, MEDIA.openapi);
    const doc = openApiDocument(info, ctx.state.apiBase, blocks(), await deps.collections.list());
    if (format === 'json') {
      ctx.type = MEDIA.openapi;
      ctx.body = JSON.stringify(doc);
      return;
    }
    ctx.redirect(apiUrl(ctx, '/api.html'));
  };
}

export function apiHtmlHandler(info: ServiceInfo, deps: FeaturesApiDeps, blocks: BlockList) {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, new Set());
    const doc = openApiDocument(info, ctx.state.apiBase, blocks(), await deps.collections.list());
    const base = ctx.state.baseUrl;
    const links: Link[] = [
      { href: apiUrl(ctx, '/api.html'), rel: REL.self, type: MEDIA.html, title: 'This document' },
      { href: apiUrl(ctx, '/api'), rel: REL.serviceDesc, type: MEDIA.openapi, title: 'The API definition (OpenAPI 3.0)' },
    ];
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: `${info.title} API`, crumbs: crumbsFor(ctx.state.apiBase, [['API', undefined]]), links, baseUrl: base },
      html`<p>${info.description}</p><p>Machine-readable definition: <a href="${apiUrl(ctx, '/api')}" type="${MEDIA.openapi}">/api</a>. Errors are RFC 9457 problem details.</p>
${trusted(apiHtml(doc))}
<h2>Links</h2>${linkList(links)}`,
    );
  };
}
