import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { resolveCrs } from '../../src/geo/crs-registry.js';
import { parseGeoJson } from '../../src/ingest/files/geojson-file.js';

const options = { namespace: 'test.ns' };

function collection(features: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'FeatureCollection', ...extra, features });
}

const point = (id: unknown, coordinates: number[], properties: Record<string, unknown> = {}) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates }, properties });

describe('GeoJSON files', () => {
  it('reads features with their ids and inspireId namespace', () => {
    const result = parseGeoJson(collection([point('a', [9.7, 52.3], { n: 1 }), point(7, [9.8, 52.4])]), 'f.json', options);
    expect(result.rejected).toEqual([]);
    expect(result.records.map((r) => [r.id, r.namespace, r.localId])).toEqual([
      ['a', 'test.ns', 'a'],
      ['7', 'test.ns', '7'],
    ]);
    expect(result.records[0]!.geometry).toEqual({ type: 'Point', coordinates: [9.7, 52.3] });
  });

  it('names line and column of a JSON syntax error', () => {
    const text = '{\n  "type": "FeatureCollection",\n  "features": [ }\n}';
    expect(() => parseGeoJson(text, 'broken.json', options)).toThrow(InvalidInputError);
    expect(() => parseGeoJson(text, 'broken.json', options)).toThrow(/broken\.json is not valid JSON at line 3, column \d+/);
  });

  it('refuses JSON that is not GeoJSON', () => {
    expect(() => parseGeoJson('{"hello": "world"}', 'x.json', options)).toThrow(/not a GeoJSON FeatureCollection or Feature/);
    expect(() => parseGeoJson('[1,2,3]', 'x.json', options)).toThrow(/not a GeoJSON object/);
  });

  it('reports bad features by index and reason, keeping the good ones', () => {
    const result = parseGeoJson(
      collection([
        point('ok', [1, 2]),
        { type: 'Feature', id: 'short', geometry: { type: 'Point', coordinates: [1] }, properties: {} },
        point(undefined, [1, 2]),
        point('ok', [3, 4]),
        { type: 'Feature', id: 'open', geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }, properties: {} },
      ]),
      'x.json',
      options,
    );
    expect(result.records.map((r) => r.id)).toEqual(['ok']);
    expect(result.rejected.map((r) => r.location)).toEqual(['feature 1', 'feature 2', 'feature 3 (id ok)', 'feature 4']);
    expect(result.rejected[1]!.reason).toMatch(/no id/);
    expect(result.rejected[2]!.reason).toMatch(/duplicate id, first used by feature 0/);
  });

  it('takes ids from a property when asked', () => {
    const result = parseGeoJson(collection([point(undefined, [1, 2], { pole: 'P-1' })]), 'x.json', { ...options, idProperty: 'pole' });
    expect(result.records[0]!.id).toBe('P-1');
  });

  it('reprojects from the CRS given, in that CRS axis order', () => {
    const result = parseGeoJson(collection([point('p', [552262.59, 5800492.68])]), 'x.json', { ...options, crs: resolveCrs('EPSG:25832') });
    const [lon, lat] = (result.records[0]!.geometry as { coordinates: number[] }).coordinates;
    expect(lon).toBeCloseTo(9.76732716081437, 8);
    expect(lat).toBeCloseTo(52.352231512624265, 8);
  });

  it('honours a legacy GeoJSON-2008 crs member (urn form: lat/lon for EPSG:4258)', () => {
    const result = parseGeoJson(collection([point('p', [52.352232, 9.767327])], { crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4258' } } }), 'x.json', options);
    expect(result.sourceCrs.srid).toBe(4258);
    expect((result.records[0]!.geometry as { coordinates: number[] }).coordinates).toEqual([9.767327, 52.352232]);
  });

  it('reads the time property as an instant and rejects unreadable values', () => {
    const result = parseGeoJson(collection([point('a', [1, 2], { t: '2020-05-01' }), point('b', [1, 2], { t: 'yesterday' })]), 'x.json', { ...options, timeProperty: 't' });
    expect(result.records[0]!.timeStart).toBe('2020-05-01T00:00:00.000Z');
    expect(result.rejected[0]!.reason).toMatch(/not an RFC 3339/);
  });
});
