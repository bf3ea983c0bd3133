/**
 * GeoJSON pages of ../shared/fixtures/ogcapi-features into source records: ids (id, ID, @id,
 * numeric, UUID, 0), counts and the first position in lon/lat. Expected positions are the first
 * pair written in each file (CRS84 files) or, for the EPSG:25832 vineyards, the same feature's
 * CRS84 twin the server produced (PROJ on the server side is the independent reference).
 */
import { readFile } from 'node:fs/promises';
import type { Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { resolveCrs } from '../../src/geo/crs-registry.js';
import { geoJsonRecords } from '../../src/ingest/geojson/geojson-records.js';
import { recordMapper } from '../../src/ingest/mapping/apply-mapping.js';
import type { SourceRecord } from '../../src/ingest/source-record.js';
import { inferQueryables } from '../../src/services/features/queryable-inference.js';
import { mappingFrom } from '../helpers/mappings.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';

async function records(file: string, crs: string | null = null): Promise<SourceRecord[]> {
  const document = JSON.parse(await readFile(fixture('ogcapi-features', file), 'utf8')) as unknown;
  return geoJsonRecords(document, { crs: crs ? resolveCrs(crs) : null, axisOrder: 'auto', source: file });
}

function positions(record: SourceRecord): Position[] {
  const geometry = record.geometries[0]?.geometry;
  if (!geometry || geometry.type === 'GeometryCollection') return [];
  const flat = (geometry.coordinates as unknown[]).flat(geometry.type === 'MultiPolygon' ? 2 : geometry.type === 'Polygon' || geometry.type === 'MultiLineString' ? 1 : 0);
  return (geometry.type === 'Point' ? [geometry.coordinates] : flat) as Position[];
}

const CASES: ReadonlyArray<[file: string, count: number, ids: string[], first: [number, number] | null]> = [
  ['etsoapif-core_collections_collectionItems-flurstueck.json', 10, ['DENW19AL0000geMFFL'], [8.711910494386446, 51.49108376876667]],
  ['etsoapif-core_collections_collectionItem1-flurstueck.json', 1, ['DENW19AL0000geMFFL'], [8.711910494386446, 51.49108376876667]],
  ['etsoapif-core_collections_collectionItems-gebaeudebauwerk.json', 10, ['DENW26AL100011QvBL'], [6.878764313993017, 51.492947351685686]],
  ['etsoapif-core_collections_collectionItems-verwaltungseinheit.json', 10, ['DE05111000'], [6.896565241203, 51.128991048313]],
  ['etsoapif-crs_query_collectionItem-vineyards.json', 1, ['810601'], [8.1540253, 49.270085]],
  ['etsoapif-crs_query_collectionItems-vineyards.json', 3, ['810601'], [8.1540253, 49.270085]],
  ['etsoapif-crs_query_collectionItems-vineyards-offset-9.json', 3, ['720222'], [8.1414141, 49.8908723]],
  ['etsoapif-util_items_1-10.json', 10, ['0', '1'], [106.57998579307912, 52.79998159444554]],
  ['etsoapif-util_items_11-20.json', 10, ['10'], [35.2602047055542, -14.277474460510291]],
  ['etsoapif-util_items_21-30.json', 5, ['20'], [-117.7592923653704, 66.22368419052789]],
  ['etsoapif-util_items_31-40.json', 0, [], null],
  ['ogcclient-sample-data-2__collections__aires-covoiturage__items.json', 10, ['1', '2'], [3.1357683190685193, 50.754946172495444]],
  ['ogcclient-sample-data__collections__airports__items.json', 10, ['1'], [-1.2918826, 59.8783475]],
  ['ogcclient-sample-data__collections__airports__items__1.json', 1, ['1'], [-1.2918826, 59.8783475]],
  ['ogcclient-sample-data__collections__dutch-metadata__items.json', 10, ['35149dfb-31d3-431c-a8bc-12a4034dac48'], [4.690751953125, 52.358740234375]],
  ['ogcclient-sample-data__collections__dutch-metadata__items__35149dfb-31d3-431c-a8bc-12a4034dac48.json', 1, ['35149dfb-31d3-431c-a8bc-12a4034dac48'], [4.690751953125, 52.358740234375]],
  ['ogcclient-sample-data__collections__roads_national__items.json', 10, ['1'], [-3.7146553, 58.0895513]],
];

describe.skipIf(!haveFixtures)('OGC API Features items fixtures as source records', () => {
  it.each(CASES)('%s: %i features', async (file, count, ids, first) => {
    const read = await records(file);
    expect(read).toHaveLength(count);
    expect(read.slice(0, ids.length).map((r) => r.id)).toEqual(ids);
    for (const record of read) expect(record.problem).toBeUndefined();
    for (const record of read) expect(record.geometries.every((g) => g.geometry !== null)).toBe(true);
    if (first) expect(positions(read[0]!)[0]!.slice(0, 2)).toEqual(first);
  });

  it('puts the EPSG:25832 vineyards onto their CRS84 twins (the server projected both) within 2e-7°', async () => {
    const utm = await records('etsoapif-crs_query_collectionItems-vineyards-25832.json', 'http://www.opengis.net/def/crs/EPSG/0/25832');
    const crs84 = await records('etsoapif-crs_query_collectionItems-vineyards.json');
    expect(utm.map((r) => r.id)).toEqual(crs84.map((r) => r.id));
    let worst = 0;
    utm.forEach((record, i) => {
      const a = positions(record);
      const b = positions(crs84[i]!);
      expect(a).toHaveLength(b.length);
      a.forEach((p, j) => (worst = Math.max(worst, Math.abs(p[0]! - b[j]![0]!), Math.abs(p[1]! - b[j]![1]!))));
    });
    // the 25832 file is rounded to 1 mm, the CRS84 one to 1e-7° (about 1 cm)
    expect(worst).toBeLessThan(2e-7);
    const single = await records('etsoapif-crs_query_collectionItem-vineyards-25832.json', 'http://www.opengis.net/def/crs/EPSG/0/25832');
    expect(positions(single[0]!)[0]![0]).toBeCloseTo(8.1540253, 6);
  });

  it('reads the EPSG:25832 page as metres only when told: as CRS84 it is out of range, with a hint', async () => {
    const wrong = await records('etsoapif-crs_query_collectionItems-vineyards-25832.json');
    expect(wrong[0]!.geometries[0]).toMatchObject({ geometry: null, problem: expect.stringMatching(/^position \(438458\.864 5457824\.844\) is not longitude\/latitude \(metres\? set source\.crs/) });
  });
});

describe.skipIf(!haveFixtures)('choosing the CRS to ask an OGC API collection for', () => {
  const collection = async (file: string) => JSON.parse(await readFile(fixture('ogcapi-features', file), 'utf8')) as { crs: string[] };
  it('finds EPSG:25832 among the vineyards CRSs and CRS84 among the geOrchestra ones', async () => {
    const { offeredCrs } = await import('../../src/ingest/ogcapi-features/ogcapi-discovery.js');
    expect(offeredCrs(await collection('etsoapif-crs_query_collection-vineyards.json'), resolveCrs('EPSG:25832'))).toBe('http://www.opengis.net/def/crs/EPSG/0/25832');
    expect(offeredCrs(await collection('ogcclient-sample-data-2__collections__aires-covoiturage.json'), resolveCrs('http://www.opengis.net/def/crs/OGC/1.3/CRS84'))).toBe('http://www.opengis.net/def/crs/OGC/1.3/CRS84');
    expect(offeredCrs({ crs: ['http://www.opengis.net/def/crs/EPSG/9.6.2/25832'] }, resolveCrs('urn:ogc:def:crs:EPSG::25832'))).toBe('http://www.opengis.net/def/crs/EPSG/9.6.2/25832');
    const discovery = await collection('etsoapif-crs_discovery_collections_collections.json');
    expect(offeredCrs(discovery, resolveCrs('EPSG:3857'))).toBe('http://www.opengis.net/def/crs/EPSG/0/3857');
    expect(offeredCrs(discovery, resolveCrs('EPSG:25832'))).toBeNull();
  });
});

// The harvest does not read the servers' JSON Schemas (schemas/feature, schemas/collection): GeoJSON
// values arrive typed, and the queryables placelink infers from them are the types those schemas declare.
describe.skipIf(!haveFixtures)('queryables inferred from OS Open Zoomstack items against its recorded feature schemas', () => {
  it.each(['airports', 'roads_national'])('%s', async (collection) => {
    const loaded = await mappingFrom(`source:\n  type: ogcapi-features\n  url: http://127.0.0.1/\n  collection: ${collection}\ntarget:\n  collection: ${collection.replace('_', '-')}\n`);
    const map = recordMapper(loaded.mapping);
    const mapped = (await records(`ogcclient-sample-data__collections__${collection}__items.json`)).map((record) => map(record));
    const inferred = inferQueryables(mapped.flatMap((outcome) => ('record' in outcome ? [outcome.record] : [])));
    const schema = JSON.parse(await readFile(fixture('ogcapi-features', `ogcclient-sample-data__collections__${collection}__schemas__feature.json`), 'utf8')) as {
      properties: { properties: { properties: Record<string, { type: string }> } };
    };
    const declared = Object.fromEntries(Object.entries(schema.properties.properties.properties).map(([name, p]) => [name, { type: p.type }]));
    expect(Object.keys(inferred)).toEqual(collection === 'airports' ? ['name'] : ['level', 'number', 'type']);
    expect(declared).toMatchObject(inferred);
  });
});
