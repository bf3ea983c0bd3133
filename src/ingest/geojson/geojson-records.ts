import type { Geometry, Position } from 'geojson';
import { isFeature } from 'geojson-validation';
import { SourceFormatError, UnsupportedCrsError } from '../../domain/errors.js';
import type { AxisOrderOverride } from '../../domain/mapping.js';
import { resolveCrs, type CrsRef } from '../../geo/crs-registry.js';
import { SWAPPED_AXES_HINT } from '../../geo/gml-geometry.js';
import { positionTransform, transformGeometry, type PositionTransform } from '../../geo/reproject.js';
import type { SourceGeometry, SourceRecord } from '../source-record.js';

export interface GeoJsonReadOptions {
  /** The CRS the coordinates are in (requested `crs`, Content-Crs, the mapping's source.crs); null: CRS84 or the legacy `crs` member. */
  readonly crs: CrsRef | null;
  readonly axisOrder: AxisOrderOverride;
  /** Where the document came from, for locations in messages. */
  readonly source: string;
}

/** The CRS of a GeoJSON-2008 `crs` member ({"type":"name","properties":{"name":"urn:…"}}), if any. */
export function legacyCrs(document: Record<string, unknown>): CrsRef | null {
  const member = document['crs'] as { type?: string; properties?: { name?: unknown } } | undefined;
  if (!member || member.type !== 'name' || typeof member.properties?.name !== 'string') return null;
  try {
    // GeoJSON coordinates are x/y (east, north) even when the 2008 member names a lat/lon CRS.
    return { ...resolveCrs(member.properties.name, 'crs member'), swapAxes: false };
  } catch (error) {
    if (error instanceof UnsupportedCrsError) throw new SourceFormatError(`the GeoJSON crs member names ${member.properties.name}: ${error.message}`, null, null);
    throw error;
  }
}

/** The features of a GeoJSON FeatureCollection or Feature. */
export function featuresOf(document: unknown, source: string): unknown[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new SourceFormatError(`${source} is JSON but not a GeoJSON object`, null, null);
  const root = document as Record<string, unknown>;
  if (root['type'] === 'FeatureCollection' && Array.isArray(root['features'])) return root['features'];
  if (root['type'] === 'Feature') return [root];
  // The members name what the document is instead (an SOS GetObservation response has request, service, observations…).
  const members = Object.keys(root).slice(0, 10);
  throw new SourceFormatError(`${source} is not a GeoJSON FeatureCollection or Feature (type is ${JSON.stringify(root['type'] ?? null)}; members: ${members.join(', ') || 'none'})`, null, null);
}

function allFinite(geometry: Geometry): boolean {
  if (geometry.type === 'GeometryCollection') return geometry.geometries.every(allFinite);
  return (geometry.coordinates.flat(3) as unknown[]).every((n) => typeof n === 'number' && Number.isFinite(n));
}

function positions(geometry: Geometry): Position[] {
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap(positions);
  if (geometry.type === 'Point') return [geometry.coordinates];
  return (geometry.coordinates as unknown[]).flat(geometry.type === 'MultiPolygon' ? 2 : geometry.type === 'Polygon' || geometry.type === 'MultiLineString' ? 1 : 0) as Position[];
}

/** Checks lon/lat against the world and the source CRS's area of use (metres read as degrees, swapped axes). */
function outOfRange(lonLat: Geometry, crs: CrsRef): string | null {
  const area = crs.srid === 4326 ? null : crs.definition.areaOfUse;
  const margin = 0.05;
  for (const [lon, lat] of positions(lonLat) as [number, number][]) {
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      return `position (${lon} ${lat}) is not longitude/latitude${crs.srid === 4326 ? ' (metres? set source.crs; swapped? set source.axisOrder)' : ` after reprojection from EPSG:${crs.srid}`}`;
    }
    if (area) {
      const [west, south, east, north] = area;
      const inLon = west <= east ? lon >= west - margin && lon <= east + margin : lon >= west - margin || lon <= east + margin;
      if (!inLon || lat < south - margin || lat > north + margin) return `position (lon/lat ${lon.toFixed(5)} ${lat.toFixed(5)}) lies outside the area of use of EPSG:${crs.srid} ${crs.definition.name}`;
    }
  }
  return null;
}

/** The feature's own identifier: `id`, else the `ID` or `@id` members some servers write. */
function idOf(feature: Record<string, unknown>): string | null {
  for (const key of ['id', 'ID', '@id']) {
    const value = feature[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}

/** What a GeoJSON feature is read with: the CRS its coordinates are in and the transform to lon/lat. */
export interface GeoJsonFrame {
  readonly crs: CrsRef;
  readonly toLonLat: PositionTransform;
  /** The same with the two axes exchanged: to tell a provider's swapped axes in messages. */
  readonly swappedToLonLat: PositionTransform;
  readonly source: string;
}

/** The CRS and axis order features are read in: the given CRS, else the legacy `crs` member, else CRS84; the override last. */
export function geoJsonFrame(options: GeoJsonReadOptions, legacy: CrsRef | null): GeoJsonFrame {
  const base = options.crs ?? legacy ?? resolveCrs('http://www.opengis.net/def/crs/OGC/1.3/CRS84');
  const crs: CrsRef = options.axisOrder === 'auto' ? base : { ...base, swapAxes: options.axisOrder === 'yx' };
  return { crs, toLonLat: positionTransform(crs, 4326), swappedToLonLat: positionTransform({ ...crs, swapAxes: !crs.swapAxes }, 4326), source: options.source };
}

/** One GeoJSON feature (the `index`th of its document) → a source record with its geometry in lon/lat. */
export function geoJsonRecord(candidate: unknown, index: number, frame: GeoJsonFrame): SourceRecord {
  const feature = (candidate ?? {}) as Record<string, unknown>;
  const id = idOf(feature);
  const location = `${frame.source} feature ${index}${id !== null ? ` (id ${id})` : ''}`;
  const properties = feature['properties'] && typeof feature['properties'] === 'object' ? (feature['properties'] as Record<string, unknown>) : {};
  const problems = isFeature(candidate, true);
  if (problems.length > 0) return { id, properties, geometries: [], location, problem: `not a GeoJSON Feature: ${problems.join('; ')}` };
  const raw = feature['geometry'] as Geometry | null;
  const geometries: SourceGeometry[] = [];
  if (raw) {
    if (!allFinite(raw)) geometries.push({ name: 'geometry', geometry: null, problem: 'coordinates must be finite numbers' });
    else {
      const geometry = transformGeometry(raw, frame.toLonLat);
      const problem = outOfRange(geometry, frame.crs);
      if (!problem) geometries.push({ name: 'geometry', geometry });
      else {
        const swapped = outOfRange(transformGeometry(raw, frame.swappedToLonLat), frame.crs) === null;
        const hint = swapped ? `; ${SWAPPED_AXES_HINT} (set source.axisOrder to ${frame.crs.swapAxes ? 'xy' : 'yx'})` : '';
        geometries.push({ name: 'geometry', geometry: null, problem: `${problem}${hint}` });
      }
    }
  }
  return { id, properties, geometries, location };
}

/** A document's features and the frame (CRS, axis order) they are read in. */
function readable(document: unknown, options: GeoJsonReadOptions) {
  return { features: featuresOf(document, options.source), frame: geoJsonFrame(options, legacyCrs(document as Record<string, unknown>)) };
}

/**
 * GeoJSON features → source records with geometry in lon/lat. Coordinates are x/y (RFC 7946 and
 * the 2008 `crs` member alike) unless the mapping's axis-order override says otherwise.
 */
export function geoJsonRecords(document: unknown, options: GeoJsonReadOptions, firstIndex = 0): SourceRecord[] {
  const { features, frame } = readable(document, options);
  return features.map((candidate, offset) => geoJsonRecord(candidate, firstIndex + offset, frame));
}

/**
 * geoJsonRecords for a large document, a slice of features at a time with a turn of the event loop
 * between slices, so that other work (the database's answers during a harvest) is not held up.
 */
export async function geoJsonRecordsInSlices(document: unknown, options: GeoJsonReadOptions, sliceSize: number): Promise<SourceRecord[]> {
  const { features, frame } = readable(document, options);
  const records: SourceRecord[] = [];
  for (let start = 0; start < features.length; start += sliceSize) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (let index = start; index < Math.min(start + sliceSize, features.length); index++) records.push(geoJsonRecord(features[index], index, frame));
  }
  return records;
}
