import type { WfsEndpoint } from '@camptocamp/ogc-client';
import type { IdentifierRules, PropertyRules, ValueExpression } from '../../domain/mapping.js';
import type { HttpClient } from '../http/http-client.js';
import { toInstant } from '../mapping/apply-mapping.js';
import type { SourceRecord } from '../source-record.js';
import { describeFeatureType, type FeatureTypeSchema, type SchemaCast } from './wfs-schema.js';

const CASTS = new Set<string>(['integer', 'number', 'boolean', 'date', 'datetime']);

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$/;

/** The value an XML Schema type makes of a GML text, or undefined when the text does not fit the type. */
function castText(text: string, cast: SchemaCast): unknown {
  const value = text.trim();
  switch (cast) {
    case 'integer': {
      const n = Number(value);
      return INTEGER.test(value) && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'number': {
      const n = Number(value);
      return DECIMAL.test(value) && Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : undefined;
    case 'date': {
      const date = DATE.exec(value)?.[1];
      return date && toInstant(date) ? date : undefined;
    }
    case 'datetime':
      return value.includes('T') ? (toInstant(value) ?? undefined) : undefined;
  }
}

function expressionNames(expression: ValueExpression | null): string[] {
  if (expression?.kind === 'path') return [expression.path[0]!];
  if (expression?.kind === 'template') return expression.parts.flatMap((part) => (typeof part === 'string' ? [] : [part[0]!]));
  return [];
}

/** Source properties a mapping reads as the server wrote them: its identifiers and the rules with their own cast. */
export function propertiesReadAsText(identifiers: IdentifierRules, properties: PropertyRules): Set<string> {
  const names = [identifiers.id, identifiers.namespace, identifiers.localId, identifiers.versionId].flatMap(expressionNames);
  for (const rule of properties.rules) if (rule.cast && rule.from) names.push(rule.from[0]!, rule.from.join('_'));
  return new Set(names);
}

/**
 * Gives GML property values (text) the types their DescribeFeatureType schema declares: integers,
 * numbers, booleans, dates (YYYY-MM-DD) and date-times (RFC 3339 UTC, as the mapping's datetime
 * cast writes them). An empty element of such a type becomes null; a text that does not fit the
 * declared type stays text, with one warning per property. Names in `asWritten` are left alone.
 */
export function schemaCaster(schema: FeatureTypeSchema, asWritten: ReadonlySet<string>, warn: (location: string, message: string) => void): (record: SourceRecord) => SourceRecord {
  const casts = [...schema.properties].filter((entry): entry is [string, SchemaCast] => CASTS.has(entry[1]) && !asWritten.has(entry[0]));
  const warned = new Set<string>();
  return (record) => {
    const properties: Record<string, unknown> = { ...record.properties };
    const cast = (name: string, type: SchemaCast, value: unknown): unknown => {
      if (typeof value !== 'string') return value;
      if (value.trim() === '') return null;
      const typed = castText(value, type);
      if (typed !== undefined) return typed;
      if (!warned.has(name)) {
        warned.add(name);
        warn(record.location, `property ${name} holds ${JSON.stringify(value.slice(0, 80))}, which is not the ${type} its DescribeFeatureType declares; such values stay text`);
      }
      return value;
    };
    for (const [name, type] of casts) {
      const value = properties[name];
      if (value === undefined) continue;
      properties[name] = Array.isArray(value) ? value.map((item) => cast(name, type, item)) : cast(name, type, value);
    }
    return { ...record, properties };
  };
}

export interface FeatureTypeCasterOptions {
  readonly endpoint: WfsEndpoint;
  readonly typeName: string;
  readonly http: HttpClient;
  readonly identifiers: IdentifierRules;
  readonly properties: PropertyRules;
  /** The mapping's geometry.property, checked against the schema. */
  readonly geometryProperty: string | null;
  /** Where warnings about the schema itself are said to come from. */
  readonly location: string;
  readonly warn: (location: string, message: string) => void;
}

/**
 * Reads the feature type's DescribeFeatureType and returns what gives its GML records' properties
 * their declared types (null when the server describes nothing usable). A mapping whose
 * geometry.property is not among the geometry properties of a flat feature type gets a warning.
 */
export async function featureTypeCaster(options: FeatureTypeCasterOptions): Promise<((record: SourceRecord) => SourceRecord) | null> {
  const { typeName, geometryProperty: wanted, location, warn } = options;
  const schema = await describeFeatureType(options.endpoint, typeName, options.http, (message) => warn(location, message));
  if (!schema) return null;
  const kinds = [...schema.properties];
  if (wanted && schema.properties.get(wanted) !== 'geometry' && !kinds.some(([, kind]) => kind === 'other')) {
    const geometries = kinds.filter(([, kind]) => kind === 'geometry').map(([name]) => name);
    warn(location, `geometry.property '${wanted}' is not a geometry property of ${typeName}; its DescribeFeatureType declares ${geometries.join(', ') || 'none'}`);
  }
  return schemaCaster(schema, propertiesReadAsText(options.identifiers, options.properties), warn);
}
