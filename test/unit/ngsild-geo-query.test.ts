import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, InvalidParameterError } from '../../src/domain/errors.js';
import { parseGeoQ, parseGeoQueryParameters, parseGeorel, type GeoQueryParameters } from '../../src/ngsild/query/geo-query.js';

function failure(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('no error');
}

describe('georel (clause 4.10)', () => {
  it.each([
    ['near;maxDistance==2000', { georel: 'near', distance: { bound: 'maxDistance', metres: 2000 } }],
    ['near;minDistance==15000', { georel: 'near', distance: { bound: 'minDistance', metres: 15000 } }],
    ['near;maxDistance==0.5', { georel: 'near', distance: { bound: 'maxDistance', metres: 0.5 } }],
    ['near;maxDistance==1.5e3', { georel: 'near', distance: { bound: 'maxDistance', metres: 1500 } }],
    ['equals', { georel: 'equals' }],
    ['disjoint', { georel: 'disjoint' }],
    ['intersects', { georel: 'intersects' }],
    ['within', { georel: 'within' }],
    ['contains', { georel: 'contains' }],
    ['overlaps', { georel: 'overlaps' }],
  ])('%s', (text, expected) => {
    expect(parseGeorel(text)).toStrictEqual(expected);
  });

  it.each([
    ['', 'character 1', 'near or one of equals, disjoint, intersects, within, contains, overlaps', 'the end of georel'],
    ['invalid', 'character 1', 'near or one of', "'invalid'"],
    ['Within', 'character 1', 'near or one of', "'Within'"],
    ['touches', 'character 1', 'near or one of', "'touches'"],
    ['near', 'character 5', "';' and maxDistance==<metres> or minDistance==<metres> after near", 'the end of georel'],
    ['nearby', 'character 5', "';'", "'b'"],
    ['near;', 'character 6', 'maxDistance or minDistance', 'the end of georel'],
    ['near;distance==5', 'character 6', 'maxDistance or minDistance', "'d'"],
    ['near;maxDistance=5', 'character 17', "'=='", "'='"],
    ['near;maxDistance==', 'character 19', 'a distance in metres', 'the end of georel'],
    ['near;maxDistance==abc', 'character 19', 'a distance in metres', "'a'"],
    ['near;maxDistance==.5', 'character 19', 'a distance in metres', "'.'"],
    ['near;maxDistance==10m', 'character 21', 'the end of georel', "'m'"],
    ['near;maxDistance==10;minDistance==5', 'character 21', 'the end of georel', "';'"],
    ['near; maxDistance==10', 'character 6', 'maxDistance or minDistance', 'character U+0020'],
  ])('%j fails at %s', (text, location, expected, found) => {
    const error = failure(() => parseGeorel(text));
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect((error as FilterSyntaxError).location).toBe(location);
    expect((error as FilterSyntaxError).expected).toContain(expected);
    expect(error.message).toMatch(new RegExp(`found ${found.replace(/[()+]/g, '\\$&')}$`));
  });

  it.each(['near;maxDistance==0', 'near;minDistance==0.0', 'near;maxDistance==-5', 'near;maxDistance==1e999'])('%s is not a positive, non-zero distance', (text) => {
    const error = failure(() => parseGeorel(text));
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error).not.toBeInstanceOf(FilterSyntaxError);
    expect(error.message).toContain('at character 19: the distance must be a positive, non-zero number of metres');
  });
});

describe('geo-query parameters', () => {
  it('is absent when none of georel, geometry and coordinates is there, even with geoproperty', () => {
    expect(parseGeoQueryParameters({})).toBeNull();
    expect(parseGeoQueryParameters({ geoproperty: 'observationSpace' })).toBeNull();
  });

  it('defaults geoproperty to location and takes any GeoProperty name', () => {
    expect(parseGeoQueryParameters({ georel: 'within', geometry: 'Point', coordinates: '[8,40]' })).toStrictEqual({
      georel: 'within',
      geometry: { type: 'Point', coordinates: [8, 40] },
      geoproperty: 'location',
    });
    expect(parseGeoQueryParameters({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: '[8,40]', geoproperty: 'observationSpace' })).toStrictEqual({
      georel: 'near',
      distance: { bound: 'maxDistance', metres: 2000 },
      geometry: { type: 'Point', coordinates: [8, 40] },
      geoproperty: 'observationSpace',
    });
    expect(parseGeoQueryParameters({ georel: 'within', geometry: 'Point', coordinates: '[8,40]', geoproperty: 'streetGeometry_2' })?.geoproperty).toBe('streetGeometry_2');
  });

  it.each<[GeoQueryParameters, string, string]>([
    [{ georel: 'within' }, 'geometry', 'missing: geometry, coordinates'],
    [{ geometry: 'Point', coordinates: '[1,2]' }, 'georel', 'missing: georel'],
    [{ georel: 'within', geometry: 'Point' }, 'coordinates', 'missing: coordinates'],
    [{ coordinates: '[1,2]', geoproperty: 'location' }, 'georel', 'missing: georel, geometry'],
  ])('needs georel, geometry and coordinates together: %j', (parameters, parameter, message) => {
    const error = failure(() => parseGeoQueryParameters(parameters));
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as InvalidParameterError).parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });

  it.each([
    ['https://uri.etsi.org/ngsi-ld/location', 'is not a GeoProperty short name'],
    ['', 'is not a GeoProperty short name'],
    ['1st', 'is not a GeoProperty short name'],
  ])('refuses the geoproperty %j', (geoproperty, message) => {
    const error = failure(() => parseGeoQueryParameters({ georel: 'within', geometry: 'Point', coordinates: '[8,40]', geoproperty }));
    expect((error as InvalidParameterError).parameter).toBe('geoproperty');
    expect(error.message).toContain(message);
  });
});

describe('reference geometries', () => {
  const geometry = (type: string, coordinates: string) => parseGeoQueryParameters({ georel: 'intersects', geometry: type, coordinates })?.geometry;
  const ring = '[[0,0],[1,0],[1,1],[0,1],[0,0]]';

  it.each([
    ['Point', '[8,40]', [8, 40]],
    ['Point', '[8,40,120.5]', [8, 40, 120.5]],
    ['Point', ' [ -180 , -90 ] ', [-180, -90]],
    ['Point', '[180,90]', [180, 90]],
    ['MultiPoint', '[[8,40],[9,41]]', [[8, 40], [9, 41]]],
    ['LineString', '[[8,40],[9,41]]', [[8, 40], [9, 41]]],
    ['MultiLineString', '[[[8,40],[9,41]],[[1,1],[2,2],[3,3]]]', [[[8, 40], [9, 41]], [[1, 1], [2, 2], [3, 3]]]],
    ['Polygon', `[${ring}]`, [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]],
    ['Polygon', `[${ring},[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]`, [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], [[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.2]]]],
    ['MultiPolygon', `[[${ring}],[${ring}]]`, [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]]],
  ])('%s %s', (type, coordinates, expected) => {
    expect(geometry(type, coordinates)).toStrictEqual({ type, coordinates: expected });
  });

  it.each([
    ['GeometryCollection', '[]', 'geometry', 'GeometryCollection cannot be the reference geometry'],
    ['point', '[8,40]', 'geometry', "'point' is not one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon"],
    ['Circle', '[8,40]', 'geometry', 'is not one of'],
    ['Point', '8,40', 'coordinates', 'must be a GeoJSON coordinates array with its brackets'],
    ['Point', '41.3,2.1;41.4,2.2', 'coordinates', 'must be a GeoJSON coordinates array with its brackets'],
    ['Point', '[8,40', 'coordinates', 'is not valid JSON'],
    ['Point', '[8,"40"]', 'coordinates', 'coordinates must be a position'],
    ['Point', '[8]', 'coordinates', 'is a position of 1 numbers'],
    ['Point', '[1,2,3,4]', 'coordinates', 'is a position of 4 numbers'],
    ['Point', '[[8,40]]', 'coordinates', 'coordinates must be a position'],
    ['Point', '[1e999,0]', 'coordinates', 'beyond double precision'],
    ['Point', '[180.5,40]', 'coordinates', 'has longitude 180.5, outside -180..180'],
    ['Point', '[40,-91]', 'coordinates', 'has latitude -91, outside -90..90'],
    ['MultiPoint', '[]', 'coordinates', 'is a MultiPoint of 0 positions; it needs at least 1'],
    ['MultiPoint', '[8,40]', 'coordinates', 'coordinates must be a MultiPoint: an array of positions'],
    ['MultiPoint', '[[8,40],[9,41,3]]', 'coordinates', 'coordinates[1] has 3 numbers where the first position has 2'],
    ['LineString', '[[8,40]]', 'coordinates', 'is a LineString of 1 positions; it needs at least 2'],
    ['MultiLineString', '[[[8,40]]]', 'coordinates', 'coordinates[0] is a LineString of 1 positions'],
    ['Polygon', '[[0,0],[1,0],[1,1],[0,0]]', 'coordinates', 'coordinates[0] must be a linear ring'],
    ['Polygon', '[]', 'coordinates', 'is a Polygon of 0 linear rings; it needs at least 1'],
    ['Polygon', '[[[0,0],[1,0],[0,0]]]', 'coordinates', 'coordinates[0] is a linear ring of 3 positions; it needs at least 4'],
    ['Polygon', '[[[0,0],[1,0],[1,1],[0,1]]]', 'coordinates', 'coordinates[0] is a linear ring that does not end where it starts'],
    ['MultiPolygon', `[${ring}]`, 'coordinates', 'coordinates[0][0] must be a linear ring'],
    ['MultiPolygon', '[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,95]]]]', 'coordinates', 'coordinates[1][0][3] has latitude 95'],
  ])('%s %s is refused', (type, coordinates, parameter, message) => {
    const error = failure(() => geometry(type, coordinates));
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as InvalidParameterError).parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });
});

describe('geoQ (POST query, subscription)', () => {
  it('reads coordinates as an array or as JSON text', () => {
    const expected = { georel: 'near', distance: { bound: 'maxDistance', metres: 2000 }, geometry: { type: 'Point', coordinates: [-8.52, 41.2] }, geoproperty: 'location' };
    expect(parseGeoQ({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: [-8.52, 41.2] })).toStrictEqual(expected);
    expect(parseGeoQ({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: '[-8.52,41.2]', geoproperty: 'location' })).toStrictEqual(expected);
  });

  it('copies the coordinates it was given', () => {
    const coordinates = [[[0, 0], [1, 0], [1, 1], [0, 0]]];
    const query = parseGeoQ({ georel: 'within', geometry: 'Polygon', coordinates });
    coordinates[0]![0]![0] = 99;
    expect(query.geometry).toStrictEqual({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] });
  });

  it.each<[unknown, string, string]>([
    [null, 'geoQ', 'must be an object'],
    [[], 'geoQ', 'must be an object'],
    ['within', 'geoQ', 'must be an object'],
    [{ georel: 'within', geometry: 'Point' }, 'geoQ.coordinates', 'missing: geoQ.coordinates'],
    [{ georel: 'within', geometry: 'Point', coordinates: [1, 2], geoProperty: 'location' }, 'geoQ.geoProperty', "geoQ has no member 'geoProperty'"],
    [{ georel: 5, geometry: 'Point', coordinates: [1, 2] }, 'geoQ.georel', 'georel must be a string'],
    [{ georel: 'within', geometry: { type: 'Point' }, coordinates: [1, 2] }, 'geoQ.geometry', 'geometry must be a string'],
    [{ georel: 'within', geometry: 'Point', coordinates: { x: 1 } }, 'geoQ.coordinates', 'coordinates must be an array'],
    [{ georel: 'within', geometry: 'Point', coordinates: [1, 2], geoproperty: 5 }, 'geoQ.geoproperty', 'geoproperty must be a string'],
    [{ georel: 'near;maxDistance==0', geometry: 'Point', coordinates: [1, 2] }, 'geoQ.georel', 'positive, non-zero'],
    [{ georel: 'within', geometry: 'Point', coordinates: [1, 200] }, 'geoQ.coordinates', 'geoQ.coordinates has latitude 200'],
  ])('refuses %j', (value, parameter, message) => {
    const error = failure(() => parseGeoQ(value));
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as InvalidParameterError).parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });

  it('reports a georel syntax error under the member name', () => {
    const error = failure(() => parseGeoQ({ georel: 'near', geometry: 'Point', coordinates: [1, 2] })) as FilterSyntaxError;
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect(error.parameter).toBe('geoQ.georel');
    expect(error.location).toBe('character 5');
  });
});

/**
 * Every geo-query of the ETSI NGSI-LD test suite (shared/conformance/ngsi-ld/etsi-suite/suite/TP/NGSI-LD/...
 * and testsuite-data/data/...), with the file it is in.
 */
const ETSI_SUITE_GEO_QUERIES: readonly (readonly [string, string, string, string | undefined, string])[] = [
  ['equals', 'Point', '[13.3986, 52.5547]', undefined, 'ContextInformation/Consumption/Entity/QueryEntities/019_10.robot (019_10_01), 019_01_05.robot'],
  ['near;maxDistance==15000', 'Point', '[13.388930, 52.534473]', undefined, '019_10.robot (019_10_02)'],
  ['near;minDistance==15000', 'Point', '[13.388930, 52.534473]', undefined, '019_10.robot (019_10_03)'],
  ['within', 'Polygon', '[[[13.1616211,52.5438124],[13.597641,52.4840224],[13.5948944,52.3402782],[13.142395,52.386428],[13.1616211,52.5438124]]]', undefined, '019_10.robot (019_10_04)'],
  ['disjoint', 'Polygon', '[[[13.1616211,52.5438124],[13.597641,52.4840224],[13.5948944,52.3402782],[13.142395,52.386428],[13.1616211,52.5438124]]]', undefined, '019_10.robot (019_10_05)'],
  ['disjoint', 'Point', '[13.3986, 52.5547]', undefined, '019_10.robot (019_10_06)'],
  ['contains', 'Point', '[13.3986, 52.5547]', undefined, '019_10.robot (019_10_07)'],
  ['intersects', 'Point', '[13.3986, 52.5547]', undefined, '019_10.robot (019_10_08)'],
  ['equals', 'Polygon', '[[[13.2865906,52.5648645],[13.2879639,52.5648645],[13.2797241,52.4988679],[13.477478,52.4712703],[13.5049438,52.5373084],[13.2865906,52.5648645]]]', undefined, 'ContextInformation/Consumption/Entity/QueryEntities/019_11.robot (019_11_01)'],
  ['intersects', 'Polygon', '[[[13.3456421,52.4794848],[13.3641815,52.4428773],[13.4177399,52.4730023],[13.3459854,52.479903],[13.3456421,52.4794848]]]', undefined, '019_11.robot (019_11_02)'],
  ['contains', 'Polygon', '[[[13.3844376,52.5356966],[13.3844376,52.5356966],[13.381691,52.5123012],[13.4235764,52.5100027],[13.4331894,52.5273425],[13.3844376,52.5356966]]]', undefined, '019_11.robot (019_11_03)'],
  ['contains', 'Polygon', '[[[13.1369019,52.5198225],[13.1365585,52.5200314],[13.131752,52.4980907],[13.1832504,52.5026887],[13.1369019,52.5198225]]]', undefined, '019_11.robot (019_11_04)'],
  ['disjoint', 'Polygon', '[[[13.1369019,52.5198225],[13.1365585,52.5200314],[13.131752,52.4980907],[13.1832504,52.5026887],[13.1369019,52.5198225]]]', undefined, '019_11.robot (019_11_05)'],
  ['within', 'Polygon', '[[[13.3023834,52.4903066],[13.3027267,52.4905156],[13.2745743,52.465632],[13.3343124,52.4185447],[13.4311295,52.47107],[13.3023834,52.4903066]]]', undefined, '019_11.robot (019_11_06)'],
  ['overlaps', 'Polygon', '[[[13.3456421,52.4794848],[13.3641815,52.4428773],[13.4177399,52.4730023],[13.3459854,52.479903],[13.3456421,52.4794848]]]', undefined, '019_11.robot (019_11_07)'],
  ['contains', 'Point', '[13.3442688,52.4650045]', undefined, '019_11.robot (019_11_08)'],
  ['near;maxDistance==2000', 'Point', '[-8.503,41.202]', undefined, 'ContextInformation/Consumption/TemporalEntity/QueryTemporalEvolutionOfEntities/021_09.robot (021_09_01); ContextSource/Discovery/QueryContextSourceRegistrations/037_07.robot (037_07_01)'],
  ['within', 'Polygon', '[[[-13.503,47.202],[6.541, 52.961],[20.37,44.653],[9.46,32.57],[-13.503,32.57],[-13.503,47.202]]]', 'location', '021_09.robot (021_09_02)'],
];

describe('geo-queries of the ETSI test suite', () => {
  it.each(ETSI_SUITE_GEO_QUERIES)('%s %s %s parses (%s; %s)', (georel, geometry, coordinates, geoproperty) => {
    expect(parseGeoQueryParameters({ georel, geometry, coordinates, geoproperty })).not.toBeNull();
  });

  it('reads 019_10_02 as the suite means it', () => {
    expect(parseGeoQueryParameters({ georel: 'near;maxDistance==15000', geometry: 'Point', coordinates: '[13.388930, 52.534473]' })).toStrictEqual({
      georel: 'near',
      distance: { bound: 'maxDistance', metres: 15000 },
      geometry: { type: 'Point', coordinates: [13.38893, 52.534473] },
      geoproperty: 'location',
    });
  });

  it.each([
    ['testsuite-data/data/csourceSubscriptions/subscription-geoQ.jsonld', { georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: [-8.52, 41.2], geoproperty: 'location' }],
    ['testsuite-data/data/csourceSubscriptions/subscription-geoQ-without-geoproperty.jsonld', { georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: [-8.52, 41.2] }],
  ])('the geoQ of %s parses', (_source, geoQ) => {
    expect(parseGeoQ(geoQ).geoproperty).toBe('location');
  });

  it('refuses what the suite expects refused: 019_03_04 georel=invalid, 037_03_03 georel=within alone', () => {
    expect(() => parseGeoQueryParameters({ georel: 'invalid', geometry: 'Point', coordinates: '[-8.503,41.202]', geoproperty: 'location' })).toThrow(FilterSyntaxError);
    expect(() => parseGeoQueryParameters({ georel: 'within' })).toThrow(InvalidParameterError);
  });

  it('refuses the Polygon of 037_07_02: its coordinates are a single unclosed ring, not an array of rings', () => {
    const error = failure(() =>
      parseGeoQueryParameters({ georel: 'within', geometry: 'Polygon', coordinates: '[[-13.503,47.202],[6.541, 52.961],[20.37,44.653],[9.46,32.57],[-15.23,21.37]]', geoproperty: 'location' }),
    );
    expect(error.message).toContain('coordinates[0] must be a linear ring');
  });
});
