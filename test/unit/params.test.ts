import { describe, expect, it } from 'vitest';
import { InvalidParameterError, UnknownParameterError } from '../../src/domain/errors.js';
import type { SortKey } from '../../src/domain/query.js';
import { CRS84, epsgCrs } from '../../src/geo/crs-registry.js';
import { parseBbox } from '../../src/ogcapi/params/bbox.js';
import { decodeCursor, encodeCursor } from '../../src/ogcapi/params/cursor.js';
import { parseDatetime } from '../../src/api/datetime.js';
import { parseLimit } from '../../src/ogcapi/params/limit.js';
import { parseOffset } from '../../src/ogcapi/params/paging.js';
import { rejectUnknown, single } from '../../src/api/query-values.js';

describe('limit', () => {
  it('defaults to 10 and clamps values above the maximum', () => {
    expect(parseLimit(undefined)).toBe(10);
    expect(parseLimit('250')).toBe(250);
    expect(parseLimit('10001')).toBe(10_000);
    expect(parseLimit('99999999999999999999')).toBe(10_000);
  });
  it.each(['0', '-1', 'abc', '1.5', '', ' ', '1e3'])('rejects %j naming the parameter', (raw) => {
    expect(() => parseLimit(raw)).toThrow(InvalidParameterError);
    try {
      parseLimit(raw);
    } catch (error) {
      expect((error as InvalidParameterError).parameter).toBe('limit');
    }
  });
  it('accepts offsets and rejects negative ones', () => {
    expect(parseOffset('20')).toBe(20);
    expect(() => parseOffset('-5')).toThrow(/offset/);
  });
});

describe('bbox', () => {
  it('reads four numbers in CRS84', () => {
    expect(parseBbox('9.7,52.3,9.8,52.4', CRS84)).toEqual([{ minX: 9.7, minY: 52.3, maxX: 9.8, maxY: 52.4, srid: 4326 }]);
  });
  it('reads six numbers, ignoring heights', () => {
    expect(parseBbox('9.7,52.3,-10,9.8,52.4,300', CRS84)).toEqual([{ minX: 9.7, minY: 52.3, maxX: 9.8, maxY: 52.4, srid: 4326 }]);
  });
  it('splits a box crossing the antimeridian', () => {
    expect(parseBbox('170,-20,-170,-10', CRS84)).toEqual([
      { minX: 170, minY: -20, maxX: 180, maxY: -10, srid: 4326 },
      { minX: -180, minY: -20, maxX: -170, maxY: -10, srid: 4326 },
    ]);
  });
  it('reads EPSG:4326 corners as latitude, longitude', () => {
    expect(parseBbox('52.3,9.7,52.4,9.8', epsgCrs(4326))).toEqual([{ minX: 9.7, minY: 52.3, maxX: 9.8, maxY: 52.4, srid: 4326 }]);
  });
  it('reads EPSG:3035 corners as northing, easting', () => {
    expect(parseBbox('3200000,4200000,3300000,4300000', epsgCrs(3035))).toEqual([{ minX: 4200000, minY: 3200000, maxX: 4300000, maxY: 3300000, srid: 3035 }]);
  });
  it.each([
    ['1,2,3', /4 or 6/],
    ['1,2,3,4,5', /4 or 6/],
    ['a,b,c,d', /4 or 6/],
    ['1,2,,4', /4 or 6/],
    ['0,10,1,5', /latitude 10 is greater/],
    ['0,-95,1,5', /-90..90/],
    ['-190,0,1,5', /-180..180/],
    ['0,0,5,1,2,1', /height/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseBbox(raw, CRS84)).toThrow(message);
  });
  it('rejects west > east in a projected CRS', () => {
    expect(() => parseBbox('560000,5800000,550000,5810000', epsgCrs(25832))).toThrow(/easting/);
  });
});

describe('datetime', () => {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  it.each([
    ['2018-02-12T23:20:50Z', '2018-02-12T23:20:50.000Z', '2018-02-12T23:20:50.000Z'],
    ['2018-02-12T23:20:50+01:00', '2018-02-12T22:20:50.000Z', '2018-02-12T22:20:50.000Z'],
    ['2018-02-12t23:20:50.25z', '2018-02-12T23:20:50.250Z', '2018-02-12T23:20:50.250Z'],
    ['2018-02-12', '2018-02-12T00:00:00.000Z', '2018-02-12T23:59:59.999Z'],
    ['2018-02-12T00:00:00Z/2018-03-18T12:31:12Z', '2018-02-12T00:00:00.000Z', '2018-03-18T12:31:12.000Z'],
    ['2018-02-12T00:00:00Z/..', '2018-02-12T00:00:00.000Z', null],
    ['../2018-03-18T12:31:12Z', null, '2018-03-18T12:31:12.000Z'],
    ['/2018-03-18', null, '2018-03-18T23:59:59.999Z'],
    ['2018-02-12T00:00:00Z/', '2018-02-12T00:00:00.000Z', null],
    ['../..', null, null],
  ])('%s', (raw, start, end) => {
    const interval = parseDatetime(raw);
    expect([iso(interval.start), iso(interval.end)]).toEqual([start, end]);
  });
  it.each(['not-a-date', '2018-02-30', '2018-13-01T00:00:00Z', '2018-02-12T25:00:00Z', '2018-02-12T10:00:00', '2019-01-01/2018-01-01', 'a/b/c', '', '..'])('rejects %j', (raw) => {
    expect(() => parseDatetime(raw)).toThrow(InvalidParameterError);
  });
});

describe('cursor', () => {
  const BY_NAME_DESC: SortKey[] = [
    { field: { source: 'property', name: 'name' }, type: 'string', direction: 'desc' },
    { field: { source: 'time' }, type: 'timestamp', direction: 'asc' },
  ];

  it('round-trips a keyset position', () => {
    const position = { kind: 'after' as const, seq: '123456789012', keys: [], skipped: 5000, dataVersion: 7 };
    expect(decodeCursor(encodeCursor(position, []), [])).toEqual(position);
  });
  it('round-trips the sort key values of a sorted page', () => {
    const position = { kind: 'before' as const, seq: '42', keys: ['Zürich', '2021-04-16T10:15:59+00:00'], skipped: 10, dataVersion: 3 };
    expect(decodeCursor(encodeCursor(position, BY_NAME_DESC), BY_NAME_DESC)).toEqual(position);
    expect(decodeCursor(encodeCursor({ ...position, keys: [null, null] }, BY_NAME_DESC), BY_NAME_DESC).keys).toEqual([null, null]);
  });
  it('refuses a cursor of another order, and values that do not fit the keys', () => {
    const sorted = encodeCursor({ kind: 'after', seq: '42', keys: ['a', '2021-04-16T10:15:59Z'], skipped: 1, dataVersion: 1 }, BY_NAME_DESC);
    expect(() => decodeCursor(sorted, [])).toThrow(/another sortby/);
    expect(() => decodeCursor(sorted, [{ ...BY_NAME_DESC[0]!, direction: 'asc' }, BY_NAME_DESC[1]!])).toThrow(/another sortby/);
    const forged = encodeCursor({ kind: 'after', seq: '42', keys: ['a', '0000-01-01T00:00:00Z'], skipped: 1, dataVersion: 1 }, BY_NAME_DESC);
    expect(() => decodeCursor(forged, BY_NAME_DESC)).toThrow(/another sortby/);
    expect(() => decodeCursor(encodeCursor({ kind: 'after', seq: '1', keys: [], skipped: 0, dataVersion: 0 }, []), BY_NAME_DESC)).toThrow(/another sortby/);
  });
  it.each(['', 'garbage', Buffer.from('{"d":"x"}').toString('base64url'), Buffer.from('{"d":"a","s":"1;DROP","n":0,"v":0}').toString('base64url')])('rejects %j', (raw) => {
    expect(() => decodeCursor(raw, [])).toThrow(/cursor/);
  });
});

describe('query parameters', () => {
  it('rejects parameters the resource does not define, listing the allowed ones', () => {
    expect(() => rejectUnknown({ limit: '1', foo: 'x' }, new Set(['limit', 'f']))).toThrow(UnknownParameterError);
    expect(() => rejectUnknown({ limit: '1', foo: 'x' }, new Set(['limit', 'f']))).toThrow(/'foo'.*f, limit/);
  });
  it('rejects a single-valued parameter given twice', () => {
    expect(() => single({ limit: ['1', '2'] }, 'limit')).toThrow(/2 times/);
  });
  it('rejects a value with U+0000, which no stored value can hold', () => {
    expect(() => single({ name: 'a\u0000b' }, 'name')).toThrow(InvalidParameterError);
    expect(() => single({ name: 'a\u0000b' }, 'name')).toThrow(/name contains the character U\+0000/);
  });
});
