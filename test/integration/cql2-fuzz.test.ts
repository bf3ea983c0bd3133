import fc from 'fast-check';
import { inject as injectRequest } from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi } from '../../src/compose.js';
import type { Database } from '../../src/db/database.js';
import { filterConditionSql } from '../../src/db/sql/filter-sql.js';
import { SqlParams } from '../../src/db/sql/sql-query.js';
import type { Collection } from '../../src/domain/collection.js';
import { PlacelinkError } from '../../src/domain/errors.js';
import type { FilterCondition } from '../../src/domain/filter.js';
import { collectionQueryables } from '../../src/domain/queryables.js';
import { CRS84, epsgCrs } from '../../src/geo/crs-registry.js';
import { OGC_PROBLEMS } from '../../src/ogcapi/problems.js';
import { parseCql2Json } from '../../src/ogcapi/filter/cql2/cql2-json.js';
import { resolveCql2 } from '../../src/ogcapi/filter/cql2/cql2-resolve.js';
import { parseCql2Text } from '../../src/ogcapi/filter/cql2/cql2-text.js';
import { importFeatures } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { toCql2Json } from '../helpers/cql2-json-writer.js';
import { captureLog } from '../helpers/log-capture.js';
import { isEmbedded, testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';
import { feature } from '../helpers/fixtures.js';
import { startTestServer, TEST_API_CONFIG, type TestServer } from '../helpers/http-server.js';

// PGlite's plpgsql does not catch some PostGIS errors raised on degenerate geometries (coordinates
// near 1e-300) in the EXCEPTION blocks of the filter functions ("control reached end of function
// without RETURN"): on the embedded PostGIS such filters are a 500. PostgreSQL answers them.
const pgliteEngine = announceSkip('cql2-fuzz.test.ts (database and application samples)', isEmbedded() ? "the embedded PGlite's plpgsql lets PostGIS errors on degenerate geometries escape EXCEPTION blocks; run against PostgreSQL" : null);

/**
 * 100 000+ generated and mutated CQL2 Text strings and CQL2 JSON documents. Every one goes through
 * the parser, the resolver and the SQL translator in-process and must either succeed or fail with
 * an error the problem table maps to 400. A sample of the accepted filters then runs against the
 * database, on stored values that contradict their declared types; 12 000 filters (half of them
 * accepted ones) go through the whole Koa application (every middleware, the problem table, the
 * database) as in-memory requests, and a few hundred over a real socket. Over HTTP only 200 and 400
 * are allowed, and no body may carry database error text, a stack trace or SQL.
 */

const RUNS = { text: 35_000, textMutated: 30_000, json: 20_000, jsonMutated: 15_000 };
const DB_SAMPLE = 1_500;
/** Half accepted filters (each reaches PostGIS), half anything generated. */
const APP_SAMPLE = 12_000;
const SOCKET_SAMPLE = 300;
const IN_FLIGHT = 4;
/** Fixed so a failure reproduces; PLACELINK_FUZZ_SEED explores other inputs (the counts stay the same). */
const SEED = Number(process.env['PLACELINK_FUZZ_SEED'] ?? 42_024);

// ---------------------------------------------------------------- generators

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const text = fc.string({ maxLength: 8, unit: fc.constantFrom('a', 'B', 'z', 'ß', 'ș', 'Σ', 'é', 'が', '%', '_', '\\', "'", ' ', '"', '(', ')', ',', '0') });
const stringLiteral = text.map(quote);
const numberLiteral = fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom('0', '1e308', '1e400', '-0.5', '.5', '3.'));
const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
const dateText = fc.oneof(fc.tuple(digits(4), digits(2), digits(2)).map(([y, m, d]) => `${y}-${m}-${d}`), fc.constantFrom('2020-01-01', '2024-02-29', '2023-02-29', '0000-01-01', '9999-12-31'));
const timestampText = fc.oneof(
  fc.tuple(dateText, digits(2), digits(2), digits(2), fc.constantFrom('', '.5', '.000001', '.123456789')).map(([d, h, m, s, f]) => `${d}T${h}:${m}:${s}${f}Z`),
  fc.constantFrom('2020-01-01T00:00:00Z', '2021-04-16T10:15:59Z', '2020-01-01 00:00:00Z', '2020-01-01T00:00:00+01:00'),
);
const dateLiteral = dateText.map((d) => `DATE('${d}')`);
const timestampLiteral = timestampText.map((t) => `TIMESTAMP('${t}')`);
const coordinate = fc.oneof(fc.integer({ min: -200, max: 200 }).map(String), fc.double({ min: -1e7, max: 1e7, noNaN: true }).map(String));
const position = fc.tuple(coordinate, coordinate).map(([x, y]) => `${x} ${y}`);
const closedRing = fc.array(position, { minLength: 3, maxLength: 6 }).map((ps) => `(${[...ps, ps[0]].join(', ')})`);
const geometryLiteral = fc.oneof(
  position.map((p) => `POINT(${p})`),
  fc.tuple(position, coordinate).map(([p, z]) => `POINT Z (${p} ${z})`),
  fc.array(position, { minLength: 1, maxLength: 5 }).map((ps) => `LINESTRING(${ps.join(', ')})`),
  closedRing.map((r) => `POLYGON(${r})`),
  fc.array(position, { minLength: 3, maxLength: 5 }).map((ps) => `POLYGON((${ps.join(', ')}))`),
  fc.array(position, { minLength: 1, maxLength: 4 }).map((ps) => `MULTIPOINT(${ps.map((p) => `(${p})`).join(', ')})`),
  fc.array(closedRing, { minLength: 1, maxLength: 3 }).map((rs) => `MULTIPOLYGON(${rs.map((r) => `(${r})`).join(', ')})`),
  fc.tuple(position, closedRing).map(([p, r]) => `GEOMETRYCOLLECTION(POINT(${p}), POLYGON(${r}))`),
  fc.array(coordinate, { minLength: 3, maxLength: 7 }).map((cs) => `BBOX(${cs.join(', ')})`),
);
const intervalEnd = fc.oneof(dateText.map((d) => `'${d}'`), timestampText.map((t) => `'${t}'`), fc.constant("'..'"), fc.constantFrom('when', 'd', 'datetime', 'name'));

const COMPARISON = fc.constantFrom('=', '<>', '<', '>', '<=', '>=');
const ARITHMETIC = fc.constantFrom('+', '-', '*', '/', '%', ' div ', '^');
const SPATIAL = fc.constantFrom('S_INTERSECTS', 'S_EQUALS', 'S_DISJOINT', 'S_TOUCHES', 'S_WITHIN', 'S_OVERLAPS', 'S_CROSSES', 'S_CONTAINS');
const TEMPORAL = fc.constantFrom('T_AFTER', 'T_BEFORE', 'T_CONTAINS', 'T_DISJOINT', 'T_DURING', 'T_EQUALS', 'T_FINISHEDBY', 'T_FINISHES', 'T_INTERSECTS', 'T_MEETS', 'T_METBY', 'T_OVERLAPPEDBY', 'T_OVERLAPS', 'T_STARTEDBY', 'T_STARTS');
const ARRAY = fc.constantFrom('A_EQUALS', 'A_CONTAINS', 'A_CONTAINEDBY', 'A_OVERLAPS');

/** Mostly well-typed CQL2 Text, with every kind of operand and some type errors on purpose. */
const { condition: textFilter } = fc.letrec<{
  string: string;
  number: string;
  boolean: string;
  instant: string;
  temporal: string;
  geometry: string;
  array: string;
  scalar: string;
  condition: string;
}>((tie) => ({
  string: fc.oneof({ maxDepth: 3 }, fc.constantFrom('name', '"a:b"', 'id', '"weird name"'), stringLiteral, tie('string').map((s) => `CASEI(${s})`), tie('string').map((s) => `ACCENTI(${s})`)),
  number: fc.oneof(
    { maxDepth: 3 },
    fc.constantFrom('num', 'n2'),
    numberLiteral,
    fc.tuple(tie('number'), ARITHMETIC, tie('number')).map(([a, op, b]) => `(${a}${op}${b})`),
    tie('geometry').map((g) => `s_area(${g})`),
    fc.tuple(tie('geometry'), tie('geometry')).map(([a, b]) => `s_distance(${a}, ${b})`),
    tie('string').map((s) => `char_length(${s})`),
    tie('number').map((n) => `-${n}`),
  ),
  boolean: fc.oneof(fc.constantFrom('flag', 'TRUE', 'false')),
  instant: fc.oneof(fc.constantFrom('when', 'd', 'datetime'), dateLiteral, timestampLiteral),
  temporal: fc.oneof(tie('instant'), fc.tuple(intervalEnd, intervalEnd).map(([a, b]) => `INTERVAL(${a}, ${b})`)),
  geometry: fc.oneof(fc.constant('geometry'), geometryLiteral),
  array: fc.oneof(fc.constant('list'), fc.array(fc.oneof(stringLiteral, numberLiteral, fc.constantFrom('TRUE', "DATE('2020-01-01')")), { maxLength: 4 }).map((items) => `(${items.join(', ')})`)),
  scalar: fc.oneof(tie('string'), tie('number'), tie('boolean'), tie('instant')),
  condition: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc.tuple(tie('string'), COMPARISON, tie('string')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('number'), COMPARISON, tie('number')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('instant'), COMPARISON, tie('instant')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('boolean'), fc.constantFrom('=', '<>'), tie('boolean')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('scalar'), COMPARISON, tie('scalar')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('string'), fc.boolean(), stringLiteral, fc.constantFrom('', 'CASEI', 'ACCENTI')).map(([s, not, p, f]) => `${s} ${not ? 'NOT ' : ''}LIKE ${f ? `${f}(${p})` : p}`),
    fc.tuple(tie('number'), fc.boolean(), tie('number'), tie('number')).map(([v, not, a, b]) => `${v} ${not ? 'NOT ' : ''}BETWEEN ${a} AND ${b}`),
    fc.tuple(tie('scalar'), fc.boolean(), fc.array(tie('scalar'), { minLength: 1, maxLength: 4 })).map(([v, not, l]) => `${v} ${not ? 'NOT ' : ''}IN (${l.join(', ')})`),
    fc.tuple(fc.oneof(tie('scalar'), tie('geometry'), tie('array')), fc.boolean()).map(([v, not]) => `${v} IS ${not ? 'NOT ' : ''}NULL`),
    fc.tuple(SPATIAL, tie('geometry'), tie('geometry')).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(TEMPORAL, tie('temporal'), tie('temporal')).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(ARRAY, tie('array'), tie('array')).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(tie('geometry'), tie('geometry'), tie('number')).map(([a, b, d]) => `s_dwithin(${a}, ${b}, ${d})`),
    fc.tuple(tie('condition'), fc.constantFrom('AND', 'OR', 'and', 'Or'), tie('condition')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie('condition').map((c) => `NOT (${c})`),
    tie('condition').map((c) => `(${c}) IS NULL`),
    fc.constantFrom('TRUE', 'FALSE', 'nope = 1', 'avg(num) > 1'),
  ),
}));

const TOKENS = ['(', ')', ',', "'", '"', '=', '<>', ' AND ', ' OR ', ' NOT ', 'IS NULL', 'LIKE', 'BETWEEN', 'IN', 'POINT(', 'BBOX(', "DATE('", 'INTERVAL(', '..', '-', '^', '\\', '\u0000', '\u2028', '💥', 'S_INTERSECTS(', 'geometry', 'name'];
const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate', 'truncate'), length: fc.integer({ min: 1, max: 6 }), token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })) });

function mutate(source: string, edits: Array<{ at: number; kind: string; length: number; token: string }>): string {
  let s = source;
  for (const { at, kind, length, token } of edits) {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    if (kind === 'delete') s = s.slice(0, i) + s.slice(i + length);
    else if (kind === 'insert') s = s.slice(0, i) + token + s.slice(i);
    else if (kind === 'replace') s = s.slice(0, i) + token + s.slice(i + length);
    else if (kind === 'duplicate') s = s.slice(0, i) + s.slice(i, i + length * 4) + s.slice(i);
    else s = s.slice(0, i);
  }
  return s;
}

const mutatedText = fc.tuple(textFilter, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, edits]) => mutate(s, edits));

/** Replaces one node of a JSON document (by its index in a depth-first walk) with another value. */
function replaceNode(document: unknown, target: number, value: unknown): unknown {
  let index = 0;
  const walk = (node: unknown): unknown => {
    if (index++ === target) return value;
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(document);
}

const JSON_VALUES = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom({ op: 'foo', args: [] }, { op: 'and', args: [] }, { op: '=', args: [1] }, { property: 'nope' }, { date: '2020-13-01' }, { interval: ['..'] }, { bbox: [1, 2] }, { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] }, { op: 'isNull', args: [{ op: 'and', args: [true, false] }] }),
);
const jsonFilter = textFilter.map((s) => {
  try {
    return JSON.stringify(toCql2Json(parseCql2Text(s).root));
  } catch {
    return JSON.stringify({ op: '=', args: [{ property: 'num' }, 1] });
  }
});
const mutatedJson = fc.oneof(
  fc.tuple(jsonFilter, fc.nat(), JSON_VALUES).map(([doc, at, value]) => {
    const parsed = JSON.parse(doc) as unknown;
    let count = 0;
    JSON.stringify(parsed, (_k, v) => (count++, v));
    return JSON.stringify(replaceNode(parsed, at % Math.max(count, 1), value));
  }),
  fc.tuple(jsonFilter, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([s, edits]) => mutate(s, edits)),
  JSON_VALUES.map((v) => JSON.stringify(v)),
);

// ---------------------------------------------------------------- the system under test

let db: Database;
let store: Store;
let server: TestServer;
let collection: Collection;
const fuzz = uniqueId('fuzz');
const counts = { total: 0, accepted: 0, rejected: 0 };
type Lang = 'cql2-text' | 'cql2-json';
const accepted: Array<{ lang: Lang; filter: string; condition: FilterCondition }> = [];
const everything: Array<{ lang: Lang; filter: string }> = [];
/** The in-memory application's log at warn level and above (a 500 is logged at error). */
const log = captureLog('warn');
let dispatch: ReturnType<ReturnType<typeof composeApi>['callback']>;

/** Parse, resolve, translate; true when accepted. Anything but a 400-class error escapes and fails the property. */
function inProcess(lang: 'cql2-text' | 'cql2-json', filter: string): boolean {
  counts.total++;
  if (counts.total % 5 === 0) everything.push({ lang, filter });
  try {
    const parsed = lang === 'cql2-json' ? parseCql2Json(filter) : parseCql2Text(filter);
    const crs = counts.total % 5 === 0 ? epsgCrs(3857) : CRS84;
    const condition = resolveCql2(parsed, { queryables: collectionQueryables(collection), crs });
    filterConditionSql(new SqlParams(), condition);
    counts.accepted++;
    if (counts.accepted % 2 === 0) accepted.push({ lang, filter, condition });
    return true;
  } catch (error) {
    if (error instanceof PlacelinkError && OGC_PROBLEMS.resolve(error).status === 400) {
      counts.rejected++;
      return false;
    }
    throw error;
  }
}

const DATABASE_TEXT = /syntax error at or near|SQLSTATE|ERROR:|operator does not exist|function .* does not exist|relation "|column "|violates|invalid input syntax|out of range/i;
const STACK = /\n\s+at |\.[jt]s:\d+:\d+|node_modules/;
const SQL_TEXT = /\bSELECT\b|\bFROM feature\b|collection_key|\$\d+::|::(?:float8|integer|jsonb|timestamptz)\b|\bST_[A-Z][A-Za-z]+\(/;

/** Whatever `pattern` finds in the body must come from the filter itself (details quote what they found). */
function leaked(body: string, filter: string): string[] {
  return [DATABASE_TEXT, STACK, SQL_TEXT].filter((pattern) => pattern.test(body) && !pattern.test(filter)).map(String);
}

/** `size` items spread evenly over the list, so every generator is represented. */
function spread<T>(list: readonly T[], size: number): T[] {
  const step = list.length / size;
  return Array.from({ length: Math.min(size, list.length) }, (_, i) => list[Math.floor(i * step)]!);
}

/** Short enough for a URL: `size` filters accepted in-process and `size` of everything generated. */
function sampleOf(size: number): Array<{ lang: Lang; filter: string }> {
  const short = ({ filter }: { filter: string }) => new URLSearchParams({ filter }).toString().length < 7000;
  return [...spread(accepted.filter(short), size), ...spread(everything.filter(short), size)];
}

const itemsUrl = (lang: Lang, filter: string) => `/collections/${fuzz}/items?${new URLSearchParams({ filter, 'filter-lang': lang, limit: '3' }).toString()}`;

/** Checks one HTTP answer; returns why it is wrong, or null. */
function verdict(lang: Lang, filter: string, status: number, contentType: string | undefined, body: string): string | null {
  const what = `${status} for ${lang} ${filter}: ${body.slice(0, 500)}`;
  if (status === 200) {
    try {
      return (JSON.parse(body) as { type?: string }).type === 'FeatureCollection' ? null : `not a FeatureCollection: ${what}`;
    } catch {
      return `not JSON: ${what}`;
    }
  }
  if (status !== 400) return what;
  if (contentType !== 'application/problem+json') return `content type ${contentType}: ${what}`;
  const leaks = leaked(body, filter);
  return leaks.length ? `leaks ${leaks.join(', ')}: ${what}` : null;
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  // Declared types the stored values partly contradict: a filter must still never fail.
  await importFeatures(
    store,
    { id: fuzz, title: 'fuzz', sourceSrid: 4326 },
    [
      feature('a', { type: 'Point', coordinates: [1, 2] }, { name: 'Straße', 'a:b': 'x', 'weird name': 'y', num: 1, n2: 0, flag: true, d: '2020-01-01', when: '2021-04-16T10:15:59Z', list: ['a', 1] }, '2020-01-01T00:00:00Z'),
      feature('b', { type: 'LineString', coordinates: [[0, 0], [1e6, 1e6]] }, { name: 'Σ', num: 'not a number', flag: 'yes', d: '2021-02-30', when: '2021-02-30T00:00:00Z', list: 'not a list' }),
      feature('c', { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [0, 0]]] }, { name: 3, num: 1e300, n2: -1e300, d: 'garbage', when: '0000-01-01T00:00:00Z', list: [] }),
      feature('d', { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [0, 0] }, { type: 'LineString', coordinates: [[0, 0], [1, 1]] }] }, { name: null, num: null, when: '2021-04-16 10:15' }),
      feature('e', null, { name: "it's", num: -0.5, n2: 0.5, flag: false, d: '2024-02-29', list: [[1], { x: 1 }] }),
      feature('f', { type: 'MultiPolygon', coordinates: [[[[170, 80], [180, 80], [180, 90], [170, 80]]]] }, { name: 'が', num: 2, n2: 3 }),
    ],
    {
      name: { type: 'string' },
      'a:b': { type: 'string' },
      'weird name': { type: 'string' },
      num: { type: 'number' },
      n2: { type: 'number' },
      flag: { type: 'boolean' },
      d: { type: 'date' },
      when: { type: 'timestamp' },
      list: { type: 'array' },
    },
  );
  collection = (await store.collections.get(fuzz))!;
  server = await startTestServer(store);
  // A catalog cached for the run, as in production: the requests measure filters, not catalog reads.
  dispatch = composeApi(store, { ...TEST_API_CONFIG, catalogTtlMs: 600_000 }, log.logger).callback();
});

afterAll(async () => {
  await server?.close();
  await store?.collections.remove(fuzz);
  await db?.close();
});

describe('CQL2 fuzzing', () => {
  it(`parses, resolves and translates ${Object.values(RUNS).reduce((a, b) => a + b)} generated and mutated filters without an exception escaping`, () => {
    const options = (numRuns: number) => ({ numRuns, seed: SEED, endOnFailure: true });
    fc.assert(fc.property(textFilter, (f) => (inProcess('cql2-text', f), true)), options(RUNS.text));
    fc.assert(fc.property(mutatedText, (f) => (inProcess('cql2-text', f), true)), options(RUNS.textMutated));
    fc.assert(fc.property(jsonFilter, (f) => (inProcess('cql2-json', f), true)), options(RUNS.json));
    fc.assert(fc.property(mutatedJson, (f) => (inProcess('cql2-json', f), true)), options(RUNS.jsonMutated));
    process.stdout.write(`fuzz (seed ${SEED}): ${counts.total} filters in-process, ${counts.accepted} accepted, ${counts.rejected} rejected with 400\n`);
    expect(counts.total).toBeGreaterThanOrEqual(100_000);
    expect(counts.accepted).toBeGreaterThan(10_000);
    expect(counts.rejected).toBeGreaterThan(10_000);
  });

  it.skipIf(pgliteEngine)(`runs ${DB_SAMPLE} accepted filters against the database without a statement failing`, async () => {
    const sample = accepted.filter((_, i) => i % Math.max(1, Math.floor(accepted.length / DB_SAMPLE)) === 0).slice(0, DB_SAMPLE);
    expect(sample.length).toBe(DB_SAMPLE);
    const failures: string[] = [];
    for (const { lang, filter, condition } of sample) {
      try {
        await store.pages.countFeatures({ collectionKey: collection.key, envelopes: [], time: null, equalities: [], filter: condition }, 1000, 10_000);
      } catch (error) {
        failures.push(`${lang} ${filter}: ${(error as Error).message}`);
        if (failures.length > 5) break;
      }
    }
    expect(failures).toEqual([]);
  });

  it.skipIf(pgliteEngine)(`answers ${APP_SAMPLE} of them through the whole application in memory with 200 or 400 only, never leaking internals`, async () => {
    const sample = sampleOf(APP_SAMPLE / 2);
    expect(sample.length).toBe(APP_SAMPLE);
    const statuses = new Map<number, number>();
    const wrong: string[] = [];
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < sample.length && wrong.length < 5) {
        const { lang, filter } = sample[next++]!;
        const response = await injectRequest(dispatch, { method: 'GET', url: itemsUrl(lang, filter), headers: { accept: 'application/geo+json' } });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const problem = verdict(lang, filter, response.statusCode, response.headers['content-type'] as string | undefined, response.payload);
        if (problem) wrong.push(problem);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`fuzz through the app in memory: ${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')} in ${seconds.toFixed(1)} s (${Math.round(sample.length / seconds)} requests/s)\n`);
    expect(wrong).toEqual([]);
    expect(log.lines().filter((line) => line.level >= 50)).toEqual([]);
    expect(statuses.get(200)).toBeGreaterThan(APP_SAMPLE / 3);
    expect(statuses.get(400)).toBeGreaterThan(APP_SAMPLE / 10);
  });

  it(`answers ${SOCKET_SAMPLE} of them over a real socket the same way`, async () => {
    const sample = sampleOf(SOCKET_SAMPLE / 2).filter((_, i) => i % 2 === 0);
    const statuses = new Map<number, number>();
    for (const { lang, filter } of sample) {
      const response = await fetch(`${server.url}${itemsUrl(lang, filter)}`);
      const body = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(verdict(lang, filter, response.status, response.headers.get('content-type') ?? undefined, body)).toBeNull();
    }
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
  });
});
