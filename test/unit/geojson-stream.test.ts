import { describe, expect, it } from 'vitest';
import { SourceFormatError } from '../../src/domain/errors.js';
import { streamGeoJsonFeatures, streamGeoJsonRecords, type GeoJsonMembers } from '../../src/ingest/geojson/geojson-stream.js';

const encoder = new TextEncoder();

/** The text as byte chunks of `size` (splitting multi-byte characters and tokens anywhere). */
async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const feature = (id: string | number, coordinates: number[] | null, properties: Record<string, unknown> = {}) => ({
  type: 'Feature',
  id,
  geometry: coordinates ? { type: 'Point', coordinates } : null,
  properties,
});

describe('streamGeoJsonFeatures', () => {
  const document = {
    type: 'FeatureCollection',
    name: 'Straßenlampen ✓',
    features: [feature('a', [9.7, 52.3], { name: 'Müllerstraße 🌙', n: [1, { deep: true }] }), feature(7, null), feature('c', [1e-7, -2.5e3])],
    numberMatched: 3,
    links: [{ rel: 'next', href: 'x' }],
  };

  it.each([1, 3, 7, 64, 100_000])('gives the same features and members as JSON.parse with %i-byte chunks', async (size) => {
    const members: GeoJsonMembers = {};
    const features = await all(streamGeoJsonFeatures(chunked(JSON.stringify(document, null, 1), size), 'x.json', members));
    expect(features).toEqual(document.features);
    expect(members).toEqual({ type: 'FeatureCollection', name: 'Straßenlampen ✓', numberMatched: 3, links: [{ rel: 'next', href: 'x' }] });
  });

  it('yields a feature before the rest of the document has arrived', async () => {
    let second = false;
    let firstSeenBeforeSecondChunk = false;
    async function* source() {
      yield '{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":null,"properties":{}},';
      second = true;
      yield '{"type":"Feature","id":"b","geometry":null,"properties":{}}]}';
    }
    const ids: unknown[] = [];
    for await (const f of streamGeoJsonFeatures(source(), 'x.json', {})) {
      if (ids.length === 0) firstSeenBeforeSecondChunk = !second;
      ids.push((f as { id: unknown }).id);
    }
    expect(ids).toEqual(['a', 'b']);
    expect(firstSeenBeforeSecondChunk).toBe(true);
  });

  it('reads a single Feature document as one feature', async () => {
    expect(await all(streamGeoJsonFeatures(chunked(JSON.stringify(feature('only', [1, 2])), 5), 'x.json', {}))).toEqual([feature('only', [1, 2])]);
  });

  it.each([
    ['{"type":"FeatureCollection","features":[\n{"type":"Feature","id":1,"geometry":null,"properties":{}},\n{"type":"Feature" "id":2}\n]}', /^x\.json is not valid JSON at line 3 \(in feature 1\): expected ','/],
    ['{"type":"FeatureCollection",\n"features":[{"type":"Feature","id":1,"geometry":null,"properties":{}}', /^x\.json is not valid JSON at line 2 \(in feature 1\): the document ends before it is complete$/],
    ['{"type":"FeatureCollection" x', /^x\.json is not valid JSON at line 1: /],
    ['[1, 2]', /^x\.json is JSON but not a GeoJSON object$/],
    ['{"hello":"world"}', /^x\.json is not a GeoJSON FeatureCollection or Feature \(type is null; members: hello\)$/],
    ['{"type":"GeometryCollection","features":[]}', /^x\.json has a features array but its type is "GeometryCollection", not FeatureCollection$/],
  ])('refuses %j with a message naming where', async (text, message) => {
    const reading = all(streamGeoJsonFeatures(chunked(text, 4), 'x.json', {}));
    await expect(reading).rejects.toBeInstanceOf(SourceFormatError);
    await expect(all(streamGeoJsonFeatures(chunked(text, 4), 'x.json', {}))).rejects.toThrow(message);
  });
});

describe('streamGeoJsonRecords', () => {
  it('applies a legacy crs member that precedes the features (EPSG:25832 → lon/lat)', async () => {
    const text = JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::25832' } }, features: [feature('p', [552262.59, 5800492.68])] });
    const [record] = await all(streamGeoJsonRecords(chunked(text, 16), { crs: null, axisOrder: 'auto', source: 'x.json' }));
    // PostGIS: ST_Transform(ST_SetSRID(ST_MakePoint(552262.59, 5800492.68), 25832), 4326) = POINT(9.76732716 52.35223151)
    const [lon, lat] = (record!.geometries[0]!.geometry as { coordinates: number[] }).coordinates as [number, number];
    expect(lon).toBeCloseTo(9.76732716, 7);
    expect(lat).toBeCloseTo(52.35223151, 7);
  });

  it('refuses a crs member that arrives after features were read without it', async () => {
    async function* source() {
      yield '{"type":"FeatureCollection","features":[{"type":"Feature","id":"p","geometry":{"type":"Point","coordinates":[9,52]},"properties":{}}],';
      yield '"crs":{"type":"name","properties":{"name":"EPSG:25832"}}}';
    }
    await expect(all(streamGeoJsonRecords(source(), { crs: null, axisOrder: 'auto', source: 'x.json' }))).rejects.toThrow('x.json names its CRS (crs member) after the features; set source.crs in the mapping to read it');
  });

  it('numbers features across chunks in record locations', async () => {
    const text = JSON.stringify({ type: 'FeatureCollection', features: [feature('a', [1, 2]), feature('b', [3, 4]), { type: 'Feature' }] });
    const records = await all(streamGeoJsonRecords(chunked(text, 9), { crs: null, axisOrder: 'auto', source: 'x.json' }));
    expect(records.map((r) => r.location)).toEqual(['x.json feature 0 (id a)', 'x.json feature 1 (id b)', 'x.json feature 2']);
    expect(records[2]!.problem).toMatch(/^not a GeoJSON Feature: /);
  });
});
