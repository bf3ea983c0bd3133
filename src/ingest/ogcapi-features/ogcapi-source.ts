import { HarvestError } from '../../domain/errors.js';
import type { RunWarning } from '../../domain/harvest-run.js';
import type { OgcApiFeaturesSource } from '../../domain/mapping.js';
import { CRS84, resolveCrs } from '../../geo/crs-registry.js';
import { axisVerdict, swappedAxesMessage } from '../axis-order-check.js';
import type { FeatureSourceReader, PageFeedback, SourcePage } from '../feature-source.js';
import { geoJsonRecords } from '../geojson/geojson-records.js';
import type { HttpClient } from '../http/http-client.js';
import { discoverCollection } from './ogcapi-discovery.js';

export interface OgcApiSourceOptions {
  readonly source: OgcApiFeaturesSource;
  readonly http: HttpClient;
  readonly discoveryHeaders: Record<string, string>;
}

interface Link {
  readonly rel?: string;
  readonly href?: string;
  readonly type?: string;
}

/** The `next` link of an items page, preferring a GeoJSON one; relative hrefs resolve against the page's URL. */
function nextLink(document: unknown, pageUrl: string): string | null {
  const links = ((document as { links?: unknown }).links ?? []) as Link[];
  if (!Array.isArray(links)) return null;
  const next = links.filter((l) => l && l.rel === 'next' && typeof l.href === 'string');
  const chosen = next.find((l) => /geo\+json|json/.test(l.type ?? '')) ?? next.find((l) => !l.type) ?? next[0];
  return chosen ? new URL(chosen.href!, pageUrl).toString() : null;
}

/**
 * The query with `:` and `/` left unescaped (RFC 3986 allows them there): QGIS Server 3.22 builds its
 * next links by Qt string formatting, which turns the %2F of an escaped CRS URI into garbage.
 */
function readableQuery(url: string): string {
  const parsed = new URL(url);
  return parsed.search ? `${parsed.origin}${parsed.pathname}${parsed.search.replace(/%3A/gi, ':').replace(/%2F/gi, '/')}` : url;
}

/** Puts back parameters of the first request that a server's next link dropped (MapServer 8.0 drops bbox). */
function keepParameters(next: string, first: string, names: readonly string[], dropped: (name: string) => void): string {
  const wanted = new URL(first).searchParams;
  const target = new URL(next);
  let changed = false;
  for (const name of names) {
    const value = wanted.get(name);
    if (value !== null && !target.searchParams.has(name)) {
      target.searchParams.set(name, value);
      dropped(name);
      changed = true;
    }
  }
  return changed ? readableQuery(target.toString()) : next;
}

/**
 * An OGC API Features collection: discovered by discoverCollection (ogc-client), read by following
 * `next` links until there is none or a page is empty. A page that brings no new feature, or a
 * next link back to an earlier page before numberMatched features arrived, fails the run: the
 * server is not paging. Read in the mapping's CRS when the collection offers it, in the CRS the
 * Content-Crs header names when sent; the first page is checked against the collection's extent
 * for swapped axes.
 */
export function ogcApiSource(options: OgcApiSourceOptions): FeatureSourceReader {
  const { source, http } = options;
  const warnings: RunWarning[] = [];
  const shown = http.redact(source.url);
  let expected: number | null = null;
  let sourceSrid = 4326;

  async function* pages(feedback: PageFeedback): AsyncIterable<SourcePage> {
    const discovery = await discoverCollection({ source, http, discoveryHeaders: options.discoveryHeaders, warn: (message) => warnings.push({ location: shown, message }) });
    sourceSrid = discovery.sourceSrid;
    const firstUrl = readableQuery(discovery.itemsUrl);
    const requested = discovery.requestedCrs;
    const crs = requested ? resolveCrs(requested) : CRS84;
    const extent = discovery.extent;
    const visited = new Map<string, number>();
    // The next page is requested while this one is written: the server and the database work at the same time.
    const fetchPage = (pageUrl: string, page: number) => {
      const label = `items page ${page} (${http.redact(pageUrl)})`;
      const result = http
        .withRetries(label, async () => {
          const response = await http.get(pageUrl, 'application/geo+json, application/json');
          return { document: await response.json(), contentCrs: response.headers.get('content-crs') };
        })
        .then((body) => ({ ...body, pageUrl, page, label }));
      result.catch(() => {});
      return result;
    };
    visited.set(firstUrl, 1);
    let pending: ReturnType<typeof fetchPage> | null = fetchPage(firstUrl, 1);
    let index = 0;
    let distinct = 0;
    let axisOrder = source.axisOrder;
    while (pending) {
      const { document, contentCrs, pageUrl, page, label } = await pending;
      pending = null;
      // Content-Crs (when sent) says which CRS and axis order the coordinates are in; without it, the one asked for.
      const pageCrs = contentCrs ? resolveCrs(contentCrs.replace(/^<|>$/g, '').trim(), 'Content-Crs') : requested ? crs : CRS84;
      if (page === 1) {
        const matched = (document as { numberMatched?: unknown }).numberMatched;
        expected = typeof matched === 'number' && Number.isInteger(matched) && !source.bbox ? matched : null;
      }
      let records = geoJsonRecords(document, { crs: pageCrs, axisOrder, source: `items page ${page}` }, index);
      if (page === 1 && source.axisOrder === 'auto' && axisVerdict(records, pageCrs, extent) === 'swapped') {
        if (contentCrs || !requested) throw new HarvestError(swappedAxesMessage(label, pageCrs, extent));
        // No Content-Crs: the standard says the answer is in the CRS asked for, but QGIS Server 3.22 answers lon/lat whatever it was asked.
        axisOrder = pageCrs.swapAxes ? 'xy' : 'yx';
        warnings.push({
          location: http.redact(pageUrl),
          message:
            `the server sent no Content-Crs, and the coordinates fit the collection's extent only with the axes the other way round from ${requested}; ` +
            `placelink reads them ${axisOrder === 'xy' ? 'east/longitude' : 'north/latitude'} first (QGIS Server 3.22 does this); set source.axisOrder: ${axisOrder} to say so`,
        });
        records = geoJsonRecords(document, { crs: pageCrs, axisOrder, source: `items page ${page}` }, index);
      }
      index += records.length;
      if (records.length === 0) return;
      let next = nextLink(document, pageUrl);
      if (next) next = keepParameters(next, firstUrl, ['crs', 'bbox', 'bbox-crs'], (name) => warnings.push({ location: http.redact(next!), message: `the next link of page ${page} dropped '${name}'; placelink put it back` }));
      const repeated = next ? visited.get(next) : undefined;
      if (next && repeated === undefined) {
        visited.set(next, page + 1);
        pending = fetchPage(next, page + 1);
      }
      yield { records, label };
      if (feedback.newIds === 0) {
        throw new HarvestError(
          `${label} brought only features that earlier pages had already delivered: the server ignores the paging in its next links ` +
            '(MapServer 8.0 ignores offset); refusing to store a partial layer — harvest its WFS instead',
        );
      }
      distinct += feedback.newIds;
      if (repeated !== undefined && (expected === null || distinct < expected)) {
        throw new HarvestError(
          `the next link of page ${page} (${http.redact(next!)}) leads back to page ${repeated}: the server's paging loops, and ` +
            `${expected === null ? 'it announced no numberMatched to show the layer is complete' : `only ${distinct} of the ${expected} features it announced arrived`}; ` +
            'refusing to store a partial layer',
        );
      }
      if (repeated !== undefined) warnings.push({ location: http.redact(next!), message: `the next link of page ${page} leads back to page ${repeated}; all ${expected} announced features had arrived, so the harvest stopped there` });
    }
  }

  return {
    description: `${shown} collection ${source.collection}`,
    get sourceSrid() {
      return sourceSrid;
    },
    pages,
    expected: () => expected,
    unverified: () => null,
    warnings,
  };
}
