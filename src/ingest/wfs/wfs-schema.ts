import { TextDecoder } from 'node:util';
import type { WfsEndpoint } from '@camptocamp/ogc-client';
import { SaxesParser } from 'saxes';
import { OwsExceptionError, SourceFormatError } from '../../domain/errors.js';
import { declaredEncoding } from '../gml/gml-reader.js';
import type { HttpClient } from '../http/http-client.js';

/** What a property's XML Schema type says its GML text is. */
export type SchemaCast = 'integer' | 'number' | 'boolean' | 'date' | 'datetime';

/**
 * What a property holds: text of a type that casts (xsd:long → integer, gml:LengthType → number),
 * other text (xsd:string, gml:CodeType), a GML geometry, or other content (an application-schema
 * or anonymous complex type, which the GML reader flattens).
 */
export type PropertyKind = SchemaCast | 'text' | 'geometry' | 'other';

/** One feature type as its DescribeFeatureType schema declares it: its direct properties in schema order. */
export interface FeatureTypeSchema {
  readonly properties: ReadonlyMap<string, PropertyKind>;
}

const XSD = 'http://www.w3.org/2001/XMLSchema';
const GML = new Set(['http://www.opengis.net/gml/3.2', 'http://www.opengis.net/gml']);

const XSD_CASTS: ReadonlyMap<string, SchemaCast> = new Map([
  ...['integer', 'int', 'long', 'short', 'byte', 'nonNegativeInteger', 'positiveInteger', 'nonPositiveInteger', 'negativeInteger', 'unsignedLong', 'unsignedInt', 'unsignedShort', 'unsignedByte'].map(
    (name) => [name, 'integer'] as const,
  ),
  ...['decimal', 'double', 'float'].map((name) => [name, 'number'] as const),
  ['boolean', 'boolean'],
  ['date', 'date'],
  ['dateTime', 'datetime'],
  ['dateTimeStamp', 'datetime'],
]);

/** gml:MeasureType and its kinds hold a number (the unit is the uom attribute). */
const GML_MEASURE = /^(Measure|Length|Angle|Area|Volume|Speed|Scale|GridLength)Type$/;
const GML_GEOMETRY_PROPERTY = /^(Multi)?(Geometry|Point|Curve|LineString|Surface|Polygon|Solid|Geometric(Primitive|Complex|Aggregate))PropertyType$/;

interface QName {
  readonly uri: string;
  readonly local: string;
}

interface PropertyDeclaration {
  readonly name: string;
  type: QName | null;
}

/**
 * Reads the feature type `typeName` (prefixed or not) from a DescribeFeatureType XML Schema: the
 * XML Schema and GML types of its direct properties, with prefixes resolved by namespace (MapServer
 * and QGIS Server write `type="integer"` under a default XML Schema namespace, GeoServer `xsd:long`),
 * inline and named simple types followed to their base. Null when the schema does not declare an
 * element of that name (an empty schema, another type). Throws SourceFormatError when it is not
 * well-formed XML and OwsExceptionError when it is an exception report.
 */
export function parseFeatureTypeSchema(text: string, typeName: string, source: string): FeatureTypeSchema | null {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const wanted = typeName.replace(/^.*:/, '');
  const elementTypes = new Map<string, QName | null>();
  /** Property declarations by complex type name; `element:<name>` for a type declared inside an element. */
  const complexTypes = new Map<string, PropertyDeclaration[]>();
  const simpleTypes = new Map<string, QName>();
  /** The open elements from the root down, with their name attribute and the property each one declares. */
  const open: { local: string; name: string | undefined; property: PropertyDeclaration | null }[] = [];
  let capture: PropertyDeclaration[] | null = null;
  let captureDepth = -1;
  let exception: string | null = null;
  let exceptionCode: string | null = null;
  let error: Error | null = null;

  const qname = (value: string | undefined): QName | null => {
    if (!value) return null;
    const colon = value.indexOf(':');
    const uri = parser.resolve(colon < 0 ? '' : value.slice(0, colon));
    return uri === undefined ? null : { uri, local: value.slice(colon + 1) };
  };

  parser.on('error', (e) => {
    error ??= e;
  });
  parser.on('opentag', (tag) => {
    const depth = open.length;
    const name = tag.attributes['name']?.value;
    const parent = open[depth - 1];
    let property: PropertyDeclaration | null = null;
    if (depth === 0 && (tag.local === 'ExceptionReport' || tag.local === 'ServiceExceptionReport')) exception = '';
    if (exception !== null && (tag.local === 'Exception' || tag.local === 'ServiceException')) exceptionCode ??= tag.attributes['exceptionCode']?.value ?? tag.attributes['code']?.value ?? null;
    if (tag.uri === XSD) {
      const type = () => qname(tag.attributes['type']?.value);
      if (tag.local === 'element' && depth === 1 && name) elementTypes.set(name, type());
      else if (tag.local === 'complexType' && capture === null && (depth === 1 || (depth === 2 && parent!.local === 'element'))) {
        capture = [];
        captureDepth = depth;
        complexTypes.set(depth === 1 ? (name ?? '') : `element:${parent!.name ?? ''}`, capture);
      } else if (tag.local === 'element' && capture !== null && name && !open.slice(captureDepth + 1).some((o) => o.local === 'element')) {
        property = { name, type: type() };
        capture.push(property);
      } else if ((tag.local === 'restriction' || tag.local === 'extension') && (parent?.local === 'simpleType' || parent?.local === 'simpleContent')) {
        const base = qname(tag.attributes['base']?.value);
        const owner = [...open].reverse().find((o) => o.local === 'element')?.property;
        if (base && owner) owner.type ??= base;
        else if (base && depth === 2 && parent.local === 'simpleType' && parent.name) simpleTypes.set(parent.name, base);
      }
    }
    open.push({ local: tag.local, name, property });
  });
  parser.on('text', (value) => {
    if (exception !== null && value.trim()) exception += `${exception ? ' ' : ''}${value.trim()}`;
  });
  parser.on('closetag', () => {
    open.pop();
    if (open.length === captureDepth) {
      capture = null;
      captureDepth = -1;
    }
  });

  try {
    parser.write(text).close();
  } catch (e) {
    error ??= e as Error;
  }
  if (error) {
    const message = (error as Error).message;
    const match = /^(?:[^:]*:)?(\d+):(\d+): (.*)$/s.exec(message);
    throw new SourceFormatError(`${source} is not well-formed XML${match ? ` at line ${match[1]}, column ${match[2]}: ${match[3]}` : `: ${message}`}`, match ? Number(match[1]) : null, match ? Number(match[2]) : null);
  }
  if (exception !== null) throw new OwsExceptionError(exception || '(no message)', exceptionCode);

  const declared = elementTypes.get(wanted);
  const properties = elementTypes.has(wanted) ? complexTypes.get(declared ? declared.local : `element:${wanted}`) : undefined;
  if (!properties) return null;

  const kinds = new Map<string, PropertyKind>();
  for (const { name, type } of properties) kinds.set(name, kindOf(type && type.uri !== XSD && !GML.has(type.uri) ? (simpleTypes.get(type.local) ?? type) : type));
  return { properties: kinds };
}

function kindOf(type: QName | null): PropertyKind {
  if (type?.uri === XSD) return XSD_CASTS.get(type.local) ?? 'text';
  if (!type || !GML.has(type.uri)) return 'other';
  if (GML_GEOMETRY_PROPERTY.test(type.local)) return 'geometry';
  return GML_MEASURE.test(type.local) ? 'number' : 'text';
}

/** `url` with these query parameters set, replacing any of the same name in another case. */
function withParameters(url: string, parameters: Readonly<Record<string, string>>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(parameters)) {
    for (const key of [...parsed.searchParams.keys()]) if (key.toLowerCase() === name.toLowerCase()) parsed.searchParams.delete(key);
    parsed.searchParams.set(name, value);
  }
  return parsed.toString();
}

/**
 * The DescribeFeatureType schema of a feature type, read from the URL the capabilities give. A
 * server that describes nothing usable (no such operation, an exception report, a schema that is
 * not well-formed or lacks the type) gets a warning and null: its GML values then stay text. A
 * request that fails (HTTP errors, timeouts) fails discovery like the capabilities would.
 */
export async function describeFeatureType(endpoint: WfsEndpoint, typeName: string, http: HttpClient, warn: (message: string) => void): Promise<FeatureTypeSchema | null> {
  const operation = endpoint.getOperationUrl('DescribeFeatureType');
  if (!operation) {
    warn(`the capabilities offer no DescribeFeatureType: the properties of ${typeName} stay text`);
    return null;
  }
  const version = endpoint.getVersion();
  const url = withParameters(operation, { SERVICE: 'WFS', REQUEST: 'DescribeFeatureType', VERSION: version, [version === '2.0.0' ? 'TYPENAMES' : 'TYPENAME']: typeName });
  const label = `DescribeFeatureType ${typeName}`;
  const text = await http.withRetries(label, async () => {
    const response = await http.get(url, 'application/xml, text/xml');
    const parts: Uint8Array[] = [];
    for await (const chunk of response.chunks()) parts.push(chunk);
    const bytes = Buffer.concat(parts);
    return new TextDecoder(declaredEncoding(bytes)).decode(bytes);
  });
  try {
    const schema = parseFeatureTypeSchema(text, typeName, label);
    if (!schema) warn(`${label} (${http.redact(url)}) does not declare the type: its properties stay text`);
    return schema;
  } catch (error) {
    if (!(error instanceof SourceFormatError) && !(error instanceof OwsExceptionError)) throw error;
    warn(`${error.message}; the properties of ${typeName} stay text`);
    return null;
  }
}
