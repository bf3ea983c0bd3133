import { EndpointError, ServiceExceptionError, WfsEndpoint, resetFetchOptions, setFetchOptions } from '@camptocamp/ogc-client';
import { HarvestError, OwsExceptionError, SourceFormatError, UpstreamError } from '../../domain/errors.js';
import type { RunWarning } from '../../domain/harvest-run.js';
import type { GeometryRules, IdentifierRules, LonLatBox, PropertyRules, WfsSource } from '../../domain/mapping.js';
import { resolveCrs } from '../../geo/crs-registry.js';
import { axisVerdict, swappedAxesMessage } from '../axis-order-check.js';
import { RECORDS_PER_PAGE, type FeatureSourceReader, type PageFeedback, type SourcePage } from '../feature-source.js';
import { geoJsonRecordsInSlices } from '../geojson/geojson-records.js';
import { streamGeoJsonRecords } from '../geojson/geojson-stream.js';
import { readGml, type GmlReadResult } from '../gml/gml-reader.js';
import type { HttpClient } from '../http/http-client.js';
import type { SourceRecord } from '../source-record.js';
import { featureTypeCaster } from './schema-casts.js';
import { readWfsConstraints, type WfsServiceConstraints } from './wfs-capabilities.js';

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
  /** OUTPUTFORMAT of a GeoJSON output, or null for the server's default GML. */
  readonly jsonFormat: string | null;
  readonly srsName: string;
  readonly paging: boolean;
  /** Types GML property values as DescribeFeatureType declares them; null for GeoJSON (already typed) or without a usable schema. */
  readonly cast: ((record: SourceRecord) => SourceRecord) | null;
  readonly pageSize: number;
  /** The most features the server returns for one request (CountDefault), when it says. */
  readonly countDefault: number | null;
  /** The feature type's WGS 84 bounding box, when the capabilities give a usable one. */
  readonly extent: LonLatBox | null;
}

/** How many times a BBOX tile is split in four when the server caps its answers: 4^8 tiles at most. */
const MAX_TILE_DEPTH = 8;

/** The JSON output format to ask for: a GeoJSON one first, then plain JSON (never JSON-FG, whose coordinates may not be CRS84). */
function jsonOutputFormat(formats: readonly string[]): string | null {
  const json = formats.filter((f) => /json/i.test(f) && !/json.?fg|fg.?json/i.test(f));
  return json.find((f) => /geo.?json/i.test(f)) ?? json.find((f) => /^application\/json$/i.test(f.trim())) ?? json[0] ?? null;
}

function quarters([west, south, east, north]: LonLatBox): LonLatBox[] {
  const x = (west + east) / 2;
  const y = (south + north) / 2;
  return [
    [west, south, x, y],
    [x, south, east, y],
    [west, y, x, north],
    [x, y, east, north],
  ];
}

/** The property to sort by so that pages are stable: the mapping's id when it is a plain property. */
function sortProperty(identifiers: IdentifierRules): string | null {
  const id = identifiers.id;
  return id.kind === 'path' && id.path.length === 1 && id.path[0] !== '$id' ? id.path[0]! : null;
}

/**
 * A WFS 1.0/1.1/2.0 feature type, discovered with ogc-client's WfsEndpoint (plus the capabilities'
 * paging constraints, which it does not read) and read with GetFeature: GeoJSON when offered (or
 * asked for), GML otherwise; STARTINDEX/COUNT paging sorted by the feature id where the server
 * implements it, one streamed request otherwise (split into BBOX tiles when the server caps it);
 * resultType=hits for the total.
 */
export function wfsSource(options: WfsSourceOptions): FeatureSourceReader {
  const { source, http } = options;
  const warnings: RunWarning[] = [];
  const shown = http.redact(source.url);
  let expected: number | null = null;
  let hitsProblem: string | null = null;
  let sourceSrid = source.crs ? resolveCrs(source.crs, 'source.crs').srid : 4326;

  /** ogc-client does not expose OperationsMetadata constraints: read the same capabilities document for them. */
  async function constraints(url: string): Promise<WfsServiceConstraints> {
    return http.withRetries(`GetCapabilities from ${shown}`, async () => {
      const response = await http.get(withParameter(withParameter(url, 'SERVICE', 'WFS'), 'REQUEST', 'GetCapabilities'), 'application/xml, text/xml');
      try {
        return readWfsConstraints(await response.text());
      } catch (error) {
        throw new SourceFormatError(`the capabilities of ${shown} are not well-formed XML: ${(error as Error).message}`, null, null);
      }
    });
  }

  async function discover(): Promise<Discovery> {
    const capabilitiesUrl = source.version === 'auto' ? source.url : withParameter(source.url, 'VERSION', source.version);
    // ogc-client's capabilities request carries the mapping's credentials.
    setFetchOptions({ headers: options.discoveryHeaders });
    let endpoint: WfsEndpoint;
    let type: ReturnType<WfsEndpoint['getFeatureTypes']>[number] | undefined;
    try {
      endpoint = await http.withRetries(`GetCapabilities from ${shown}`, async () => {
        try {
          return await new WfsEndpoint(capabilitiesUrl).isReady();
        } catch (error) {
          throw discoveryError(error, shown);
        }
      });
      const types = endpoint.getFeatureTypes();
      const local = (name: string) => name.replace(/^.*:/, '');
      type = types.find((t) => t.name === source.typeName) ?? types.find((t) => local(t.name) === local(source.typeName));
      if (!type) throw new HarvestError(`${shown} has no feature type '${source.typeName}' (it offers ${types.map((t) => t.name).join(', ') || 'none'})`);
    } finally {
      resetFetchOptions();
    }
    const full = endpoint.getFeatureTypeSummary(type.name);
    const version = endpoint.getVersion();
    const service = await constraints(capabilitiesUrl);
    const offered = jsonOutputFormat([...(endpoint.getFeatureTypeSummary(type.name)?.outputFormats ?? []), ...service.getFeatureFormats]);
    if (source.outputFormat === 'geojson' && !offered) throw new HarvestError(`${shown} does not offer GeoJSON output for ${type.name}; set outputFormat to gml`);
    const jsonFormat = source.outputFormat === 'gml' ? null : offered;
    const defaultCode = /(\d+)$/.exec(full.defaultCrs ?? '')?.[1];
    // Authority (urn) form for WFS 1.1/2.0: the server then writes geographic CRSs lat/lon, which the srsName in the answer confirms.
    const srsName = source.crs ?? (defaultCode ? (version === '1.0.0' ? `EPSG:${defaultCode}` : `urn:ogc:def:crs:EPSG::${defaultCode}`) : 'urn:ogc:def:crs:EPSG::4326');
    sourceSrid = resolveCrs(srsName, 'srsName').srid;
    const paging = source.paging === 'startIndex' || (source.paging === 'auto' && version !== '1.0.0' && service.implementsResultPaging !== false);
    const pageSize = service.countDefault !== null ? Math.min(source.pageSize, service.countDefault) : source.pageSize;
    if (paging && pageSize < source.pageSize) {
      warnings.push({ location: shown, message: `the server returns at most ${service.countDefault} features per request (CountDefault); pages of ${pageSize} instead of ${source.pageSize}` });
    }
    const box = type.boundingBox;
    const extent = box && box.length === 4 && box.every(Number.isFinite) && box[0]! < box[2]! && box[1]! < box[3]! ? (box as unknown as LonLatBox) : null;
    const cast = jsonFormat
      ? null
      : await featureTypeCaster({ endpoint, typeName: type.name, http, identifiers: options.identifiers, properties: options.properties, geometryProperty: options.geometry.property, location: shown, warn: (location, message) => warnings.push({ location, message }) });
    return { endpoint, typeName: type.name, version, jsonFormat, srsName, paging, pageSize, countDefault: service.countDefault, extent, cast };
  }

  function getFeatureUrl(d: Discovery, extra: { startIndex?: number; count?: number; hits?: boolean; box?: LonLatBox | null }): string {
    const box = extra.box === undefined ? source.bbox : extra.box;
    let url = d.endpoint.getFeatureUrl(d.typeName, {
      ...(extra.hits ? { hitsOnly: true } : { outputCrs: d.srsName }),
      ...(extra.count !== undefined ? { maxFeatures: extra.count } : {}),
      ...(extra.startIndex !== undefined ? { startIndex: extra.startIndex } : {}),
      ...(box ? { extent: [...box] as [number, number, number, number], extentCrs: 'EPSG:4326' } : {}),
    });
    if (d.jsonFormat && !extra.hits) url = withParameter(url, 'OUTPUTFORMAT', d.jsonFormat);
    // ogc-client adds COUNT=1 (MAXFEATURES=1 before 2.0) to hits requests, which some servers (MapServer) then report as the total.
    if (extra.hits) url = withoutParameter(withoutParameter(url, 'COUNT'), 'MAXFEATURES');
    const sort = sortProperty(options.identifiers);
    if (sort && !extra.hits && extra.startIndex !== undefined) url = withParameter(url, 'SORTBY', `${sort} ASC`);
    return url;
  }

  async function hits(d: Discovery): Promise<number | null> {
    if (d.version === '1.0.0') {
      hitsProblem = 'WFS 1.0 has no resultType=hits';
      return null;
    }
    try {
      return await http.withRetries('resultType=hits', async () => {
        const response = await http.get(getFeatureUrl(d, { hits: true }));
        const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings: [] };
        for await (const _ of readGml(response.chunks(), { defaultCrs: null, ignoreSrsName: false, axisOrder: 'auto', densifyTolerance: 1, source: 'hits' }, result)) void _;
        if (result.collection.numberMatched === null) hitsProblem = 'the resultType=hits answer gave no total (numberMatched="unknown")';
        return result.collection.numberMatched;
      });
    } catch (error) {
      if (error instanceof OwsExceptionError || error instanceof SourceFormatError || error instanceof UpstreamError) {
        hitsProblem = `resultType=hits failed (${error.message})`;
        warnings.push({ location: shown, message: `${hitsProblem}; the harvest cannot check it read every feature` });
        return null;
      }
      throw error;
    }
  }

  let axesChecked = source.axisOrder !== 'auto';
  /** The first records against the feature type's extent: swapped axes inside the CRS's area of use pass every other check. */
  function checkAxes(d: Discovery, records: readonly SourceRecord[], label: string): void {
    if (axesChecked || records.length === 0) return;
    axesChecked = true;
    const crs = d.jsonFormat ? { ...resolveCrs(d.srsName, 'srsName'), swapAxes: false } : resolveCrs(d.srsName, 'srsName');
    const extent = source.bbox ?? d.extent;
    if (axisVerdict(records, crs, extent) === 'swapped') throw new HarvestError(swappedAxesMessage(label, crs, extent));
  }

  const accept = (d: Discovery) => (d.jsonFormat ? 'application/geo+json, application/json' : 'application/gml+xml, text/xml');

  /** One GetFeature request, read completely (at most a page of features) so a retry starts it over. */
  async function request(d: Discovery, url: string, label: string): Promise<{ records: SourceRecord[]; next: string | null; returned: number | null }> {
    return http.withRetries(label, async () => {
      const response = await http.get(url, accept(d));
      const contentType = response.headers.get('content-type') ?? '';
      if (d.jsonFormat && /json/.test(contentType)) {
        const document = await response.json();
        const crs = { ...resolveCrs(d.srsName, 'srsName'), swapAxes: false };
        return { records: await geoJsonRecordsInSlices(document, { crs, axisOrder: source.axisOrder, source: label }, RECORDS_PER_PAGE), next: null, returned: null };
      }
      const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings };
      const records: SourceRecord[] = [];
      for await (const record of readGml(response.chunks(), { defaultCrs: d.srsName, ignoreSrsName: source.ignoreSrsName, axisOrder: source.axisOrder, densifyTolerance: options.geometry.densifyTolerance, source: label }, result)) {
        records.push(d.cast ? d.cast(record) : record);
      }
      return { records, next: result.collection.next, returned: result.collection.numberReturned };
    });
  }

  /**
   * One GetFeature request without paging, streamed in slices of RECORDS_PER_PAGE: only a slice is
   * in memory. Only the request is retried; a body that breaks off fails the run (nothing is stored).
   */
  async function* streamed(d: Discovery, box: LonLatBox | null): AsyncGenerator<SourcePage, number> {
    const url = getFeatureUrl(d, { box });
    const label = `GetFeature${box !== source.bbox && box ? ` BBOX=${box.map((n) => +n.toFixed(6)).join(',')}` : ' (no paging)'}`;
    const response = await http.withRetries(label, () => http.get(url, accept(d)));
    const records: AsyncIterable<SourceRecord> =
      d.jsonFormat && /json/.test(response.headers.get('content-type') ?? '')
        ? streamGeoJsonRecords(response.chunks(), { crs: { ...resolveCrs(d.srsName, 'srsName'), swapAxes: false }, axisOrder: source.axisOrder, source: label })
        : readGml(
            response.chunks(),
            { defaultCrs: d.srsName, ignoreSrsName: source.ignoreSrsName, axisOrder: source.axisOrder, densifyTolerance: options.geometry.densifyTolerance, source: label },
            { collection: { numberMatched: null, numberReturned: null, next: null }, warnings },
          );
    let slice: SourceRecord[] = [];
    let returned = 0;
    for await (const record of records) {
      slice.push(d.cast ? d.cast(record) : record);
      if (slice.length === RECORDS_PER_PAGE) {
        checkAxes(d, slice, label);
        yield { records: slice, label: `${label} features ${returned}–` };
        returned += slice.length;
        slice = [];
      }
    }
    checkAxes(d, slice, label);
    if (slice.length) yield { records: slice, label: `${label} features ${returned}–` };
    return returned + slice.length;
  }

  /** Whether an answer of `returned` features was cut off at the server's CountDefault. */
  const capped = (d: Discovery, returned: number) => d.countDefault !== null && returned >= d.countDefault && (expected === null || expected > returned);

  /** The server answers at most CountDefault features and cannot page: ask per BBOX tile, splitting each capped tile in four. */
  async function* tiles(d: Discovery, box: LonLatBox, depth: number): AsyncGenerator<SourcePage> {
    const returned = yield* streamed(d, box);
    if (!capped(d, returned)) return;
    if (depth >= MAX_TILE_DEPTH) {
      throw new HarvestError(`${shown} caps ${d.typeName} at ${d.countDefault} features per request (CountDefault) and cannot page; a BBOX tile of ${box.join(',')} still returned ${returned}: nothing was stored`);
    }
    for (const quarter of quarters(box)) yield* tiles(d, quarter, depth + 1);
  }

  async function* unpaged(d: Discovery): AsyncGenerator<SourcePage> {
    const area = source.bbox ?? d.extent;
    const tooMany = d.countDefault !== null && expected !== null && expected > d.countDefault;
    if (!tooMany) {
      const returned = yield* streamed(d, source.bbox);
      if (!capped(d, returned)) return;
    }
    if (!area) {
      throw new HarvestError(
        `${shown} caps ${d.typeName} at ${d.countDefault} features per request (CountDefault) and does not implement result paging, and its capabilities give no WGS84BoundingBox to split the requests by; nothing was stored`,
      );
    }
    warnings.push({ location: shown, message: `the server returns at most ${d.countDefault} features per request and cannot page: reading ${d.typeName} in BBOX tiles` });
    for (const quarter of quarters(area)) yield* tiles(d, quarter, 1);
  }

  async function* pages(feedback: PageFeedback): AsyncIterable<SourcePage> {
    const d = await discover();
    expected = source.bbox ? null : await hits(d);
    if (!d.paging) {
      yield* unpaged(d);
      return;
    }
    // The next page is requested while this one is written: the server and the database work at the same time.
    const fetchPage = (startIndex: number) => {
      const url = getFeatureUrl(d, { startIndex, count: d.pageSize });
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
      checkAxes(d, records, label);
      const read = startIndex + records.length;
      // A short page ends it, unless the server says there is more; a full page ends it only when the announced total is reached.
      const more = (next !== null || records.length >= d.pageSize) && (expected === null || read < expected);
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
    unverified: () => {
      if (expected !== null) return null;
      if (source.bbox) return 'the mapping limits the request to a bbox, and the source gives no total for it';
      return `${shown} gave no total to check the harvest against (${hitsProblem ?? 'no resultType=hits answer'})`;
    },
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
