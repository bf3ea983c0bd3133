import { EndpointError, ServiceExceptionError, WfsEndpoint, resetFetchOptions, setFetchOptions } from '@camptocamp/ogc-client';
import { HarvestError, OwsExceptionError, SourceFormatError, UpstreamError } from '../../domain/errors.js';
import type { RunWarning } from '../../domain/harvest-run.js';
import type { GeometryRules, IdentifierRules, PropertyRules, WfsSource } from '../../domain/mapping.js';
import { resolveCrs } from '../../geo/crs-registry.js';
import { RECORDS_PER_PAGE, type FeatureSourceReader, type PageFeedback, type SourcePage } from '../feature-source.js';
import { geoJsonRecords } from '../geojson/geojson-records.js';
import { readGml, type GmlReadResult } from '../gml/gml-reader.js';
import type { HttpClient } from '../http/http-client.js';
import type { SourceRecord } from '../source-record.js';
import { featureTypeCaster } from './schema-casts.js';

export interface WfsSourceOptions {
  readonly source: WfsSource;
  readonly identifiers: IdentifierRules;
  readonly properties: PropertyRules;
  readonly geometry: Pick<GeometryRules, 'densifyTolerance' | 'property'>;
  readonly http: HttpClient;
  /** Headers ogc-client sends during discovery (credentials). */
  readonly discoveryHeaders: Record<string, string>;
}

/** ogc-client's discovery errors in placelink's terms. */
function discoveryError(error: unknown, url: string): Error {
  if (error instanceof ServiceExceptionError) return new OwsExceptionError(error.message, error.code ?? null);
  if (error instanceof EndpointError) {
    const status = error.httpStatus ?? null;
    return new UpstreamError(`GetCapabilities from ${url} failed${status ? ` with HTTP ${status}` : ''}: ${error.message}`, url, status, status === null || status >= 500 || status === 429);
  }
  return error as Error;
}

interface Discovery {
  readonly endpoint: WfsEndpoint;
  readonly typeName: string;
  readonly version: string;
  readonly json: boolean;
  readonly srsName: string;
  readonly paging: boolean;
  /** Types GML property values as DescribeFeatureType declares them; null for GeoJSON (already typed) or without a usable schema. */
  readonly cast: ((record: SourceRecord) => SourceRecord) | null;
}

/** The property to sort by so that pages are stable: the mapping's id when it is a plain property. */
function sortProperty(identifiers: IdentifierRules): string | null {
  const id = identifiers.id;
  return id.kind === 'path' && id.path.length === 1 && id.path[0] !== '$id' ? id.path[0]! : null;
}

/**
 * A WFS 1.0/1.1/2.0 feature type, discovered with ogc-client's WfsEndpoint and read with
 * GetFeature: GeoJSON when offered (or asked for), GML otherwise; STARTINDEX/COUNT paging sorted by
 * the feature id where the server implements it, one request otherwise; resultType=hits for the total.
 */
export function wfsSource(options: WfsSourceOptions): FeatureSourceReader {
  const { source, http } = options;
  const warnings: RunWarning[] = [];
  const shown = http.redact(source.url);
  let expected: number | null = null;
  let sourceSrid = source.crs ? resolveCrs(source.crs, 'source.crs').srid : 4326;

  async function discover(): Promise<Discovery> {
    setFetchOptions({ headers: options.discoveryHeaders });
    let endpoint: WfsEndpoint;
    try {
      endpoint = await http.withRetries(`GetCapabilities from ${shown}`, async () => {
        try {
          return await new WfsEndpoint(source.version === 'auto' ? source.url : withParameter(source.url, 'VERSION', source.version)).isReady();
        } catch (error) {
          throw discoveryError(error, shown);
        }
      });
    } finally {
      resetFetchOptions();
    }
    const types = endpoint.getFeatureTypes();
    const local = (name: string) => name.replace(/^.*:/, '');
    const type = types.find((t) => t.name === source.typeName) ?? types.find((t) => local(t.name) === local(source.typeName));
    if (!type) throw new HarvestError(`${shown} has no feature type '${source.typeName}' (it offers ${types.map((t) => t.name).join(', ') || 'none'})`);
    const full = endpoint.getFeatureTypeSummary(type.name);
    const version = endpoint.getVersion();
    const json = source.outputFormat === 'geojson' || (source.outputFormat === 'auto' && endpoint.supportsJson(type.name));
    if (source.outputFormat === 'geojson' && !endpoint.supportsJson(type.name)) throw new HarvestError(`${shown} does not offer GeoJSON output for ${type.name}; set outputFormat to gml`);
    const defaultCode = /(\d+)$/.exec(full.defaultCrs ?? '')?.[1];
    // Authority (urn) form for WFS 1.1/2.0: the server then writes geographic CRSs lat/lon, which the srsName in the answer confirms.
    const srsName = source.crs ?? (defaultCode ? (version === '1.0.0' ? `EPSG:${defaultCode}` : `urn:ogc:def:crs:EPSG::${defaultCode}`) : 'urn:ogc:def:crs:EPSG::4326');
    sourceSrid = resolveCrs(srsName, 'srsName').srid;
    const paging = source.paging === 'startIndex' || (source.paging === 'auto' && (endpoint.supportsStartIndex() || version !== '1.0.0'));
    const cast = json
      ? null
      : await featureTypeCaster({ endpoint, typeName: type.name, http, identifiers: options.identifiers, properties: options.properties, geometryProperty: options.geometry.property, location: shown, warn: (location, message) => warnings.push({ location, message }) });
    return { endpoint, typeName: type.name, version, json, srsName, paging, cast };
  }

  function getFeatureUrl(d: Discovery, extra: { startIndex?: number; count?: number; hits?: boolean }): string {
    let url = d.endpoint.getFeatureUrl(d.typeName, {
      ...(extra.hits ? { hitsOnly: true } : { outputCrs: d.srsName, asJson: d.json }),
      ...(extra.count !== undefined ? { maxFeatures: extra.count } : {}),
      ...(extra.startIndex !== undefined ? { startIndex: extra.startIndex } : {}),
      ...(source.bbox ? { extent: [...source.bbox] as [number, number, number, number], extentCrs: 'EPSG:4326' } : {}),
    });
    // ogc-client adds COUNT=1 (MAXFEATURES=1 before 2.0) to hits requests, which some servers (MapServer) then report as the total.
    if (extra.hits) url = withoutParameter(withoutParameter(url, 'COUNT'), 'MAXFEATURES');
    const sort = sortProperty(options.identifiers);
    if (sort && !extra.hits && extra.startIndex !== undefined) url = withParameter(url, 'SORTBY', `${sort} ASC`);
    return url;
  }

  async function hits(d: Discovery): Promise<number | null> {
    if (d.version === '1.0.0') return null;
    try {
      return await http.withRetries('resultType=hits', async () => {
        const response = await http.get(getFeatureUrl(d, { hits: true }));
        const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings: [] };
        for await (const _ of readGml(response.chunks(), { defaultCrs: null, ignoreSrsName: false, axisOrder: 'auto', densifyTolerance: 1, source: 'hits' }, result)) void _;
        return result.collection.numberMatched;
      });
    } catch (error) {
      if (error instanceof OwsExceptionError || error instanceof SourceFormatError || error instanceof UpstreamError) {
        warnings.push({ location: shown, message: `resultType=hits failed (${error.message}); the harvest cannot check it read every feature` });
        return null;
      }
      throw error;
    }
  }

  /** One GetFeature request, read completely (at most a page of features) so a retry starts it over. */
  async function request(d: Discovery, url: string, label: string): Promise<{ records: SourceRecord[]; next: string | null; returned: number | null }> {
    return http.withRetries(label, async () => {
      const response = await http.get(url, d.json ? 'application/json' : 'application/gml+xml, text/xml');
      const contentType = response.headers.get('content-type') ?? '';
      if (d.json && /json/.test(contentType)) {
        const document = await response.json();
        const crs = { ...resolveCrs(d.srsName, 'srsName'), swapAxes: false };
        return { records: geoJsonRecords(document, { crs, axisOrder: source.axisOrder, source: label }), next: null, returned: null };
      }
      const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings };
      const records: SourceRecord[] = [];
      for await (const record of readGml(response.chunks(), { defaultCrs: d.srsName, ignoreSrsName: false, axisOrder: source.axisOrder, densifyTolerance: options.geometry.densifyTolerance, source: label }, result)) {
        records.push(d.cast ? d.cast(record) : record);
      }
      return { records, next: result.collection.next, returned: result.collection.numberReturned };
    });
  }

  async function* pages(feedback: PageFeedback): AsyncIterable<SourcePage> {
    const d = await discover();
    expected = source.bbox ? null : await hits(d);
    if (!d.paging) {
      const url = getFeatureUrl(d, {});
      const { records } = await request(d, url, `GetFeature ${http.redact(url)}`);
      for (let i = 0; i < records.length; i += RECORDS_PER_PAGE) yield { records: records.slice(i, i + RECORDS_PER_PAGE), label: `GetFeature (no paging) features ${i}–` };
      return;
    }
    // The next page is requested while this one is written: the server and the database work at the same time.
    const fetchPage = (startIndex: number) => {
      const url = getFeatureUrl(d, { startIndex, count: source.pageSize });
      const label = `GetFeature STARTINDEX=${startIndex}`;
      const result = request(d, url, label).then((page) => ({ ...page, url, label, startIndex }));
      result.catch(() => {});
      return result;
    };
    let pending: ReturnType<typeof fetchPage> | null = fetchPage(0);
    while (pending) {
      const { records, next, url, label, startIndex } = await pending;
      pending = null;
      if (records.length === 0) return;
      const read = startIndex + records.length;
      // A short page ends it, unless the server says there is more; a full page ends it only when the announced total is reached.
      const more = (next !== null || records.length >= source.pageSize) && (expected === null || read < expected);
      if (more) pending = fetchPage(read);
      let fresh = 0;
      for (let i = 0; i < records.length; i += RECORDS_PER_PAGE) {
        yield { records: records.slice(i, i + RECORDS_PER_PAGE), label };
        fresh += feedback.newIds;
      }
      if (fresh === 0) {
        throw new HarvestError(`${label} (${http.redact(url)}) returned only features earlier pages had delivered: the server does not page; nothing was stored`);
      }
    }
  }

  return {
    description: shown,
    get sourceSrid() {
      return sourceSrid;
    },
    pages,
    expected: () => expected,
    warnings,
  };
}

function withoutParameter(url: string, name: string): string {
  const parsed = new URL(url);
  for (const key of [...parsed.searchParams.keys()]) if (key.toLowerCase() === name.toLowerCase()) parsed.searchParams.delete(key);
  return parsed.toString();
}

function withParameter(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  for (const key of [...parsed.searchParams.keys()]) if (key.toLowerCase() === name.toLowerCase()) parsed.searchParams.delete(key);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}
