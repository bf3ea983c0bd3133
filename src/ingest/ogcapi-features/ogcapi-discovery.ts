import { EndpointError, OgcApiEndpoint, resetFetchOptions, setFetchOptions, type OgcApiCollectionInfo } from '@camptocamp/ogc-client';
import { HarvestError, PlacelinkError, UnsupportedCrsError, UpstreamError } from '../../domain/errors.js';
import type { LonLatBox, OgcApiFeaturesSource } from '../../domain/mapping.js';
import { CRS84, resolveCrs, type CrsRef } from '../../geo/crs-registry.js';
import type { HttpClient } from '../http/http-client.js';

export const FEATURES_CORE_CONFORMANCE = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core';

/** OGC API Features Part 2: the server honours `crs` and `bbox-crs`. */
export const FEATURES_CRS_CONFORMANCE = 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs';

/** A collection's `crs` entry that stands for the server-wide list in /collections (Part 2). */
const GLOBAL_CRS_LIST = '#/crs';

/** What discovery found out about the collection to harvest and how its first page is asked for. */
export interface CollectionDiscovery {
  /** The first items page: the collection's GeoJSON items link with limit, crs and bbox. */
  readonly itemsUrl: string;
  /** The `crs` asked for, as the collection spells it; null: the CRS84 default. */
  readonly requestedCrs: string | null;
  /** EPSG code the data is published in: the CRS asked for, else the collection's storageCrs, else 4326. */
  readonly sourceSrid: number;
  /** The CRSs the collection offers, `#/crs` replaced by the server-wide list. */
  readonly crs: readonly string[];
  /** The collection's spatial extent in CRS84, when it states one. */
  readonly extent: LonLatBox | null;
  /** The server declares OGC API Features Part 2 (crs). */
  readonly conformsToCrs: boolean;
}

export interface DiscoveryOptions {
  readonly source: OgcApiFeaturesSource;
  readonly http: HttpClient;
  readonly discoveryHeaders: Record<string, string>;
  readonly warn: (message: string) => void;
}

/** The collection's URI for the CRS the mapping asks for (servers spell versions differently: EPSG/0/…, EPSG/9.6.2/…). */
export function offeredCrs(info: { readonly crs?: readonly string[] }, wanted: CrsRef): string | null {
  for (const uri of info.crs ?? []) {
    const ref = knownCrs(uri);
    if (ref && ref.srid === wanted.srid && (wanted.srid !== 4326 || /CRS84/i.test(uri) === /CRS84/i.test(wanted.uri))) return uri;
  }
  return null;
}

function knownCrs(uri: string): CrsRef | null {
  try {
    return resolveCrs(uri);
  } catch (error) {
    if (error instanceof UnsupportedCrsError) return null;
    throw error;
  }
}

/**
 * The collection's spatial extent: the first box of extent.spatial.bbox, nested as the standard
 * says or flat as early ldproxy wrote it, 2D or 3D; only when it is in CRS84 (the default).
 */
export function spatialExtent(extent: unknown): LonLatBox | null {
  const spatial = (extent as { spatial?: { bbox?: unknown; crs?: unknown } } | undefined)?.spatial;
  if (!spatial || (typeof spatial.crs === 'string' && !/CRS84$/i.test(spatial.crs))) return null;
  const bbox = Array.isArray(spatial.bbox) && Array.isArray(spatial.bbox[0]) ? (spatial.bbox[0] as unknown[]) : spatial.bbox;
  if (!Array.isArray(bbox) || !bbox.every((n) => typeof n === 'number') || (bbox.length !== 4 && bbox.length !== 6)) return null;
  const n = bbox as number[];
  return n.length === 4 ? [n[0]!, n[1]!, n[2]!, n[3]!] : [n[0]!, n[1]!, n[3]!, n[4]!];
}

const intersects = (a: LonLatBox, b: LonLatBox) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];

/** The items format to ask for: GeoJSON when offered (ogc-client would prefer JSON-FG, whose `place` holds other CRSs), else any JSON. */
function itemsFormat(formats: readonly string[]): { outputFormat: string } | { asJson: true } {
  const geojson = formats.find((type) => /geo\+json/i.test(type));
  return geojson ? { outputFormat: geojson } : { asJson: true };
}

/** The server-wide CRS list of /collections, found from an items URL (/collections/{id}/items…). */
async function globalCrsList(itemsUrl: string, http: HttpClient): Promise<string[]> {
  const url = new URL(itemsUrl);
  url.pathname = url.pathname.replace(/\/[^/]+\/items[^/]*$/, '');
  url.search = '';
  const crs = ((await (await http.get(url.toString(), 'application/json')).json()) as { crs?: unknown }).crs;
  return Array.isArray(crs) ? crs.filter((uri): uri is string => typeof uri === 'string') : [];
}

/**
 * Discovers an OGC API Features collection with ogc-client's OgcApiEndpoint: the server's
 * conformance (Features core, named when a collection is missing; Part 2 crs), that the collection
 * exists and has items, its CRS list (the server-wide one where it says `#/crs`), storageCrs and
 * extent, and the URL of its first page. The mapping's CRS is asked for when the collection lists
 * it, even without Part 2 conformance (QGIS Server 3.22 honours `crs` without declaring it), with a
 * warning then.
 */
export async function discoverCollection(options: DiscoveryOptions): Promise<CollectionDiscovery> {
  const { source, http, warn } = options;
  const shown = http.redact(source.url);
  setFetchOptions({ headers: options.discoveryHeaders });
  try {
    return await http.withRetries(`discovery of ${shown}`, async () => {
      const endpoint = new OgcApiEndpoint(source.url);
      let info: OgcApiCollectionInfo;
      let conformance: string[];
      try {
        const declared = await endpoint.conformanceClasses.catch(() => null);
        conformance = Array.isArray(declared) ? declared : [];
        const collections = await endpoint.allCollections;
        if (!collections.some((c) => c.name === source.collection)) {
          const why = !Array.isArray(declared)
            ? '; it has no readable conformance declaration either'
            : conformance.includes(FEATURES_CORE_CONFORMANCE)
              ? ''
              : `; its conformance declaration (${conformance.length} classes) does not include OGC API Features Part 1 core`;
          throw new HarvestError(`${shown} has no collection '${source.collection}' (it has ${collections.map((c) => c.name).join(', ') || 'none'})${why}`);
        }
        info = await endpoint.getCollectionInfo(source.collection);
      } catch (error) {
        if (error instanceof PlacelinkError) throw error;
        const status = error instanceof EndpointError ? (error.httpStatus ?? null) : null;
        const message = (error as Error).message.replace(/\s+/g, ' ').trim();
        throw new UpstreamError(`${shown} is not a usable OGC API: ${message}`, shown, status, status !== null && (status >= 500 || status === 429));
      }
      const formats = Array.isArray(info.itemFormats) ? info.itemFormats : [];
      if (formats.length === 0) {
        const nested = (info as { collections?: { id?: string }[] }).collections;
        const groups = Array.isArray(nested) && nested.length ? ` (it groups ${nested.length} collections: ${nested.map((c) => c.id).join(', ')})` : '';
        throw new HarvestError(`collection '${source.collection}' of ${shown} has no items link: it is not a feature collection${groups}`);
      }
      const conformsToCrs = conformance.includes(FEATURES_CRS_CONFORMANCE);
      const itemsUrl = (parameters: { outputCrs?: string }) =>
        endpoint.getCollectionItemsUrl(source.collection, {
          ...itemsFormat(formats),
          limit: source.pageSize,
          ...parameters,
          ...(source.bbox ? { extent: [...source.bbox] as [number, number, number, number] } : {}),
        });

      let crs: string[] = Array.isArray(info.crs) ? [...info.crs] : [];
      if (crs.includes(GLOBAL_CRS_LIST)) {
        const global = await globalCrsList(await itemsUrl({}), http).catch((error: unknown) => {
          if (!(error instanceof UpstreamError)) throw error;
          warn(`collection ${source.collection} refers to the server-wide CRS list (#/crs), which could not be read: ${error.message}`);
          return [];
        });
        crs = crs.flatMap((uri) => (uri === GLOBAL_CRS_LIST ? global : [uri]));
      }

      const wanted = source.crs ? resolveCrs(source.crs, 'source.crs') : null;
      const requestedCrs = wanted ? offeredCrs({ crs }, wanted) : null;
      if (wanted && !requestedCrs) warn(`collection ${source.collection} does not list ${source.crs} among its CRSs (${crs.join(', ') || 'none'}); reading CRS84`);
      if (requestedCrs && !conformsToCrs) warn(`${shown} does not declare OGC API Features Part 2 (crs) conformance; asking for crs=${requestedCrs} because collection ${source.collection} lists it`);

      const storage = typeof info.storageCrs === 'string' ? knownCrs(info.storageCrs) : null;
      const sourceSrid = requestedCrs ? resolveCrs(requestedCrs).srid : (storage?.srid ?? CRS84.srid);

      const extent = spatialExtent(info.extent);
      if (source.bbox && extent && !intersects(source.bbox, extent)) {
        warn(`source.bbox ${source.bbox.join(',')} lies outside the extent of collection ${source.collection} (${extent.join(',')}): expect no features`);
      }

      return { itemsUrl: await itemsUrl(requestedCrs ? { outputCrs: requestedCrs } : {}), requestedCrs, sourceSrid, crs, extent, conformsToCrs };
    });
  } finally {
    resetFetchOptions();
  }
}
