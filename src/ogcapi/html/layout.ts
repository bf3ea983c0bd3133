import type { Link } from '../links.js';
import { REL } from '../vocabulary.js';
import { html, trusted, type TrustedHtml } from './html.js';

export interface HtmlOptions {
  /** XYZ tile URL template for map backgrounds; none by default (no outside requests). */
  readonly mapTiles?: { readonly url: string; readonly attribution: string };
}

export interface Crumb {
  readonly label: string;
  readonly href?: string;
}

export interface PageFrame {
  readonly title: string;
  readonly crumbs: readonly Crumb[];
  readonly links: readonly Link[];
  /** Base URL for static assets (the service root). */
  readonly baseUrl: string;
  readonly withMap?: boolean;
}

function crumbs(items: readonly Crumb[]): TrustedHtml {
  return html`<nav class="crumbs" aria-label="breadcrumb"><ol>${items.map((c) => (c.href ? html`<li><a href="${c.href}">${c.label}</a></li>` : html`<li aria-current="page">${c.label}</li>`))}</ol></nav>`;
}

export function linkList(links: readonly Link[]): TrustedHtml {
  return html`<ul class="links">${links.map((l) => html`<li><a href="${l.href}" rel="${l.rel}"${l.type ? html` type="${l.type}"` : ''}>${l.title ?? l.href}</a> <span class="muted">(${l.rel}${l.type ? `, ${l.type}` : ''})</span></li>`)}</ul>`;
}

/** Everything up to the start of the page's main content, so long pages can be streamed. */
export function pageStart(frame: PageFrame): string {
  const alternates = frame.links.filter((l) => l.rel === REL.alternate);
  const leaflet = frame.withMap
    ? html`<link rel="stylesheet" href="${frame.baseUrl}/static/leaflet/leaflet.css"><script src="${frame.baseUrl}/static/leaflet/leaflet.js" defer></script><script src="${frame.baseUrl}/static/map.js" defer></script>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} – placelink</title>
<link rel="stylesheet" href="${frame.baseUrl}/static/placelink.css">
${alternates.map((l) => html`<link rel="alternate" type="${l.type ?? ''}" href="${l.href}">`)}
${leaflet}
</head><body>
<header><a class="brand" href="${frame.baseUrl}/">placelink</a>${crumbs(frame.crumbs)}</header>
<main>
<h1>${frame.title}</h1>
`.value;
}

export function pageEnd(frame: PageFrame): string {
  return html`</main>
<footer><h2>Links</h2>${linkList(frame.links)}</footer>
</body></html>
`.value;
}

export function page(frame: PageFrame, body: TrustedHtml): string {
  return pageStart(frame) + body.value + pageEnd(frame);
}

export interface MapData {
  readonly geojsonUrl?: string;
  readonly bbox?: readonly number[] | null;
  readonly itemsBase?: string;
}

export function mapElement(data: MapData, options: HtmlOptions): TrustedHtml {
  const attributes: string[] = [];
  const attr = (name: string, value: string) => attributes.push(html` ${trusted(name)}="${value}"`.value);
  if (data.geojsonUrl) attr('data-geojson', data.geojsonUrl);
  if (data.bbox) attr('data-bbox', JSON.stringify(data.bbox));
  if (data.itemsBase) attr('data-items-base', data.itemsBase);
  if (options.mapTiles) {
    attr('data-tiles', options.mapTiles.url);
    attr('data-tiles-attribution', options.mapTiles.attribution);
  }
  return trusted(`<div id="map" role="img" aria-label="Map"${attributes.join('')}></div>`);
}

export function crumbsFor(baseUrl: string, trail: ReadonlyArray<readonly [string, string | undefined]>): Crumb[] {
  return [{ label: 'Home', href: `${baseUrl}/` }, ...trail.map(([label, href]) => (href ? { label, href } : { label }))];
}
