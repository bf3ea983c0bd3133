import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/domain/collection.js';
import { FilterSyntaxError, FilterTypeError, InvalidFilterError, UnknownQueryableError } from '../../src/domain/errors.js';
import type { FilterCondition } from '../../src/domain/filter.js';
import { CRS84, epsgCrs } from '../../src/geo/crs-registry.js';
import { positionTransform } from '../../src/geo/reproject.js';
import { parseCql2Json } from '../../src/ogcapi/filter/cql2/cql2-json.js';
import { resolveCql2 } from '../../src/ogcapi/filter/cql2/cql2-resolve.js';
import { parseCql2Text } from '../../src/ogcapi/filter/cql2/cql2-text.js';
import { CONFORMANCE_DIR } from '../helpers/cql2-dataset.js';

const EXAMPLES = path.join(CONFORMANCE_DIR, 'cql2', 'examples');
const SCHEMA = path.join(CONFORMANCE_DIR, 'ogcapi-features', 'cql2-1.0.0', 'cql2.json');
const haveExamples = existsSync(EXAMPLES) && existsSync(SCHEMA);
if (!haveExamples) process.stderr.write(`cql2-parser: example pairs skipped, ${EXAMPLES} or ${SCHEMA} is missing (set PLACELINK_CONFORMANCE)\n`);

const text = (s: string) => parseCql2Text(s).root;
const json = (s: unknown) => parseCql2Json(JSON.stringify(s)).root;

describe.skipIf(!haveExamples)('the CQL2 example pairs of the standard', () => {
  const textFiles = haveExamples ? readdirSync(path.join(EXAMPLES, 'text')).sort() : [];
  const jsonFiles = haveExamples ? readdirSync(path.join(EXAMPLES, 'json')).sort() : [];

  it('are all there: 109 JSON documents, 109 texts and 11 alternative spellings', () => {
    expect(jsonFiles).toHaveLength(109);
    expect(textFiles).toHaveLength(120);
  });

  it.each(textFiles)('%s parses to the same tree as its JSON twin', (file) => {
    const base = file.replace(/(-alt01)?\.txt$/, '');
    const fromText = text(readFileSync(path.join(EXAMPLES, 'text', file), 'utf8'));
    const fromJson = parseCql2Json(readFileSync(path.join(EXAMPLES, 'json', `${base}.json`), 'utf8')).root;
    expect(fromText).toStrictEqual(fromJson);
  });

  it('every JSON example is valid against cql2.json', () => {
    const validate = new Ajv2020.default({ strict: false }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
    const invalid = jsonFiles.filter((file) => !validate(JSON.parse(readFileSync(path.join(EXAMPLES, 'json', file), 'utf8'))));
    expect(invalid).toEqual([]);
  });
});

describe('CQL2 Text', () => {
  it('reads keywords in any letter case and n-ary AND/OR in source order', () => {
    expect(text("a = 1 and B = 'x' AnD c IS not null")).toStrictEqual(
      json({
        op: 'and',
        args: [
          { op: '=', args: [{ property: 'a' }, 1] },
          { op: '=', args: [{ property: 'B' }, 'x'] },
          { op: 'not', args: [{ op: 'isNull', args: [{ property: 'c' }] }] },
        ],
      }),
    );
  });

  it('binds NOT tighter than AND, AND tighter than OR, and keeps parenthesised groups', () => {
    expect(text('NOT a = 1 OR b = 2 AND c = 3')).toStrictEqual(
      json({ op: 'or', args: [{ op: 'not', args: [{ op: '=', args: [{ property: 'a' }, 1] }] }, { op: 'and', args: [{ op: '=', args: [{ property: 'b' }, 2] }, { op: '=', args: [{ property: 'c' }, 3] }] }] }),
    );
    expect(text('(a = 1 OR b = 2) AND c = 3')).toStrictEqual(
      json({ op: 'and', args: [{ op: 'or', args: [{ op: '=', args: [{ property: 'a' }, 1] }, { op: '=', args: [{ property: 'b' }, 2] }] }, { op: '=', args: [{ property: 'c' }, 3] }] }),
    );
  });

  it('follows arithmetic precedence: ^ over * / % div over + -, left to right', () => {
    expect(text('x = 1038290-2*2^0')).toStrictEqual(json({ op: '=', args: [{ property: 'x' }, { op: '-', args: [1038290, { op: '*', args: [2, { op: '^', args: [2, 0] }] }] }] }));
    expect(text('x > 10 - 21 div 10 % 3')).toStrictEqual(json({ op: '>', args: [{ property: 'x' }, { op: '-', args: [10, { op: '%', args: [{ op: 'div', args: [21, 10] }, 3] }] }] }));
    expect(text('x = balance-150.0')).toStrictEqual(json({ op: '=', args: [{ property: 'x' }, { op: '-', args: [{ property: 'balance' }, 150] }] }));
  });

  it('unescapes quotes in strings both ways and keeps other backslashes for LIKE', () => {
    expect(text("n = 'it''s'")).toStrictEqual(json({ op: '=', args: [{ property: 'n' }, "it's"] }));
    expect(text("n = 'it\\'s'")).toStrictEqual(json({ op: '=', args: [{ property: 'n' }, "it's"] }));
    expect(text("n LIKE '100\\%'")).toStrictEqual(json({ op: 'like', args: [{ property: 'n' }, '100\\%'] }));
  });

  it('reads quoted property names, including keywords, and identifiers with colons, dots and accents', () => {
    expect(text('"date" IS NULL AND eo:cloud_cover < 0.1 AND a.b = 1 AND straße = 1')).toStrictEqual(
      json({
        op: 'and',
        args: [
          { op: 'isNull', args: [{ property: 'date' }] },
          { op: '<', args: [{ property: 'eo:cloud_cover' }, 0.1] },
          { op: '=', args: [{ property: 'a.b' }, 1] },
          { op: '=', args: [{ property: 'straße' }, 1] },
        ],
      }),
    );
  });

  it('reads WKT with and without Z, MULTIPOINT with or without inner parentheses, and BBOX with 4 or 6 numbers', () => {
    expect(text('S_INTERSECTS(g, POINT Z (1 2 3))')).toStrictEqual(json({ op: 's_intersects', args: [{ property: 'g' }, { type: 'Point', coordinates: [1, 2, 3] }] }));
    expect(text('S_INTERSECTS(g, MULTIPOINT(1 2, 3 4))')).toStrictEqual(text('S_INTERSECTS(g, MULTIPOINT((1 2), (3 4)))'));
    expect(text('S_INTERSECTS(g, BBOX(-1, -2, 3, 4))')).toStrictEqual(json({ op: 's_intersects', args: [{ property: 'g' }, { bbox: [-1, -2, 3, 4] }] }));
    expect(text('S_INTERSECTS(g, BBOX(1,2,3,4,5,6))')).toStrictEqual(json({ op: 's_intersects', args: [{ property: 'g' }, { bbox: [1, 2, 3, 4, 5, 6] }] }));
  });

  it('normalises timestamps so equal instants give equal trees', () => {
    expect(text("t = TIMESTAMP('2012-08-10T05:30:00.000000Z')")).toStrictEqual(text("t = timestamp('2012-08-10T05:30:00Z')"));
    expect(text("t = TIMESTAMP('2012-08-10T05:30:00.500Z')")).toStrictEqual(json({ op: '=', args: [{ property: 't' }, { timestamp: '2012-08-10T05:30:00.5Z' }] }));
  });

  it.each([
    ['name = ', 'character 8', 'a property name, a value or a function', 'end of filter'],
    ["name = 'abc", 'character 8', "a closing ' for the string", 'end of filter'],
    ['(a = 1', 'character 7', "')'", 'end of filter'],
    ['a = 1 b = 2', 'character 7', 'AND, OR or the end of the filter', "'b'"],
    ['a BETWEEN 1 OR 2', 'character 13', 'AND between the two bounds of BETWEEN', "'OR'"],
    ['a IS 5', 'character 6', 'NOT or NULL', 'number 5'],
    ["t = DATE('2021-02-30')", 'character 10', 'a real calendar day', "string '2021-02-30'"],
    ["t = TIMESTAMP('2021-02-01 10:00:00')", 'character 15', 'a real UTC instant', 'string'],
    ['S_INTERSECTS(g, BBOX(1,2,3))', 'character 27', '4 or 6 numbers in BBOX', "')'"],
    ['a = 1 AND', 'character 10', 'a property name, a value or a function', 'end of filter'],
    ['a != 1', 'character 3', 'a property name, a value, an operator or a parenthesis', "'!'"],
    ['a = 1 AND ÿ # 2', 'character 13', 'a property name, a value, an operator or a parenthesis', "'#'"],
  ])('a syntax error in %j names %s, what was expected and what was found', (filter, where, expected, found) => {
    let error: unknown;
    try {
      parseCql2Text(filter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const syntax = error as FilterSyntaxError;
    expect(syntax.location).toBe(where);
    expect(syntax.expected).toContain(expected);
    expect(syntax.message).toContain(found);
    expect(syntax.parameter).toBe('filter');
  });

  it('refuses unclosed rings and short line strings with the position of the literal', () => {
    expect(() => parseCql2Text('S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))')).toThrow(/ring must end where it starts.*|at character 17/);
    expect(() => parseCql2Text('S_INTERSECTS(g, LINESTRING(0 0))')).toThrow(InvalidFilterError);
    expect(() => parseCql2Text('S_INTERSECTS(g, POINT Z (1 2))')).toThrow(/Z geometry needs 3 coordinates/);
    expect(() => parseCql2Text('S_INTERSECTS(g, LINESTRING(0 0 1, 1 1))')).toThrow(/same number of coordinates/);
  });

  it('limits nesting instead of overflowing the stack', () => {
    expect(() => parseCql2Text(`${'('.repeat(5000)}a = 1${')'.repeat(5000)}`)).toThrow(/nested at most 100 levels/);
    expect(() => parseCql2Text(`a = ${'-'.repeat(5000)}1`)).toThrow(FilterSyntaxError);
    expect(() => parseCql2Text(`${'NOT '.repeat(3000)}a = 1`)).toThrow(FilterSyntaxError);
  });
});

describe('CQL2 JSON', () => {
  it('names the line and column of malformed JSON', () => {
    expect(() => parseCql2Json('{"op": "=", "args": [1, 2]')).toThrow(/line 1, column \d+ of the JSON.*well-formed JSON/);
  });

  it.each([
    [{ op: '=', args: 'nope' }, '/args', 'an array of arguments'],
    [{ op: 'and', args: [{ op: '=', args: [{ property: 5 }, 1] }, true] }, '/args/0/args/0/property', 'a property name'],
    [{ op: 't_after', args: [{ property: 't' }, { timestamp: '2020-01-01' }] }, '/args/1/timestamp', 'a UTC instant'],
    [{ op: 't_after', args: [{ property: 't' }, { interval: ['2020-01-01'] }] }, '/args/1/interval', 'two interval ends'],
    [{ op: 's_within', args: [{ property: 'g' }, { bbox: [1, 2, 3] }] }, '/args/1/bbox', '4 or 6 numbers'],
    [{ op: '=', args: [{ weird: 1 }, null] }, '/args/0', 'an object with op and args'],
    [null, 'the top level', 'a CQL2 expression'],
  ])('%j: a structural error names the JSON pointer %s', (document, pointer, expected) => {
    expect(() => json(document)).toThrow(FilterSyntaxError);
    expect(() => json(document)).toThrow(new RegExp(`${pointer.replace(/[/()]/g, '\\$&')}.*${expected}`));
  });

  it('matches standard operator names in any letter case', () => {
    expect(json({ op: 'S_INTERSECTS', args: [{ property: 'g' }, { bbox: [0, 0, 1, 1] }] })).toStrictEqual(json({ op: 's_intersects', args: [{ property: 'g' }, { bbox: [0, 0, 1, 1] }] }));
    expect(json({ op: 'T_METBY', args: [{ property: 't' }, { date: '2020-01-01' }] })).toStrictEqual(json({ op: 't_metBy', args: [{ property: 't' }, { date: '2020-01-01' }] }));
  });
});

describe('resolving against queryables', () => {
  const QUERYABLES = new Map<string, Queryable>([
    ['id', { type: 'string', role: 'id' }],
    ['geom', { type: 'geometry', role: 'primary-geometry' }],
    ['datetime', { type: 'timestamp', role: 'primary-instant' }],
    ['name', { type: 'string' }],
    ['pop', { type: 'integer' }],
    ['day', { type: 'date' }],
    ['tags', { type: 'array' }],
  ]);
  const resolve = (filter: string, crs = CRS84): FilterCondition => resolveCql2(parseCql2Text(filter), { queryables: QUERYABLES, crs });

  it('resolves names to feature members and types', () => {
    expect(resolve("id = 'a' AND pop > 3")).toEqual({
      kind: 'and',
      args: [
        { kind: 'compare', operator: '=', left: { kind: 'field', type: 'string', field: { source: 'id' } }, right: { kind: 'literal', type: 'string', value: 'a' } },
        { kind: 'compare', operator: '>', left: { kind: 'field', type: 'number', field: { source: 'property', name: 'pop' } }, right: { kind: 'literal', type: 'number', value: 3 } },
      ],
    });
  });

  it('refuses an unknown property, listing the queryables and where it was written', () => {
    expect(() => resolve("name = 'x' OR popx = 2")).toThrow(UnknownQueryableError);
    expect(() => resolve("name = 'x' OR popx = 2")).toThrow(/'popx' \(at character 15\).*queryables: id, geom, datetime, name, pop, day, tags/);
  });

  it.each([
    ['name = 1', /cannot compare a string with a number/],
    ['pop LIKE 1', /LIKE needs a string, found a number/],
    ["S_INTERSECTS(name, POINT(1 2))", /S_INTERSECTS needs geometries, found a string/],
    ['T_AFTER(pop, datetime)', /T_AFTER needs instants or intervals, found a number/],
    ["A_CONTAINS(name, ('a'))", /A_CONTAINS needs arrays, found a string/],
    ['geom = 1', /a geometry cannot be compared/],
    ["pop + 'a' > 1", /'\+' needs numbers, found a string/],
    ['CASEI(pop) = 1', /CASEI needs a string/],
    ['pop', /expected a condition/],
    ["day IN (DATE('2020-01-01'), 'x')", /IN cannot compare a date with a string/],
  ])('%s is a type error', (filter, message) => {
    expect(() => resolve(filter)).toThrow(FilterTypeError);
    expect(() => resolve(filter)).toThrow(message);
  });

  it('refuses unknown functions naming those that exist, and wrong argument counts', () => {
    expect(() => resolve('avg(pop) > 1')).toThrow(/no function 'avg'; functions: s_area, s_length, s_distance, s_dwithin, char_length/);
    expect(() => resolve('s_area(geom, geom) > 1')).toThrow(/takes 1 argument/);
  });

  it('refuses intervals that end before they start', () => {
    expect(() => resolve("T_DURING(datetime, INTERVAL('2021-01-02', '2021-01-01'))")).toThrow(/ends .* before it starts/);
  });

  it('reads geometry literals in the filter CRS and axis order', () => {
    const lonLat = resolve('S_INTERSECTS(geom, POINT(9.7 52.3))') as Extract<FilterCondition, { kind: 'spatial' }>;
    const latLon = resolve('S_INTERSECTS(geom, POINT(52.3 9.7))', epsgCrs(4326)) as Extract<FilterCondition, { kind: 'spatial' }>;
    expect(lonLat.right).toEqual(latLon.right);
    const [easting, northing] = positionTransform(CRS84, 25832)([9.7, 52.3]) as [number, number];
    const utm = resolve(`S_INTERSECTS(geom, POINT(${easting} ${northing}))`, epsgCrs(25832)) as Extract<FilterCondition, { kind: 'spatial' }>;
    const [x, y] = (JSON.parse((utm.right as { geojson: string }).geojson) as { coordinates: number[] }).coordinates as [number, number];
    expect(x).toBeCloseTo(9.7, 8);
    expect(y).toBeCloseTo(52.3, 8);
  });

  it('splits a BBOX crossing the antimeridian, and reads a lat/lon BBOX in EPSG:4326 order', () => {
    const crossing = resolve('S_INTERSECTS(geom, BBOX(170, -10, -170, 10))') as Extract<FilterCondition, { kind: 'spatial' }>;
    expect(JSON.parse((crossing.right as { geojson: string }).geojson).type).toBe('MultiPolygon');
    expect(resolve('S_INTERSECTS(geom, BBOX(-10, 170, 10, -170))', epsgCrs(4326))).toEqual(resolve('S_INTERSECTS(geom, BBOX(170, -10, -170, 10))'));
    expect(() => resolve('S_INTERSECTS(geom, BBOX(0, 10, 1, 5))')).toThrow(/south 10 is north of its north 5/);
  });

  it('refuses strings with U+0000, which PostgreSQL text and jsonb cannot hold', () => {
    const fromJson = (filter: unknown) => resolveCql2(parseCql2Json(JSON.stringify(filter)), { queryables: QUERYABLES, crs: CRS84 });
    expect(() => resolve("name = 'a\u0000b'")).toThrow(InvalidFilterError);
    expect(() => fromJson({ op: '=', args: [{ property: 'name' }, 'a\u0000'] })).toThrow(/at \/args\/1: a string cannot contain the character U\+0000/);
    expect(() => fromJson({ op: 'like', args: [{ property: 'name' }, { op: 'casei', args: ['%\u0000'] }] })).toThrow(/U\+0000/);
    expect(() => fromJson({ op: 'a_contains', args: [{ property: 'tags' }, ['x', ['\u0000']]] })).toThrow(/U\+0000/);
  });

  it('refuses coordinates the filter CRS cannot express', () => {
    expect(() => resolve('S_INTERSECTS(geom, POINT(1e12 1e12))', epsgCrs(25832))).toThrow(/cannot be transformed/);
  });
});
