import type { IncomingHttpHeaders } from 'node:http';
import { startUpstream, type UpstreamServer } from './upstream-server.js';

/** A feature of the scripted collection, with its coordinates per EPSG code in x/y (east, north) order; 4326 is lon/lat. */
export interface ScriptedFeature {
  readonly id: string;
  readonly label: string;
  readonly xy: Readonly<Record<number, readonly [number, number]>>;
}

export interface ScriptedOgcApiOptions {
  features: ScriptedFeature[];
  /** The collection's `crs` list. */
  crs: string[];
  /** extent.spatial.bbox[0] in CRS84; null leaves the extent out. */
  extent: readonly [number, number, number, number] | null;
  /** Send Content-Crs with the CRS the coordinates are in. */
  contentCrs: boolean;
  /** How coordinates are written for a requested EPSG URI: in the EPSG axis order, or always east first (QGIS 3.22). */
  axisOrder: 'authority' | 'xy';
  /** Also for CRS84 answers: write latitude first (a broken server). */
  latLonForCrs84: boolean;
  numberMatched: boolean;
  /** offset: proper paging; ignore-offset: every page is the first (MapServer 8.0); loop: the last page links back to the second. */
  paging: 'offset' | 'ignore-offset' | 'loop';
  /** The most features a page holds whatever the limit (a short page that is not the last). */
  maxLimit: number;
  relativeNext: boolean;
  /** Next links leave out bbox (MapServer 8.0). */
  dropBbox: boolean;
  /** Answer in this CRS whatever was asked for (saying so in Content-Crs when that is on). */
  answerCrs: string | null;
  /** Answers 401 unless this returns true. */
  authorized: (headers: IncomingHttpHeaders) => boolean;
}

export interface ScriptedOgcApi extends UpstreamServer {
  readonly options: ScriptedOgcApiOptions;
  /** Headers of every request, in order. */
  readonly headers: IncomingHttpHeaders[];
}

/** EPSG codes whose EPSG axis order is north/latitude first (of the ones tests use). */
const NORTH_FIRST = new Set([4258, 4326, 3035, 2180]);

const sridOf = (uri: string | null) => (!uri || /CRS84$/i.test(uri) ? 4326 : Number(/(\d+)$/.exec(uri)?.[1]));

/**
 * A loopback OGC API Features service with one collection (`things`) whose paging, CRS behaviour
 * and quirks a test sets: Content-Crs or not, EPSG or east-first axis order, missing numberMatched,
 * offsets ignored, looping or relative next links, next links that drop bbox, short pages.
 */
export async function startScriptedOgcApi(initial: Partial<ScriptedOgcApiOptions> = {}): Promise<ScriptedOgcApi> {
  const options: ScriptedOgcApiOptions = {
    features: [],
    crs: ['http://www.opengis.net/def/crs/OGC/1.3/CRS84'],
    extent: null,
    contentCrs: true,
    axisOrder: 'authority',
    latLonForCrs84: false,
    numberMatched: true,
    paging: 'offset',
    maxLimit: 10_000,
    relativeNext: false,
    dropBbox: false,
    answerCrs: null,
    authorized: () => true,
    ...initial,
  };
  const headers: IncomingHttpHeaders[] = [];
  const server = await startUpstream((request, response, url) => {
    headers.push(request.headers);
    const json = (body: unknown, extra: Record<string, string> = {}) => {
      response.writeHead(200, { 'Content-Type': 'application/json', ...extra });
      response.end(JSON.stringify(body));
    };
    if (!options.authorized(request.headers)) {
      response.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="scripted"' });
      return void response.end('credentials required');
    }
    const base = server.url;
    const collection = {
      id: 'things',
      title: 'Things',
      itemType: 'feature',
      crs: options.crs,
      ...(options.extent ? { extent: { spatial: { bbox: [options.extent], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' } } } : {}),
      links: [
        { rel: 'self', type: 'application/json', href: `${base}/collections/things` },
        { rel: 'items', type: 'application/geo+json', href: `${base}/collections/things/items` },
      ],
    };
    switch (url.pathname) {
      case '/':
        return json({
          title: 'Scripted',
          links: [
            { rel: 'conformance', type: 'application/json', href: `${base}/conformance` },
            { rel: 'data', type: 'application/json', href: `${base}/collections` },
            { rel: 'service-desc', type: 'application/vnd.oai.openapi+json;version=3.0', href: `${base}/api` },
          ],
        });
      case '/conformance':
        return json({ conformsTo: ['http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core', 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson', 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs'] });
      case '/collections':
        return json({ collections: [collection], links: [] });
      case '/collections/things':
        return json(collection);
      case '/collections/things/items':
        break;
      default:
        response.writeHead(404);
        return void response.end();
    }
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 10), options.maxLimit);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const crsUri = options.answerCrs ?? url.searchParams.get('crs');
    const srid = sridOf(crsUri);
    let matching = options.features;
    const bbox = url.searchParams.get('bbox');
    if (bbox) {
      const [w, s, e, n] = bbox.split(',').map(Number) as [number, number, number, number];
      matching = matching.filter((f) => f.xy[4326]![0] >= w && f.xy[4326]![0] <= e && f.xy[4326]![1] >= s && f.xy[4326]![1] <= n);
    }
    const start = options.paging === 'ignore-offset' ? 0 : offset;
    const page = matching.slice(start, start + limit);
    const swap = crsUri && !/CRS84$/i.test(crsUri) ? options.axisOrder === 'authority' && NORTH_FIRST.has(srid) : options.latLonForCrs84;
    const features = page.map((f) => {
      const [x, y] = f.xy[srid]!;
      return { type: 'Feature', id: f.id, geometry: { type: 'Point', coordinates: swap ? [y, x] : [x, y] }, properties: { label: f.label } };
    });
    let nextOffset: number | null = offset + limit < matching.length ? offset + limit : null;
    if (nextOffset === null && options.paging === 'loop' && offset > limit) nextOffset = limit;
    const links = [];
    if (nextOffset !== null) {
      const next = new URL(url.toString().replace(/^http:\/\/127\.0\.0\.1(:\d+)?/, base));
      next.searchParams.set('offset', String(nextOffset));
      if (options.dropBbox) next.searchParams.delete('bbox');
      links.push({ rel: 'next', type: 'application/geo+json', href: options.relativeNext ? `${next.pathname}${next.search}` : next.toString() });
    }
    response.writeHead(200, { 'Content-Type': 'application/geo+json', ...(options.contentCrs ? { 'Content-Crs': `<${crsUri ?? 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}>` } : {}) });
    response.end(JSON.stringify({ type: 'FeatureCollection', features, links, ...(options.numberMatched ? { numberMatched: matching.length } : {}), numberReturned: features.length }));
  });
  return Object.assign(server, { options, headers });
}
