import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { parseCql2Text } from '../../src/ogcapi/filter/cql2/cql2-text.js';
import type { Store } from '../../src/services/ports/store.js';
import { CONFORMANCE_DIR, cql2DatasetMissing, cql2Expected, loadCql2Dataset, type Cql2Table } from '../helpers/cql2-dataset.js';
import { toCql2Json } from '../helpers/cql2-json-writer.js';
import { testDatabase, testStore } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

/**
 * The OGC CQL2 Abstract Test Suite on OGC's own data: every predicate row and every logical
 * combination row must return the expected number of features through the real API, as CQL2
 * Text, as CQL2 JSON (validated against cql2.json) and combined with bbox and keyset paging.
 */

const missing = cql2DatasetMissing();
if (missing) process.stderr.write(`cql2-conformance: skipped, ${missing}\n`);

interface Page {
  features: Array<{ id: string | number }>;
  numberMatched?: number;
  numberReturned: number;
  links: Array<{ rel: string; href: string }>;
}

const PAGE_SIZE = 40;

const stripMarks = (s: string) => s.normalize('NFD').replace(/\p{Mn}/gu, '');
const names = (records: FeatureRecord[]) => records.map((r) => String(r.properties['name']));

/**
 * Rows of the published table that the data set contradicts (reported upstream as
 * https://github.com/opengeospatial/ogcapi-features/issues/1011, open): three names start with
 * "Ch" once accents are removed (Chișinău, Chicago, Chengdu) and one with "chis". For these the
 * test expects the count an independent reading of the imported data gives.
 */
const ERRATA: Record<string, (records: FeatureRecord[]) => number> = {
  "ACCENTI(name) LIKE accenti('Ch%')": (records) => names(records).filter((n) => stripMarks(n).startsWith('Ch')).length,
  "ACCENTI(CASEI(name)) LIKE accenti(casei('Chiș%'))": (records) => names(records).filter((n) => stripMarks(n).toLowerCase().startsWith('chis')).length,
  "ACCENTI(CASEI(name)) LIKE accenti(casei('cHis%'))": (records) => names(records).filter((n) => stripMarks(n).toLowerCase().startsWith('chis')).length,
};

let db: Database;
let store: Store;
let server: TestServer;
let collections: Record<Cql2Table, string>;
let records: Record<Cql2Table, FeatureRecord[]>;

const expected = missing ? null : cql2Expected();
const logical = expected?.logical_combinations;
const substitute = (template: string, row: Record<string, unknown>) => template.replace(/\{(p[1-4])\}/g, (_, name: string) => String(row[name]));
const cases: Array<{ name: string; table: Cql2Table; text: string; count: number; published: number }> = [
  ...(expected?.predicates ?? []).map((row) => ({ name: `${row.conformance_class}: ${row.predicate_cql2_text}`, table: row.data_source, text: row.predicate_cql2_text, count: row.expected_count, published: row.expected_count })),
  ...(logical?.rows ?? []).map((row, i) => {
    const text = substitute(logical!.template, row);
    return { name: `logical ${i + 1}: ${text}`, table: logical!.data_source, text, count: row.expected_count, published: row.expected_count };
  }),
];

async function get(url: string): Promise<{ status: number; body: Page & { detail?: string } }> {
  const response = await fetch(url.startsWith('http') ? url : `${server.url}${url}`);
  return { status: response.status, body: (await response.json()) as Page & { detail?: string } };
}

function itemsUrl(table: Cql2Table, parameters: Record<string, string>): string {
  return `/collections/${collections[table]}/items?${new URLSearchParams(parameters).toString()}`;
}

/** Every id on every page, following next links. */
async function walk(first: string): Promise<{ ids: Array<string | number>; pages: number; numberMatched: number | undefined }> {
  const ids: Array<string | number> = [];
  let url: string | undefined = first;
  let pages = 0;
  let numberMatched: number | undefined;
  while (url) {
    const { status, body }: { status: number; body: Page & { detail?: string } } = await get(url);
    if (status !== 200) throw new Error(`${status} for ${url}: ${body.detail}`);
    if (pages === 0) numberMatched = body.numberMatched;
    ids.push(...body.features.map((f) => f.id));
    pages++;
    url = body.links.find((l) => l.rel === 'next')?.href;
  }
  return { ids, pages, numberMatched };
}

function report(mode: string, result: { passed: Set<number>; failures: string[] }): void {
  const published = cases.filter((c) => c.count === c.published);
  const passedPublished = published.filter((c) => result.passed.has(cases.indexOf(c))).length;
  const errata = cases.filter((c) => c.count !== c.published);
  const passedErrata = errata.filter((c) => result.passed.has(cases.indexOf(c))).length;
  process.stdout.write(
    `${mode}: ${result.passed.size} of ${cases.length} rows pass: ${passedPublished} of ${published.length} with the published count, ${passedErrata} of ${errata.length} ATS errata with the count the data supports\n`,
  );
}

/** Runs `work` over the cases with a few requests in flight, collecting failures instead of stopping at the first. */
async function eachCase(work: (c: (typeof cases)[number]) => Promise<string | null>): Promise<{ passed: Set<number>; failures: string[] }> {
  const failures: string[] = [];
  const passed = new Set<number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const failure = await work(c).catch((error: Error) => error.message);
        if (failure) failures.push(`${c.name}: ${failure}`);
        else passed.add(cases.indexOf(c));
      }
    }),
  );
  return { passed, failures };
}

describe.skipIf(missing !== null)('OGC CQL2 test data set (ne110m4cql2.gpkg)', () => {
  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    ({ collections, records } = await loadCql2Dataset(store));
    for (const c of cases) {
      const oracle = ERRATA[c.text];
      if (oracle) c.count = oracle(records[c.table]);
    }
    server = await startTestServer(store);
  });

  afterAll(async () => {
    await server?.close();
    for (const id of Object.values(collections ?? {})) await store.collections.remove(id);
    await db?.close();
  });

  it('has all 274 predicate rows and 77 logical rows to run', () => {
    expect(expected!.predicates).toHaveLength(274);
    expect(logical!.rows).toHaveLength(77);
    expect(cases.every((c) => !/\{p\d\}/.test(c.text))).toBe(true);
    const errata = cases.filter((c) => ERRATA[c.text]);
    expect(errata).toHaveLength(3);
    for (const c of errata) expect(c.count).not.toBe(c.published);
  });

  it('returns the expected count for every row as CQL2 Text', async () => {
    const result = await eachCase(async (c) => {
      const { status, body } = await get(itemsUrl(c.table, { filter: c.text, 'filter-lang': 'cql2-text', limit: '1' }));
      if (status !== 200) return `status ${status}: ${body.detail}`;
      return body.numberMatched === c.count ? null : `numberMatched ${body.numberMatched}, expected ${c.count}`;
    });
    report('CQL2 Text', result);
    expect(result.failures).toEqual([]);
  });

  it('returns the expected count for every row as CQL2 JSON valid against cql2.json', async () => {
    const schema = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, 'ogcapi-features', 'cql2-1.0.0', 'cql2.json'), 'utf8')) as object;
    const validate = new Ajv2020.default({ strict: false }).compile(schema);
    const result = await eachCase(async (c) => {
      const document = toCql2Json(parseCql2Text(c.text).root);
      if (!validate(document)) return `the JSON ${JSON.stringify(document)} is not valid CQL2 JSON`;
      const { status, body } = await get(itemsUrl(c.table, { filter: JSON.stringify(document), 'filter-lang': 'cql2-json', limit: '1' }));
      if (status !== 200) return `status ${status}: ${body.detail}`;
      return body.numberMatched === c.count ? null : `numberMatched ${body.numberMatched}, expected ${c.count}`;
    });
    report('CQL2 JSON', result);
    expect(result.failures).toEqual([]);
  });

  it('returns exactly the expected features, each once, combined with bbox and keyset paging', async () => {
    const result = await eachCase(async (c) => {
      const { ids, pages, numberMatched } = await walk(itemsUrl(c.table, { filter: c.text, bbox: '-180,-90,180,90', limit: String(PAGE_SIZE) }));
      if (ids.length !== c.count) return `${ids.length} features over ${pages} pages, expected ${c.count}`;
      if (new Set(ids).size !== ids.length) return 'a feature was returned twice';
      if (pages !== Math.max(1, Math.ceil(c.count / PAGE_SIZE))) return `${pages} pages for ${c.count} features`;
      return numberMatched === c.count ? null : `numberMatched ${numberMatched} on the first page`;
    });
    report(`CQL2 Text + bbox + paging (limit ${PAGE_SIZE})`, result);
    expect(result.failures).toEqual([]);
  });

  it('ANDs the filter with a bbox that selects a part of the data', async () => {
    const west = '-180,-90,0,90';
    const pairs: Array<[Cql2Table, string]> = [
      ['ne_110m_populated_places_simple', "name LIKE 'B%'"],
      ['ne_110m_admin_0_countries', 'POP_EST>=37589262'],
      ['ne_110m_rivers_lake_centerlines', 'name IS NOT NULL'],
    ];
    for (const [table, text] of pairs) {
      const { ids: filtered } = await walk(itemsUrl(table, { filter: text, limit: '1000' }));
      const { ids: boxed } = await walk(itemsUrl(table, { bbox: west, limit: '1000' }));
      const { ids: both } = await walk(itemsUrl(table, { filter: text, bbox: west, limit: '7' }));
      const expectedIds = filtered.filter((id) => boxed.includes(id));
      expect(expectedIds.length).toBeGreaterThan(0);
      expect(expectedIds.length).toBeLessThan(filtered.length);
      expect(both).toEqual(expectedIds);
    }
  });
});
