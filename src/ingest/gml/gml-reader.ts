import { TextDecoder } from 'node:util';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { AxisOrderOverride } from '../../domain/mapping.js';
import { GML_GEOMETRY_ELEMENTS, GmlGeometryError, gmlToGeoJson, type GmlNode } from '../../geo/gml-geometry.js';
import type { SourceGeometry, SourceRecord } from '../source-record.js';
import { OwsExceptionError, SourceFormatError } from '../../domain/errors.js';

const GML_NAMESPACES = new Set(['http://www.opengis.net/gml/3.2', 'http://www.opengis.net/gml']);
const XLINK = 'http://www.w3.org/1999/xlink';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** Roots that hold features in member elements: WFS/GML collections, INSPIRE base:SpatialDataSet, CityGML. */
const CONTAINERS = new Set(['FeatureCollection', 'SpatialDataSet', 'CityModel']);
const MEMBERS = new Set(['member', 'featureMember', 'featureMembers', 'cityObjectMember', 'members']);
const EXCEPTION_REPORTS = new Set(['ExceptionReport', 'ServiceExceptionReport']);
const POSITION_ELEMENTS = new Set(['pos', 'posList', 'coordinates']);
/** The content of a curve or surface written straight into a geometry-typed property (hale writes curves so). */
const GEOMETRY_CONTENT: Readonly<Record<string, string>> = { segments: 'Curve', patches: 'Surface' };
/** GML objects that are property values, not geometries: temporal objects, values, definitions. */
const GML_VALUE_OBJECTS = /^(Time[A-Z]\w*|Null|Boolean|Count|Quantity|Category|\w*Extent|CompositeValue|ValueArray|Definition\w*|Dictionary|Bag|Array|UnitDefinition|BaseUnit|DerivedUnit|ConventionalUnit)$/;
const DUPLICATE_ID_WINDOW = 100_000;

export interface GmlReadOptions {
  /** CRS of geometries that name none (request srsName or source.crs). */
  readonly defaultCrs: string | null;
  readonly ignoreSrsName: boolean;
  readonly axisOrder: AxisOrderOverride;
  /** Metres between arcs and the chords that replace them. */
  readonly densifyTolerance: number;
  /** Describes where the document came from in messages (file name, request URL). */
  readonly source: string;
}

/** What the collection element said about paging (WFS). */
export interface GmlCollectionInfo {
  numberMatched: number | null;
  numberReturned: number | null;
  next: string | null;
}

/** A problem that does not stop the document (duplicate gml:ids, unresolved links). */
export interface GmlWarning {
  readonly location: string;
  readonly message: string;
}

export interface GmlReadResult {
  readonly collection: GmlCollectionInfo;
  readonly warnings: GmlWarning[];
}

interface PropertyFrame {
  readonly kind: 'property';
  /** A property that holds gml:pos / gml:posList itself (a geometry-typed property, as hale writes ArcString). */
  synthetic: GmlNode | null;
  /** Flattened name of this property (a_b_c). */
  readonly path: string;
  readonly attributes: Readonly<Record<string, string>>;
  text: string[];
  hasChildren: boolean;
  /** A geometry was found below (the property's value is the geometry, not text). */
  geometry: boolean;
}

interface ObjectFrame {
  readonly kind: 'object';
  readonly path: string;
}

interface FeatureState {
  readonly id: string | null;
  /** The document's root element is the feature. */
  readonly root: boolean;
  readonly rootName: string;
  /** Local name of the feature element. */
  readonly type: string;
  readonly line: number;
  readonly index: number;
  readonly properties: Record<string, unknown>;
  readonly geometries: { name: string; node: GmlNode; srsName: string | null }[];
  readonly byId: Map<string, GmlNode>;
  /** srsName attributes on the feature and its property elements, innermost last. */
  readonly srsNames: (string | null)[];
}

type Frame =
  | { readonly kind: 'container' }
  | { readonly kind: 'member' }
  | { readonly kind: 'skip' }
  | { readonly kind: 'extent' }
  | { readonly kind: 'exception' }
  | { readonly kind: 'feature' }
  | PropertyFrame
  | ObjectFrame
  | { readonly kind: 'geometry'; readonly node: GmlNode };

function attributesOf(tag: SaxesTagNS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const attribute of Object.values(tag.attributes)) {
    if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
    if (attribute.uri === XLINK) out[attribute.local] = attribute.value;
    else if (attribute.uri === XSI) out[`xsi:${attribute.local}`] = attribute.value;
    else if (GML_NAMESPACES.has(attribute.uri)) out[attribute.local === 'id' ? 'id' : attribute.local] = attribute.value;
    else if (!attribute.uri) out[attribute.local] = attribute.value;
  }
  return out;
}

const isGml = (tag: SaxesTagNS) => GML_NAMESPACES.has(tag.uri);
const isObjectElement = (local: string) => /^[A-Z]/.test(local);

/** Adds a flattened value; a name seen twice in one feature becomes an array (repeated properties). */
function put(properties: Record<string, unknown>, name: string, value: unknown): void {
  if (!(name in properties)) {
    properties[name] = value;
    return;
  }
  const existing = properties[name];
  if (Array.isArray(existing)) existing.push(value);
  else properties[name] = [existing, value];
}

/** The encoding a document declares in its first bytes (XML declaration or byte-order mark). */
export function declaredEncoding(head: Uint8Array): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const text = new TextDecoder('latin1').decode(head.subarray(0, 200));
  const match = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text);
  return match ? match[1]!.toLowerCase() : 'utf-8';
}

/**
 * Streams GML (any application schema and prefix; WFS 1.0/1.1/2.0 collections, gml:featureMember(s),
 * base:SpatialDataSet, CityGML, a single feature or a bare geometry as the root) into source records,
 * one feature at a time: only the feature being read is in memory. Properties are flattened with
 * the INSPIRE GeoJSON conventions (inspireId_localId, <name>_href, <name>_uom, <name>_nilReason),
 * geometries converted to EPSG:4326 GeoJSON. Well-formedness errors stop the stream with line and
 * column; a feature whose geometry cannot be read comes out with `problem` set.
 */
export async function* readGml(chunks: AsyncIterable<Uint8Array | string>, options: GmlReadOptions, result: GmlReadResult): AsyncGenerator<SourceRecord> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const ready: SourceRecord[] = [];
  const stack: Frame[] = [];
  const seenIds = new Map<string, number>();
  let feature: FeatureState | null = null;
  let featureDepth = -1;
  let featureCount = 0;
  const exceptionTexts: string[] = [];
  let exceptionCode: string | null = null;
  let parseError: Error | null = null;
  let documentProblem: string | null = null;
  let documentCrs: string | null = null;
  let rootSeen = false;

  const warn = (message: string, line: number) => {
    if (result.warnings.length < 1000) result.warnings.push({ location: `${options.source}, line ${line}`, message });
  };

  // Duplicate gml:ids are looked for among the first ids of a document only, so a file of a million
  // features does not keep a million ids in memory (feature ids are checked by the harvest anyway).
  const noteId = (id: string | undefined, line: number) => {
    if (!id) return;
    const first = seenIds.get(id);
    if (first !== undefined) warn(`duplicate gml:id '${id}' (first at line ${first})`, line);
    else if (seenIds.size < DUPLICATE_ID_WINDOW) seenIds.set(id, line);
    else if (seenIds.size === DUPLICATE_ID_WINDOW) {
      seenIds.set(id, line);
      warn(`more than ${DUPLICATE_ID_WINDOW} gml:ids: later ones are not checked for duplicates`, line);
    }
  };

  const startFeature = (tag: SaxesTagNS, attributes: Record<string, string>) => {
    const id = attributes['id'] ?? attributes['fid'] ?? null;
    noteId(attributes['id'], parser.line);
    feature = { id, root: stack.length === 0, rootName: tag.name, type: tag.local, line: parser.line, index: featureCount++, properties: {}, geometries: [], byId: new Map(), srsNames: [attributes['srsName'] ?? null] };
    featureDepth = stack.length;
    stack.push({ kind: 'feature' });
  };

  const finishFeature = () => {
    const current = feature!;
    feature = null;
    const location = `feature ${current.index}${current.id ? ` (gml:id ${current.id})` : ''}, line ${current.line}`;
    const geometries: SourceGeometry[] = [];
    for (const { name, node, srsName } of current.geometries) {
      try {
        const geometry = gmlToGeoJson(node, {
          srsName,
          defaultCrs: options.ignoreSrsName ? options.defaultCrs : (documentCrs ?? options.defaultCrs),
          ignoreSrsName: options.ignoreSrsName,
          axisOrder: options.axisOrder,
          densifyTolerance: options.densifyTolerance,
          byId: (id) => current.byId.get(id),
        });
        geometries.push({ name, geometry });
      } catch (error) {
        if (!(error instanceof GmlGeometryError)) throw error;
        geometries.push({ name, geometry: null, problem: error.message });
      }
    }
    if (current.root && current.id === null && geometries.length === 0) {
      documentProblem ??= `${options.source}: the root element <${current.rootName}> is neither a feature collection nor a feature (no gml:id, fid or geometry)`;
      return;
    }
    ready.push({ id: current.id, type: current.type, properties: current.properties, geometries, location });
  };

  const bareGeometry = (node: GmlNode) => {
    feature = { id: node.attributes['id'] ?? null, root: false, rootName: node.name, type: node.name, line: node.line, index: featureCount++, properties: {}, geometries: [{ name: 'geometry', node, srsName: null }], byId: new Map(), srsNames: [] };
    finishFeature();
  };

  parser.on('error', (error) => {
    parseError ??= error;
  });

  parser.on('opentag', (tag) => {
    const attributes = attributesOf(tag);
    const top = stack[stack.length - 1];
    if (!rootSeen) {
      rootSeen = true;
      if (EXCEPTION_REPORTS.has(tag.local)) {
        stack.push({ kind: 'exception' });
        return;
      }
      if (isGml(tag) && GML_GEOMETRY_ELEMENTS.has(tag.local)) {
        const node: GmlNode = { name: tag.local, gml: true, attributes, children: [], text: '', line: parser.line };
        stack.push({ kind: 'geometry', node });
        return;
      }
      if (CONTAINERS.has(tag.local)) {
        readCollectionInfo(attributes, result.collection);
        stack.push({ kind: 'container' });
        return;
      }
      startFeature(tag, attributes);
      return;
    }
    switch (top?.kind) {
      case 'exception':
        if (tag.local === 'Exception' || tag.local === 'ServiceException') exceptionCode ??= attributes['exceptionCode'] ?? attributes['code'] ?? null;
        stack.push({ kind: 'exception' });
        return;
      case 'skip':
        stack.push(top);
        return;
      case 'container':
        if (MEMBERS.has(tag.local)) stack.push({ kind: 'member' });
        else if (isGml(tag) && tag.local === 'boundedBy') stack.push({ kind: 'extent' });
        else stack.push({ kind: 'skip' });
        return;
      case 'extent':
        // The collection's envelope names the CRS of geometries that name none (CityGML does this).
        if (attributes['srsName']) documentCrs ??= attributes['srsName'];
        stack.push({ kind: 'skip' });
        return;
      case 'member':
        if (CONTAINERS.has(tag.local)) stack.push({ kind: 'container' });
        else startFeature(tag, attributes);
        return;
      case 'geometry': {
        const node: GmlNode = { name: tag.local, gml: isGml(tag), attributes, children: [], text: '', line: parser.line };
        top.node.children.push(node);
        if (node.attributes['id'] && feature) {
          noteId(node.attributes['id'], parser.line);
          (feature as FeatureState).byId.set(node.attributes['id'], node);
        }
        stack.push({ kind: 'geometry', node });
        return;
      }
      case 'feature':
      case 'property':
      case 'object': {
        const current = feature as FeatureState | null;
        if (!current) {
          stack.push({ kind: 'skip' });
          return;
        }
        if (top.kind === 'feature' && isGml(tag) && tag.local === 'boundedBy') {
          stack.push({ kind: 'skip' });
          return;
        }
        const parentPath = top.kind === 'feature' ? '' : top.path;
        if (top.kind === 'property') top.hasChildren = true;
        if (top.kind === 'property' && isGml(tag) && (POSITION_ELEMENTS.has(tag.local) || GEOMETRY_CONTENT[tag.local])) {
          if (!top.synthetic) {
            const name = GEOMETRY_CONTENT[tag.local] ?? (tag.local === 'pos' ? 'Point' : 'LineString');
            top.synthetic = { name, gml: true, attributes: top.attributes, children: [], text: '', line: parser.line };
            const inherited = [...current.srsNames].reverse().find((s) => s) ?? null;
            current.geometries.push({ name: top.path, node: top.synthetic, srsName: inherited });
            top.geometry = true;
          }
          const node: GmlNode = { name: tag.local, gml: true, attributes, children: [], text: '', line: parser.line };
          top.synthetic.children.push(node);
          stack.push({ kind: 'geometry', node });
          return;
        }
        // Any other GML object in a property is taken as a geometry too, so one placelink cannot read is reported, not dropped.
        if (isGml(tag) && (GML_GEOMETRY_ELEMENTS.has(tag.local) || (isObjectElement(tag.local) && !GML_VALUE_OBJECTS.test(tag.local)))) {
          const node: GmlNode = { name: tag.local, gml: true, attributes, children: [], text: '', line: parser.line };
          if (attributes['id']) {
            noteId(attributes['id'], parser.line);
            current.byId.set(attributes['id'], node);
          }
          const inherited = [...current.srsNames].reverse().find((s) => s) ?? null;
          current.geometries.push({ name: parentPath || tag.local, node, srsName: inherited });
          if (top.kind === 'property') top.geometry = true;
          stack.push({ kind: 'geometry', node });
          return;
        }
        if (isObjectElement(tag.local) && top.kind !== 'feature') {
          noteId(attributes['id'], parser.line);
          stack.push({ kind: 'object', path: parentPath });
          current.srsNames.push(attributes['srsName'] ?? null);
          return;
        }
        // A gml:timePosition is the value of its (TimeInstant) property, as MapServer writes dates.
        const path = tag.local === 'timePosition' && parentPath ? parentPath : parentPath ? `${parentPath}_${tag.local}` : tag.local;
        current.srsNames.push(attributes['srsName'] ?? null);
        stack.push({ kind: 'property', path, attributes, text: [], hasChildren: false, geometry: false, synthetic: null });
        return;
      }
      default:
        stack.push({ kind: 'skip' });
    }
  });

  parser.on('text', (text) => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (top.kind === 'geometry') top.node.text += text;
    else if (top.kind === 'property') top.text.push(text);
    else if (top.kind === 'exception' && text.trim()) exceptionTexts.push(text.trim());
  });
  parser.on('cdata', (text) => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'property') top.text.push(text);
    else if (top?.kind === 'exception' && text.trim()) exceptionTexts.push(text.trim());
  });

  parser.on('closetag', () => {
    const frame = stack.pop();
    if (!frame) return;
    const current = feature as FeatureState | null;
    if (frame.kind === 'geometry') {
      if (stack.length === 0) bareGeometry(frame.node);
      return;
    }
    if (frame.kind === 'exception' && stack.length === 0) return;
    if (frame.kind === 'object' || frame.kind === 'property') current?.srsNames.pop();
    if (frame.kind === 'property' && current) closeProperty(frame, current.properties);
    if (frame.kind === 'feature' && stack.length === featureDepth) finishFeature();
  });

  const decoderFor = (head: Uint8Array) => {
    try {
      return new TextDecoder(declaredEncoding(head));
    } catch {
      throw new SourceFormatError(`${options.source} declares the encoding '${declaredEncoding(head)}', which is not supported`, 1, 1);
    }
  };

  let decoder: TextDecoder | null = null;
  const fail = (error: Error): never => {
    const match = /^(?:[^:]*:)?(\d+):(\d+): (.*)$/s.exec(error.message);
    const line = match ? Number(match[1]) : parser.line;
    const column = match ? Number(match[2]) : parser.column;
    throw new SourceFormatError(`${options.source} is not well-formed XML at line ${line}, column ${column}: ${match ? match[3] : error.message}`, line, column);
  };

  for await (const chunk of chunks) {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      decoder ??= decoderFor(chunk);
      text = decoder.decode(chunk, { stream: true });
    }
    parser.write(text);
    if (parseError) fail(parseError);
    if (documentProblem) throw new SourceFormatError(documentProblem, 1, 1);
    while (ready.length) yield ready.shift()!;
  }
  if (decoder) parser.write(decoder.decode());
  parser.close();
  if (parseError) fail(parseError);
  if (documentProblem) throw new SourceFormatError(documentProblem, 1, 1);
  if (!rootSeen) throw new SourceFormatError(`${options.source} is empty`, 1, 1);
  if (stack.length) throw new SourceFormatError(`${options.source} ends before the document is complete (line ${parser.line})`, parser.line, parser.column);
  if (exceptionTexts.length || exceptionCode) throw new OwsExceptionError(exceptionTexts.join(' ') || '(no message)', exceptionCode);
  while (ready.length) yield ready.shift()!;
}

function readCollectionInfo(attributes: Record<string, string>, into: GmlCollectionInfo): void {
  const count = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : null);
  into.numberMatched = count(attributes['numberMatched'] ?? attributes['numberOfFeatures']);
  into.numberReturned = count(attributes['numberReturned']);
  into.next = attributes['next'] ?? null;
}

const NIL_TRUE = new Set(['true', '1']);

/** A finished property element: its text, xlink, uom, nil reason, as INSPIRE's GeoJSON encoding names them. */
function closeProperty(frame: PropertyFrame, properties: Record<string, unknown>): void {
  const { path, attributes } = frame;
  if (attributes['href'] !== undefined) put(properties, `${path}_href`, attributes['href']);
  if (attributes['uom'] !== undefined) put(properties, `${path}_uom`, attributes['uom']);
  if (attributes['codeSpace'] !== undefined) put(properties, `${path}_codeSpace`, attributes['codeSpace']);
  if (attributes['nilReason'] !== undefined) put(properties, `${path}_nilReason`, attributes['nilReason']);
  if (attributes['indeterminatePosition'] !== undefined) put(properties, `${path}_indeterminatePosition`, attributes['indeterminatePosition']);
  if (frame.geometry) return;
  if (NIL_TRUE.has(attributes['xsi:nil'] ?? '') || attributes['indeterminatePosition'] !== undefined) {
    put(properties, path, null);
    return;
  }
  if (frame.hasChildren) return;
  const text = frame.text.join('').trim();
  if (text) put(properties, path, text);
  else if (attributes['title'] !== undefined) put(properties, path, attributes['title']);
  else if (attributes['href'] === undefined && attributes['nilReason'] === undefined) put(properties, path, '');
}
