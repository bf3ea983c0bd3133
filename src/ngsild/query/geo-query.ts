import type { LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Position } from 'geojson';
import { FilterSyntaxError, InvalidParameterError } from '../../domain/errors.js';
import { JSON_NUMBER, characterAt, describeFoundAt, isPrefixedName, quoteExcerpt } from './query-syntax.js';

/**
 * NGSI-LD geo-queries (ETSI GS CIM 009 clause 4.10): the GET parameters georel, geometry,
 * coordinates and geoproperty, and the same four as the `geoQ` member of a POST query or a
 * subscription (clause 5.2.13).
 */

/** Clause 4.10 lists every GeoJSON type except GeometryCollection. */
export type GeoQueryGeometry = Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon;

/** The Simple Features relations (OGC 06-103) of clause 4.10. */
export type TopologicalGeorel = 'equals' | 'disjoint' | 'intersects' | 'within' | 'contains' | 'overlaps';

/** `near;maxDistance==m`: within m metres of the reference; `near;minDistance==m`: farther than m metres from it. */
export interface NearDistance {
  readonly bound: 'maxDistance' | 'minDistance';
  readonly metres: number;
}

export type GeoQuery =
  | { readonly georel: 'near'; readonly distance: NearDistance; readonly geometry: GeoQueryGeometry; readonly geoproperty: string }
  | { readonly georel: TopologicalGeorel; readonly geometry: GeoQueryGeometry; readonly geoproperty: string };

export type Georel = { readonly georel: 'near'; readonly distance: NearDistance } | { readonly georel: TopologicalGeorel };

export interface GeoQueryParameters {
  readonly georel?: string | undefined;
  readonly geometry?: string | undefined;
  readonly coordinates?: string | undefined;
  readonly geoproperty?: string | undefined;
}

export const DEFAULT_GEOPROPERTY = 'location';

const TOPOLOGICAL_GEORELS: readonly TopologicalGeorel[] = ['equals', 'disjoint', 'intersects', 'within', 'contains', 'overlaps'];
const GEOMETRY_TYPES: readonly GeoQueryGeometry['type'][] = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'];
const REQUIRED = ['georel', 'geometry', 'coordinates'] as const;

/**
 * The geo-query of a GET request, or null when it has none. georel, geometry and coordinates come
 * together or not at all; geoproperty alone is ignored, as the OpenAPI says.
 */
export function parseGeoQueryParameters(parameters: GeoQueryParameters): GeoQuery | null {
  const missing = REQUIRED.filter((name) => parameters[name] === undefined);
  if (missing.length === REQUIRED.length) return null;
  if (missing.length > 0) throw incomplete(missing[0]!, missing, '');
  return build(parameters.georel!, parameters.geometry!, parameters.coordinates!, parameters.geoproperty, '');
}

/** The `geoQ` member of a POST query or a subscription. coordinates may be the array itself or its JSON text. */
export function parseGeoQ(value: unknown, parameter = 'geoQ'): GeoQuery {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidParameterError(parameter, `${parameter} must be an object with georel, geometry and coordinates`);
  const members = value as Record<string, unknown>;
  const unknown = Object.keys(members).filter((key) => !['georel', 'geometry', 'coordinates', 'geoproperty'].includes(key));
  if (unknown.length > 0) throw new InvalidParameterError(`${parameter}.${unknown[0]}`, `${parameter} has no member '${unknown[0]}'; its members are georel, geometry, coordinates and geoproperty`);
  const missing = REQUIRED.filter((name) => members[name] === undefined);
  if (missing.length > 0) throw incomplete(`${parameter}.${missing[0]}`, missing, `${parameter}.`);
  const { georel, geometry, coordinates, geoproperty } = members;
  if (typeof georel !== 'string') throw new InvalidParameterError(`${parameter}.georel`, 'georel must be a string');
  if (typeof geometry !== 'string') throw new InvalidParameterError(`${parameter}.geometry`, 'geometry must be a string');
  if (typeof coordinates !== 'string' && !Array.isArray(coordinates)) throw new InvalidParameterError(`${parameter}.coordinates`, 'coordinates must be an array of coordinates or its JSON text');
  if (geoproperty !== undefined && typeof geoproperty !== 'string') throw new InvalidParameterError(`${parameter}.geoproperty`, 'geoproperty must be a string');
  return build(georel, geometry, coordinates, geoproperty, `${parameter}.`);
}

function incomplete(parameter: string, missing: readonly string[], prefix: string): InvalidParameterError {
  return new InvalidParameterError(parameter, `a geo-query needs ${REQUIRED.map((name) => prefix + name).join(', ')} together; missing: ${missing.map((name) => prefix + name).join(', ')}`);
}

function build(georelText: string, geometryType: string, coordinatesInput: string | unknown[], geopropertyText: string | undefined, prefix: string): GeoQuery {
  const georel = parseGeorel(georelText, `${prefix}georel`);
  const geometry = parseReferenceGeometry(geometryType, coordinatesInput, prefix);
  const geoproperty = parseGeoproperty(geopropertyText, `${prefix}geoproperty`);
  return georel.georel === 'near' ? { georel: 'near', distance: georel.distance, geometry, geoproperty } : { georel: georel.georel, geometry, geoproperty };
}

/** `near;maxDistance==2000`, `near;minDistance==1.5e3`, `within`, … */
export function parseGeorel(text: string, parameter = 'georel'): Georel {
  if ((TOPOLOGICAL_GEORELS as readonly string[]).includes(text)) return { georel: text as TopologicalGeorel };
  const syntax = (index: number, expected: string) => new FilterSyntaxError(parameter, characterAt(text, index), expected, describeFoundAt(text, index, parameter));
  if (!text.startsWith('near')) {
    const word = /^[^;=]*/.exec(text)![0];
    throw new FilterSyntaxError(parameter, characterAt(text, 0), `near or one of ${TOPOLOGICAL_GEORELS.join(', ')}`, word === '' ? describeFoundAt(text, 0, parameter) : quoteExcerpt(word));
  }
  if (text[4] !== ';') throw syntax(4, "';' and maxDistance==<metres> or minDistance==<metres> after near");
  const bound = (['maxDistance', 'minDistance'] as const).find((candidate) => text.startsWith(candidate, 5));
  if (bound === undefined) throw syntax(5, 'maxDistance or minDistance');
  let i = 5 + bound.length;
  if (!text.startsWith('==', i)) throw syntax(i, "'=='");
  i += 2;
  const numberAt = i;
  JSON_NUMBER.lastIndex = i;
  const number = JSON_NUMBER.exec(text)?.[0];
  if (number === undefined) throw syntax(i, 'a distance in metres (a JSON number)');
  i += number.length;
  if (i < text.length) throw syntax(i, `the end of ${parameter}`);
  const metres = Number(number);
  if (!(metres > 0) || !Number.isFinite(metres)) {
    throw new InvalidParameterError(parameter, `${parameter} at ${characterAt(text, numberAt)}: the distance must be a positive, non-zero number of metres, not ${number}`);
  }
  return { georel: 'near', distance: { bound, metres } };
}

function parseGeoproperty(text: string | undefined, parameter: string): string {
  if (text === undefined) return DEFAULT_GEOPROPERTY;
  // Clause 4.10: the GeoProperty is named by its short name, never a fully qualified one.
  if (!isPrefixedName(text)) throw new InvalidParameterError(parameter, `${quoteExcerpt(text)} is not a GeoProperty short name (letters, digits and _, starting with a letter)`);
  return text;
}

function parseReferenceGeometry(type: string, input: string | unknown[], prefix: string): GeoQueryGeometry {
  if (type === 'GeometryCollection') throw new InvalidParameterError(`${prefix}geometry`, 'GeometryCollection cannot be the reference geometry of a geo-query (clause 4.10)');
  if (!(GEOMETRY_TYPES as readonly string[]).includes(type)) throw new InvalidParameterError(`${prefix}geometry`, `${quoteExcerpt(type)} is not one of ${GEOMETRY_TYPES.join(', ')}`);
  const parameter = `${prefix}coordinates`;
  const coordinates = typeof input === 'string' ? parseCoordinatesText(input, parameter) : input;
  const checker = new CoordinatesChecker(parameter);
  switch (type as GeoQueryGeometry['type']) {
    case 'Point':
      return { type: 'Point', coordinates: checker.position(coordinates, []) };
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: checker.list(coordinates, [], 'a MultiPoint', 'positions', 1, (p, at) => checker.position(p, at)) };
    case 'LineString':
      return { type: 'LineString', coordinates: checker.lineString(coordinates, []) };
    case 'MultiLineString':
      return { type: 'MultiLineString', coordinates: checker.list(coordinates, [], 'a MultiLineString', 'LineStrings', 1, (l, at) => checker.lineString(l, at)) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: checker.polygon(coordinates, []) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: checker.list(coordinates, [], 'a MultiPolygon', 'Polygons', 1, (p, at) => checker.polygon(p, at)) };
  }
}

/**
 * Clause 4.10 asks for the coordinates member of RFC 7946 section 3.1.1, i.e. JSON with its brackets;
 * the bracketless `lat,lon;lat,lon` of NGSIv2 is not NGSI-LD and is refused with a pointer to the right form.
 */
function parseCoordinatesText(text: string, parameter: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) {
    throw new InvalidParameterError(parameter, `${parameter} must be a GeoJSON coordinates array with its brackets (RFC 7946 section 3.1.1), e.g. [8,40] for a Point; found ${quoteExcerpt(text)}`);
  }
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    throw new InvalidParameterError(parameter, `${parameter} is not valid JSON: ${quoteExcerpt(text)}`);
  }
}

/** Checks the nesting and the numbers of GeoJSON coordinates and returns a fresh copy. */
class CoordinatesChecker {
  private dimensions: number | null = null;

  constructor(private readonly parameter: string) {}

  position(value: unknown, at: readonly number[]): Position {
    if (!Array.isArray(value) || value.some((n) => typeof n !== 'number')) throw this.problem(at, 'must be a position: an array of 2 or 3 numbers [longitude, latitude(, altitude)]');
    const position = value as number[];
    if (position.length < 2 || position.length > 3) throw this.problem(at, `is a position of ${position.length} numbers; a position has 2 or 3`);
    if (!position.every(Number.isFinite)) throw this.problem(at, 'holds a number beyond double precision');
    if (this.dimensions === null) this.dimensions = position.length;
    else if (position.length !== this.dimensions) throw this.problem(at, `has ${position.length} numbers where the first position has ${this.dimensions}; all positions need the same dimension`);
    const [longitude, latitude] = position as [number, number];
    if (longitude < -180 || longitude > 180) throw this.problem(at, `has longitude ${longitude}, outside -180..180 (GeoJSON positions are longitude first)`);
    if (latitude < -90 || latitude > 90) throw this.problem(at, `has latitude ${latitude}, outside -90..90 (GeoJSON positions are longitude first)`);
    return [...position];
  }

  lineString(value: unknown, at: readonly number[]): Position[] {
    return this.list(value, at, 'a LineString', 'positions', 2, (p, i) => this.position(p, i));
  }

  polygon(value: unknown, at: readonly number[]): Position[][] {
    return this.list(value, at, 'a Polygon', 'linear rings', 1, (ring, i) => this.linearRing(ring, i));
  }

  private linearRing(value: unknown, at: readonly number[]): Position[] {
    const ring = this.list(value, at, 'a linear ring', 'positions', 4, (p, i) => this.position(p, i));
    const first = ring[0]!;
    const last = ring[ring.length - 1]!;
    if (first.some((c, i) => c !== last[i])) throw this.problem(at, 'is a linear ring that does not end where it starts (first and last positions must be equal)');
    return ring;
  }

  list<T>(value: unknown, at: readonly number[], what: string, members: string, minimum: number, each: (item: unknown, at: readonly number[]) => T): T[] {
    // Every member is itself an array; numbers here mean the nesting is one level short.
    if (!Array.isArray(value) || value.some((item) => !Array.isArray(item))) throw this.problem(at, `must be ${what}: an array of ${members}`);
    if (value.length < minimum) throw this.problem(at, `is ${what} of ${value.length} ${members}; it needs at least ${minimum}`);
    return value.map((item, index) => each(item, [...at, index]));
  }

  private problem(at: readonly number[], message: string): InvalidParameterError {
    const where = at.length === 0 ? this.parameter : `${this.parameter}${at.map((i) => `[${i}]`).join('')}`;
    return new InvalidParameterError(this.parameter, `${where} ${message}`);
  }
}
