import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { startUpstream, type UpstreamServer } from './upstream-server.js';

/** A point of the scripted layer: id, lon/lat, a label. */
export interface ScriptedPoint {
  readonly id: string;
  readonly lon: number;
  readonly lat: number;
  readonly label: string;
}

export interface ScriptedWfsOptions {
  /** ImplementsResultPaging as advertised; null leaves the constraint out. */
  paging: boolean | null;
  /** CountDefault as advertised and enforced (the most features per answer); null: none. */
  countDefault: number | null;
  /** Whether the server honours STARTINDEX (it always advertises what `paging` says). */
  honoursStartIndex: boolean;
  /** numberMatched of resultType=hits; false answers numberMatched="unknown". */
  hits: boolean;
  /** Output formats on the feature type, and on the GetFeature operation. */
  typeFormats: readonly string[];
  operationFormats: readonly string[];
  /** WGS84BoundingBox of the feature type; null leaves it out. */
  extent: readonly [number, number, number, number] | null;
  points: ScriptedPoint[];
  /** srsName written on the GML points, and whether they are written lon/lat (else lat/lon). */
  documentSrsName: string;
  writeLonLat: boolean;
  version: '2.0.0' | '1.1.0';
  /** Total the hits answer announces instead of the true count. */
  announce: number | null;
  /** Answers 401 unless this returns true. */
  authorized: (headers: IncomingHttpHeaders) => boolean;
  /** Called before the answer to a GetFeature request is written; may delay it or write it itself (return true). */
  beforeAnswer?: (query: Record<string, string>, response: ServerResponse, body: string) => boolean | Promise<boolean>;
}

export interface ScriptedWfs extends UpstreamServer {
  readonly options: ScriptedWfsOptions;
  /** Headers of every request, in order. */
  readonly headers: IncomingHttpHeaders[];
  /** The GetFeature requests (not hits) since the server started, as upper-cased parameter maps. */
  getFeatures(): Record<string, string>[];
}

const GML = 'application/gml+xml; version=3.2';

export function scriptedPoints(count: number, label = 'v1'): ScriptedPoint[] {
  return Array.from({ length: count }, (_, i) => ({ id: `P${String(i).padStart(3, '0')}`, lon: 9.05 + (i % 10) * 0.09, lat: 52.05 + Math.floor(i / 10) * 0.09, label }));
}

function capabilities(base: string, o: ScriptedWfsOptions): string {
  const v11 = o.version === '1.1.0';
  const constraint = (name: string, value: string | null) => (value === null ? '' : `<ows:Constraint name="${name}"><ows:NoValues/><ows:DefaultValue>${value}</ows:DefaultValue></ows:Constraint>`);
  const values = (formats: readonly string[]) => formats.map((f) => `<ows:Value>${f}</ows:Value>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<wfs:WFS_Capabilities version="${o.version}" xmlns:wfs="http://www.opengis.net/wfs${v11 ? '' : '/2.0'}" xmlns:ows="http://www.opengis.net/ows${v11 ? '' : '/1.1'}" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:t="http://example.org/t">
  <ows:ServiceIdentification><ows:Title>Scripted WFS</ows:Title><ows:ServiceType>WFS</ows:ServiceType><ows:ServiceTypeVersion>${o.version}</ows:ServiceTypeVersion></ows:ServiceIdentification>
  <ows:OperationsMetadata>
    <ows:Operation name="GetCapabilities"><ows:DCP><ows:HTTP><ows:Get xlink:href="${base}/wfs?"/></ows:HTTP></ows:DCP></ows:Operation>
    <ows:Operation name="DescribeFeatureType"><ows:DCP><ows:HTTP><ows:Get xlink:href="${base}/wfs?"/></ows:HTTP></ows:DCP></ows:Operation>
    <ows:Operation name="GetFeature"><ows:DCP><ows:HTTP><ows:Get xlink:href="${base}/wfs?"/></ows:HTTP></ows:DCP>
      <ows:Parameter name="outputFormat"><ows:AllowedValues>${values(o.operationFormats)}</ows:AllowedValues></ows:Parameter>
    </ows:Operation>
    ${constraint('ImplementsResultPaging', o.paging === null ? null : o.paging ? 'TRUE' : 'FALSE')}
    ${constraint('CountDefault', o.countDefault === null ? null : String(o.countDefault))}
  </ows:OperationsMetadata>
  <FeatureTypeList><FeatureType><Name>t:points</Name><Title>Points</Title><Default${v11 ? 'SRS' : 'CRS'}>urn:ogc:def:crs:EPSG::4326</Default${v11 ? 'SRS' : 'CRS'}>
    <OutputFormats>${o.typeFormats.map((f) => `<Format>${f}</Format>`).join('')}</OutputFormats>
    ${o.extent ? `<ows:WGS84BoundingBox><ows:LowerCorner>${o.extent[0]} ${o.extent[1]}</ows:LowerCorner><ows:UpperCorner>${o.extent[2]} ${o.extent[3]}</ows:UpperCorner></ows:WGS84BoundingBox>` : ''}
  </FeatureType></FeatureTypeList>
</wfs:WFS_Capabilities>`;
}

function gml(points: readonly ScriptedPoint[], matched: number | 'unknown', o: Pick<ScriptedWfsOptions, 'documentSrsName' | 'writeLonLat' | 'version'>): string {
  if (o.version === '1.1.0') {
    const members = points.map(
      (p) =>
        `<gml:featureMember><t:points gml:id="points.${p.id}"><t:id>${p.id}</t:id><t:label>${p.label}</t:label><t:geom><gml:Point srsName="${o.documentSrsName}"><gml:pos>${o.writeLonLat ? `${p.lon} ${p.lat}` : `${p.lat} ${p.lon}`}</gml:pos></gml:Point></t:geom></t:points></gml:featureMember>`,
    );
    return `<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" xmlns:gml="http://www.opengis.net/gml" xmlns:t="http://example.org/t"${matched === 'unknown' ? '' : ` numberOfFeatures="${matched}"`}>\n${members.join('\n')}\n</wfs:FeatureCollection>\n`;
  }
  const members = points.map(
    (p) =>
      `<wfs:member><t:points gml:id="points.${p.id}"><t:id>${p.id}</t:id><t:label>${p.label}</t:label><t:geom><gml:Point srsName="${o.documentSrsName}"><gml:pos>${o.writeLonLat ? `${p.lon} ${p.lat}` : `${p.lat} ${p.lon}`}</gml:pos></gml:Point></t:geom></t:points></wfs:member>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:t="http://example.org/t" numberMatched="${matched}" numberReturned="${points.length}">\n${members.join('\n')}\n</wfs:FeatureCollection>\n`;
}

function geojson(points: readonly ScriptedPoint[]): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    features: points.map((p) => ({ type: 'Feature', id: `points.${p.id}`, geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: { id: p.id, label: p.label } })),
  });
}

/**
 * A loopback WFS 2.0 serving one point layer (t:points, EPSG:4326) whose capabilities and
 * behaviour a test sets: advertised paging and CountDefault, output formats, hits, extent.
 * GetFeature honours BBOX (lon/lat, as `…,EPSG:4326`), STARTINDEX/COUNT and the CountDefault cap.
 */
/** A well-behaved WFS 2.0 with 25 points, paging and hits. */
export function scriptedWfsDefaults(): ScriptedWfsOptions {
  return {
    paging: true,
    countDefault: null,
    honoursStartIndex: true,
    hits: true,
    typeFormats: [GML],
    operationFormats: [GML],
    extent: [9, 52, 10, 53],
    points: scriptedPoints(25),
    documentSrsName: 'urn:ogc:def:crs:EPSG::4326',
    writeLonLat: false,
    version: '2.0.0',
    announce: null,
    authorized: () => true,
  };
}

export async function startScriptedWfs(initial: Partial<ScriptedWfsOptions> = {}): Promise<ScriptedWfs> {
  const options: ScriptedWfsOptions = { ...scriptedWfsDefaults(), ...initial };
  const getFeatures: Record<string, string>[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = await startUpstream(async (request, response, url) => {
    headers.push(request.headers);
    if (!options.authorized(request.headers)) {
      response.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="scripted"' });
      return void response.end('credentials required');
    }
    const q = Object.fromEntries([...url.searchParams].map(([k, v]) => [k.toUpperCase(), v]));
    if (q['REQUEST'] === 'GetCapabilities') {
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      return void response.end(capabilities(server.url, options));
    }
    if (q['REQUEST'] === 'DescribeFeatureType') {
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      return void response.end('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>');
    }
    let points = options.points;
    if (q['BBOX']) {
      const [w, s, e, n] = q['BBOX'].split(',').map(Number) as [number, number, number, number];
      points = points.filter((p) => p.lon >= w && p.lon <= e && p.lat >= s && p.lat <= n);
    }
    if (q['RESULTTYPE'] === 'hits') {
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      return void response.end(gml([], options.hits ? (options.announce ?? points.length) : 'unknown', options));
    }
    getFeatures.push(q);
    if (q['SORTBY']) points = [...points].sort((a, b) => a.id.localeCompare(b.id));
    const start = options.honoursStartIndex ? Number(q['STARTINDEX'] ?? 0) : 0;
    const count = q['COUNT'] ?? q['MAXFEATURES'];
    const limits = [count ? Number(count) : Infinity, options.countDefault ?? Infinity];
    const page = points.slice(start, start + Math.min(...limits));
    const json = /json/i.test(q['OUTPUTFORMAT'] ?? '');
    const body = json ? geojson(page) : gml(page, 'unknown', options);
    if (options.beforeAnswer && (await options.beforeAnswer(q, response, body))) return;
    response.writeHead(200, { 'Content-Type': json ? 'application/geo+json' : options.version === '1.1.0' ? 'text/xml; subtype=gml/3.1.1' : GML });
    response.end(body);
  });
  return Object.assign(server, { options, headers, getFeatures: () => [...getFeatures] });
}
