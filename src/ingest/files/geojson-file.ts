import { createReadStream } from 'node:fs';
import type { Feature, Geometry } from 'geojson';
import { isFeature } from 'geojson-validation';
import { parse as parseTolerantly, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { InvalidInputError, SourceFormatError, type InputIssue } from '../../domain/errors.js';
import type { FeatureRecord } from '../../domain/feature.js';
import { CRS84, resolveCrs, type CrsRef } from '../../geo/crs-registry.js';
import { positionTransform, transformGeometry } from '../../geo/reproject.js';
import { streamGeoJsonFeatures, type GeoJsonMembers } from '../geojson/geojson-stream.js';

export interface GeoJsonReadOptions {
  /** CRS of the coordinates when the file is not CRS84 (overrides a legacy `crs` member). */
  readonly crs?: CrsRef;
  /** Property holding the feature id when features have no `id` member. */
  readonly idProperty?: string;
  /** Property holding the feature's primary time (RFC 3339 instant or date). */
  readonly timeProperty?: string;
  readonly namespace: string;
}

export interface GeoJsonReadResult {
  readonly records: FeatureRecord[];
  /** Features that could not be used, with their index and why. */
  readonly rejected: InputIssue[];
  readonly sourceCrs: CrsRef;
}

/** Line and column of a character offset, for parse errors. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** JSON.parse, and on failure the first syntax error's position (JSON.parse does not always say). */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const errors: ParseError[] = [];
    parseTolerantly(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    const where = first ? lineAndColumn(text, first.offset) : 'unknown position';
    const reason = first ? printParseErrorCode(first.error) : (error as Error).message;
    throw new InvalidInputError(`${source} is not valid JSON at ${where}: ${reason}`, [{ location: where, reason }]);
  }
}

/** The CRS of a GeoJSON-2008 `crs` member ({"type":"name","properties":{"name":"urn:…"}}), if any, in its own axis order. */
function legacyCrs(document: Record<string, unknown>): CrsRef | null {
  const member = document['crs'] as { type?: string; properties?: { name?: unknown } } | undefined;
  if (!member || member.type !== 'name' || typeof member.properties?.name !== 'string') return null;
  return resolveCrs(member.properties.name, 'crs member');
}

function featureIdOf(feature: Feature, idProperty: string | undefined): string | null {
  const raw = idProperty ? feature.properties?.[idProperty] : feature.id;
  if (raw === undefined || raw === null || raw === '') return null;
  return String(raw);
}

function timeOf(feature: Feature, timeProperty: string | undefined): { value: string | null; problem?: string } {
  if (!timeProperty) return { value: null };
  const raw = feature.properties?.[timeProperty];
  if (raw === undefined || raw === null) return { value: null };
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(raw) || Number.isNaN(Date.parse(raw))) {
    return { value: null, problem: `property '${timeProperty}' is not an RFC 3339 date or date-time: ${JSON.stringify(raw)}` };
  }
  return { value: new Date(/T|t| /.test(raw) && !/[Zz]|[+-]\d{2}:?\d{2}$/.test(raw) ? `${raw}Z` : raw).toISOString() };
}

function allFinite(geometry: Geometry): boolean {
  if (geometry.type === 'GeometryCollection') return geometry.geometries.every(allFinite);
  return (geometry.coordinates.flat(3) as unknown[]).every((n) => typeof n === 'number' && Number.isFinite(n));
}

/** Collects storage-ready records from features one at a time, rejecting bad ones by index. */
function recordCollector(options: GeoJsonReadOptions) {
  const records: FeatureRecord[] = [];
  const rejected: InputIssue[] = [];
  const seen = new Map<string, number>();
  let transform: ((p: number[]) => number[]) | null = null;

  function add(candidate: unknown, index: number, sourceCrs: CrsRef): void {
    transform ??= positionTransform(sourceCrs, 4326);
    const location = `feature ${index}`;
    const problems = isFeature(candidate, true);
    if (problems.length > 0) {
      rejected.push({ location, reason: problems.join('; ') });
      return;
    }
    const feature = candidate as Feature;
    if (feature.geometry && !allFinite(feature.geometry)) {
      rejected.push({ location, reason: 'coordinates must be finite numbers' });
      return;
    }
    const id = featureIdOf(feature, options.idProperty);
    if (id === null) {
      rejected.push({ location, reason: options.idProperty ? `property '${options.idProperty}' is missing` : 'feature has no id (give --id-property to take it from a property)' });
      return;
    }
    const firstIndex = seen.get(id);
    if (firstIndex !== undefined) {
      rejected.push({ location: `${location} (id ${id})`, reason: `duplicate id, first used by feature ${firstIndex}` });
      return;
    }
    seen.set(id, index);
    const time = timeOf(feature, options.timeProperty);
    if (time.problem) {
      rejected.push({ location: `${location} (id ${id})`, reason: time.problem });
      return;
    }
    records.push({
      id,
      namespace: options.namespace,
      localId: id,
      versionId: null,
      geometry: feature.geometry ? transformGeometry(feature.geometry, transform) : null,
      properties: feature.properties ?? {},
      timeStart: time.value,
      timeEnd: time.value,
    });
  }
  return { records, rejected, add };
}

/**
 * Reads a GeoJSON file into storage-ready records (EPSG:4326, lon/lat), reporting bad features by
 * index. The file is streamed (only the records are kept, not its text or parsed tree); a syntax
 * error names its line and the feature it is in.
 */
export async function readGeoJsonFile(path: string, options: GeoJsonReadOptions): Promise<GeoJsonReadResult> {
  const members: GeoJsonMembers = {};
  const collector = recordCollector(options);
  let sourceCrs: CrsRef | null = null;
  let index = 0;
  try {
    for await (const feature of streamGeoJsonFeatures(createReadStream(path), path, members)) {
      sourceCrs ??= options.crs ?? legacyCrs(members) ?? CRS84;
      collector.add(feature, index++, sourceCrs);
    }
  } catch (error) {
    if (error instanceof SourceFormatError) throw new InvalidInputError(error.message, error.line !== null ? [{ location: `line ${error.line}`, reason: error.message }] : []);
    if ((error as NodeJS.ErrnoException).code) throw new InvalidInputError(`Cannot read ${path}: ${(error as Error).message}`);
    throw error;
  }
  return { records: collector.records, rejected: collector.rejected, sourceCrs: sourceCrs ?? options.crs ?? legacyCrs(members) ?? CRS84 };
}

export function parseGeoJson(text: string, source: string, options: GeoJsonReadOptions): GeoJsonReadResult {
  const document = parseJson(text, source);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new InvalidInputError(`${source} is JSON but not a GeoJSON object`);
  }
  const root = document as Record<string, unknown>;
  let features: unknown[];
  if (root['type'] === 'FeatureCollection' && Array.isArray(root['features'])) features = root['features'];
  else if (root['type'] === 'Feature') features = [root];
  else throw new InvalidInputError(`${source} is not a GeoJSON FeatureCollection or Feature (type is ${JSON.stringify(root['type'] ?? null)})`);

  const sourceCrs = options.crs ?? legacyCrs(root) ?? CRS84;
  const collector = recordCollector(options);
  features.forEach((candidate, index) => collector.add(candidate, index, sourceCrs));
  return { records: collector.records, rejected: collector.rejected, sourceCrs };
}
