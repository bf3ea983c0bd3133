/**
 * The `bare` target of `npm run bench`: the least a Node server has to do to answer the bench's
 * requests with the bytes placelink writes, so that placelink ÷ bare says what placelink's own
 * machinery (Koa, middleware, negotiation, parameter modules, links, logging) costs per request.
 *
 * One `node:http` server and one pool made by placelink's own createDatabase (same options: statement
 * timeout, `-c max_parallel_workers_per_gather=0 -c jit=off`, statements named only where
 * featureSql names them). Each request runs the statement placelink runs for it, built by placelink's
 * featureSql and read through its featurePages (PortalStream, the same round trips), all loaded from
 * the compiled dist/ that `placelink serve` runs; numberMatched follows placelink's rule (collection
 * count when unfiltered, position on the last page, otherwise an exact count bounded like placelink's
 * and cached per data version, which also lets a small bbox's page statement be prepared). No
 * framework, no middleware, no per-request logging, no content negotiation: a page is gathered and
 * written in one piece (placelink streams bodies above 256 KB).
 *
 * Serves, for one collection (BARE_COLLECTION, default streetlights; its key, title and links read once):
 *   GET /                                                    a minimal landing page
 *   GET /collections/{id}/items?[f=json&]limit=n[&bbox=minx,miny,maxx,maxy]   the first page, CRS84
 *   GET /collections/{id}/items/{featureId}[?f=json]
 * and answers anything else with 400 or 404.
 *
 * Env: DATABASE_URL, PORT (8100), HOST (127.0.0.1), and placelink's PLACELINK_POOL_SIZE (10),
 * PLACELINK_STATEMENT_TIMEOUT_MS (30000), PLACELINK_COUNT_LIMIT (100000), PLACELINK_COUNT_BUDGET_MS (250).
 *
 * `--check PLACELINK_URL`: starts the server, then for the bench's requests compares the statement
 * it builds with the one placelink's own parameter modules give (text, values, name), and its
 * response with placelink's (status, Content-Type, Content-Crs, Vary, and the body byte for byte once
 * each server's base URL and the timeStamp value are masked); exits 1 on any difference.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import { isDeepStrictEqual } from 'node:util';
import type * as CollectionCrsModule from '../src/ogcapi/crs/collection-crs.js';
import type * as CollectionRepositoryModule from '../src/db/collection-repository.js';
import type * as CrsRegistryModule from '../src/geo/crs-registry.js';
import type * as DatabaseModule from '../src/db/database.js';
import type * as FeaturePagesModule from '../src/db/feature-pages.js';
import type * as FeatureSqlModule from '../src/db/sql/feature-sql.js';
import type * as LinkSqlModule from '../src/db/sql/link-sql.js';
import type * as OgcApiModule from '../src/ogcapi/ogcapi.js';
import type * as AssetLinksModule from '../src/sensors-api/asset-links.js';
import type * as VocabularyModule from '../src/ogcapi/vocabulary.js';
import type { Envelope, FeatureOutput, FeaturePageQuery, FeatureSelection, LinkedValueLinks } from '../src/domain/query.js';

/** placelink's compiled modules: typed from src, run from dist (what `placelink serve` runs). */
const fromDist = <T>(path: string): Promise<T> => import(new URL(`../dist/${path}`, import.meta.url).href) as Promise<T>;
const { createDatabase } = await fromDist<typeof DatabaseModule>('db/database.js');
const { featurePages } = await fromDist<typeof FeaturePagesModule>('db/feature-pages.js');
const { featureSql } = await fromDist<typeof FeatureSqlModule>('db/sql/feature-sql.js');
const { linkSql } = await fromDist<typeof LinkSqlModule>('db/sql/link-sql.js');
const { collectionRepository } = await fromDist<typeof CollectionRepositoryModule>('db/collection-repository.js');
const { CRS84 } = await fromDist<typeof CrsRegistryModule>('geo/crs-registry.js');
const { contentCrsHeader, geometryOutput } = await fromDist<typeof CollectionCrsModule>('ogcapi/crs/collection-crs.js');
const { assetLinkTemplates } = await fromDist<typeof AssetLinksModule>('sensors-api/asset-links.js');
const { LIMIT, MEDIA, REL } = await fromDist<typeof VocabularyModule>('ogcapi/vocabulary.js');

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/placelink_bench';
const PORT = env('PORT', 8100);
const HOST = process.env['HOST'] ?? '127.0.0.1';
const COLLECTION_ID = process.env['BARE_COLLECTION'] ?? 'streetlights';
const COUNT_LIMIT = env('PLACELINK_COUNT_LIMIT', 100_000);
const COUNT_BUDGET_MS = env('PLACELINK_COUNT_BUDGET_MS', 250);

type Logger = Parameters<typeof createDatabase>[1];
const quietLogger = { warn: (_fields: unknown, message: string) => process.stderr.write(`bare: ${message}\n`) } as unknown as Logger;

const db = createDatabase(
  { connectionString: DATABASE_URL, poolSize: env('PLACELINK_POOL_SIZE', 10), statementTimeoutMs: env('PLACELINK_STATEMENT_TIMEOUT_MS', 30_000), applicationName: 'placelink-bare' },
  quietLogger,
);
const pages = featurePages(db);
const collection = await collectionRepository(db).get(COLLECTION_ID);
if (!collection) throw new Error(`collection '${COLLECTION_ID}' does not exist in ${DATABASE_URL}`);
/** Whether features carry linked sensor values (placelink re-reads this every second; the bench does not write). */
const linked = (await db.query<{ collection_key: number }>(linkSql.linkedCollections())).some((r) => r.collection_key === collection.key);

const ITEMS_PATH = `/collections/${encodeURIComponent(collection.id)}/items`;
const OUTPUT: FeatureOutput = { ...geometryOutput(CRS84), properties: null };
const CONTENT_CRS = contentCrsHeader(CRS84);
/** The data version of the latest page read: the key of the counts, as placelink's is. */
let dataVersion = collection.dataVersion;
const counts = new Map<string, number | null>();

class BadRequest extends Error {}

// ------------------------------------------------------------------ request → statement

interface ItemsParameters {
  readonly limit: number;
  readonly envelopes: Envelope[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The bench's parameters only: f=json, limit and a CRS84 bbox that does not cross the antimeridian. */
function itemsParameters(params: URLSearchParams): ItemsParameters {
  let limit: number = LIMIT.default;
  let envelopes: Envelope[] = [];
  for (const [name, value] of params) {
    if (name === 'f' && value === 'json') continue;
    if (name === 'limit' && /^\+?\d+$/.test(value.trim()) && Number(value) >= LIMIT.minimum) limit = Math.min(Number(value), LIMIT.maximum);
    else if (name === 'bbox') {
      const n = value.split(',').map((p) => p.trim());
      if (n.length !== 4 || !n.every((p) => NUMBER.test(p))) throw new BadRequest('bbox: four numbers');
      const [minX, minY, maxX, maxY] = n.map(Number) as [number, number, number, number];
      if (minX > maxX || minY > maxY || minY < -90 || maxY > 90 || minX < -180 || maxX > 180) throw new BadRequest('bbox: a CRS84 box, west ≤ east');
      envelopes = [{ minX, minY, maxX, maxY, srid: 4326 }];
    } else throw new BadRequest(`the bare server serves the bench's requests only (${name}=${value})`);
  }
  return { limit, envelopes };
}

const countKey = (selection: FeatureSelection, version: number) => `${version}|${JSON.stringify(selection.envelopes)}`;

function selectionOf(parameters: ItemsParameters): FeatureSelection {
  return { collectionKey: collection!.key, envelopes: parameters.envelopes, time: null, equalities: [], filter: null };
}

/** The FeaturePageQuery placelink's query service makes of the request: the first page, in `seq` order. */
function pageQuery(parameters: ItemsParameters, links: LinkedValueLinks | undefined): FeaturePageQuery {
  const selection = selectionOf(parameters);
  const known = selection.envelopes.length === 0 ? undefined : counts.get(countKey(selection, dataVersion));
  return {
    ...selection,
    order: [],
    position: { kind: 'start' },
    limit: parameters.limit,
    output: OUTPUT,
    ...(links ? { linkedValues: links } : {}),
    ...(typeof known === 'number' ? { knownMatches: known } : {}),
  };
}

async function countedMatches(selection: FeatureSelection): Promise<number | null> {
  if (COUNT_LIMIT === 0) return null;
  const key = countKey(selection, dataVersion);
  const cached = counts.get(key);
  if (cached !== undefined) return cached;
  const counted = await pages.countFeatures(selection, COUNT_LIMIT, COUNT_BUDGET_MS);
  if (counts.size >= 1000) counts.clear();
  counts.set(key, counted);
  return counted;
}

// ------------------------------------------------------------------ links, as placelink writes them

const NOT_PATH_SAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/;
const NOT_PATH_SAFE_ALL = new RegExp(NOT_PATH_SAFE.source, 'g');
const encodePath = (path: string) => (NOT_PATH_SAFE.test(path) ? path.replace(NOT_PATH_SAFE_ALL, (c) => encodeURIComponent(c)) : path);

/** The request's URL with some parameters replaced (undefined removes one), in placelink's order and encoding. */
function selfUrl(base: string, path: string, params: URLSearchParams, changes: Record<string, string | undefined>): string {
  const pairs = new Map<string, string>(params);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) pairs.delete(name);
    else pairs.set(name, value);
  }
  let query = '';
  for (const [name, value] of pairs) query += `${query ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  return `${base}${encodePath(path)}${query}`;
}

function selfAndAlternate(base: string, path: string, params: URLSearchParams) {
  return [
    { href: selfUrl(base, path, params, { f: 'json' }), rel: REL.self, type: MEDIA.geojson, title: 'This document' },
    { href: selfUrl(base, path, params, { f: 'html' }), rel: REL.alternate, type: MEDIA.html, title: 'This document as HTML' },
  ];
}

const collectionLink = (base: string) => ({ href: `${base}/collections/${encodeURIComponent(collection!.id)}?f=json`, rel: REL.collection, type: MEDIA.json, title: collection!.title });

/** placelink's opaque keyset cursor (params/cursor.ts) for the default order. */
const cursor = (seq: string, skipped: number, version: number) => Buffer.from(JSON.stringify({ d: 'a', s: seq, n: skipped, v: version })).toString('base64url');

// ------------------------------------------------------------------ handlers

function send(res: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const geojsonHeaders = { 'Content-Crs': CONTENT_CRS, Vary: 'Accept' };

async function items(res: http.ServerResponse, base: string, path: string, params: URLSearchParams, receivedAt: Date): Promise<void> {
  const parameters = itemsParameters(params);
  const query = pageQuery(parameters, linked ? assetLinkTemplates(base) : undefined);
  let body = '{"type":"FeatureCollection","features":[';
  let returned = 0;
  let lastSeq: string | null = null;
  let more = false;
  let snapshot: { total: number; version: number } | null = null;
  for await (const batch of await pages.streamPage(query)) {
    for (const chunk of batch) {
      snapshot ??= { total: Number(chunk.total), version: Number(chunk.version) };
      more = chunk.more;
      if (chunk.n === 0) continue;
      body += returned === 0 ? chunk.json : `,${chunk.json}`;
      returned += chunk.n;
      lastSeq = chunk.lastSeq;
    }
  }
  snapshot ??= (await pages.snapshot(collection!.key)) ?? { total: 0, version: dataVersion };
  dataVersion = snapshot.version;
  const selection = selectionOf(parameters);
  const numberMatched = selection.envelopes.length === 0 ? snapshot.total : !more ? returned : await countedMatches(selection);
  const links: object[] = selfAndAlternate(base, path, params);
  if (more && lastSeq !== null) {
    links.push({ href: selfUrl(base, path, params, { cursor: cursor(lastSeq, returned, snapshot.version), offset: undefined, f: 'json' }), rel: REL.next, type: MEDIA.geojson, title: 'Next page' });
  }
  links.push(collectionLink(base));
  const tail: Record<string, unknown> = { numberReturned: returned };
  if (numberMatched !== null) tail['numberMatched'] = numberMatched;
  tail['timeStamp'] = receivedAt.toISOString();
  tail['links'] = links;
  body += `],${JSON.stringify(tail).slice(1)}`;
  send(res, 200, MEDIA.geojson, body, geojsonHeaders);
}

async function item(res: http.ServerResponse, base: string, path: string, params: URLSearchParams, id: string): Promise<void> {
  for (const [name, value] of params) if (name !== 'f' || value !== 'json') throw new BadRequest(`the bare server serves the bench's requests only (${name}=${value})`);
  const row = await pages.byId(collection!.key, id, OUTPUT, linked ? assetLinkTemplates(base) : undefined);
  if (!row) {
    send(res, 404, MEDIA.json, '{"title":"Not Found"}');
    return;
  }
  const links: object[] = [...selfAndAlternate(base, path, params), collectionLink(base)];
  if (row.ngsiLdId) links.push({ href: row.ngsiLdId, rel: REL.describes, title: 'NGSI-LD entity id of the thing this feature describes' });
  send(res, 200, MEDIA.geojson, `${row.json.slice(0, -1)},"links":${JSON.stringify(links)}}`, geojsonHeaders);
}

function landing(res: http.ServerResponse, base: string): void {
  const href = `${base}${ITEMS_PATH}?f=json`;
  send(res, 200, MEDIA.json, JSON.stringify({ title: 'placelink bare bench server', links: [{ href, rel: REL.items, type: MEDIA.geojson, title: collection!.title }] }));
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const receivedAt = new Date();
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1));
  const base = `http://${req.headers.host ?? `${HOST}:${PORT}`}`;
  if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only\n');
  if (path === '/') return landing(res, base);
  if (path === ITEMS_PATH) return items(res, base, path, params, receivedAt);
  if (path.startsWith(`${ITEMS_PATH}/`) && path.indexOf('/', ITEMS_PATH.length + 1) < 0) return item(res, base, path, params, decodeURIComponent(path.slice(ITEMS_PATH.length + 1)));
  send(res, 404, 'text/plain', 'not a bench path\n');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    const status = error instanceof BadRequest || error instanceof URIError ? 400 : 500;
    if (status === 500) process.stderr.write(`bare: ${(error as Error).stack ?? String(error)}\n`);
    if (!res.headersSent) send(res, status, 'text/plain', `${(error as Error).message}\n`);
    else res.destroy();
  });
});
// As placelink's server (src/http/server.ts).
server.keepAliveTimeout = 65_000;

async function stop(): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await db.close();
}

const checkAt = process.argv.indexOf('--check');
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(checkAt >= 0 ? 0 : PORT, HOST, () => resolve());
});

// ------------------------------------------------------------------ --check against placelink

/** The bench's requests (../shared/peers/bench.sh), without `f` too, and a few single features. */
function checkPaths(): string[] {
  const small = 'bbox=9.735,52.370,9.740,52.373';
  const big = 'bbox=9.72,52.36,9.75,52.39';
  const pagesPaths = [`f=json&limit=100&${small}`, 'f=json&limit=1000', `f=json&limit=1000&${big}`, `limit=100&${small}`, 'limit=1000', `f=json&limit=10&${small}`, `f=json&${small}`]
    .map((q) => `${ITEMS_PATH}?${q}`);
  const ids = ['SL-000001', 'SL-012345', 'SL-199999', 'SL-200000', `SL-${String(1 + Math.floor(Math.random() * 200_000)).padStart(6, '0')}`];
  return [...pagesPaths, ...ids.map((id) => `${ITEMS_PATH}/${id}?f=json`), `${ITEMS_PATH}/SL-000001`, `${ITEMS_PATH}/no-such-feature?f=json`];
}

/** The statement placelink's own parameter modules and query service give for a path, and the bare server's. */
async function statements(path: string, bareBase: string): Promise<{ placelink: unknown; bare: unknown }> {
  const { standardParameters } = await fromDist<typeof OgcApiModule>('ogcapi/ogcapi.js');
  const parameters = standardParameters();
  const [pathname, qs = ''] = path.split('?') as [string, string?];
  const raw = querystring.parse(qs) as Record<string, string | string[] | undefined>;
  const links = linked ? assetLinkTemplates(bareBase) : undefined;
  const strip = (q: { text: string; values: readonly unknown[]; name?: string }) => ({ text: q.text, values: q.values, name: q.name });
  if (pathname === ITEMS_PATH) {
    const request = parameters.readItems(raw, collection!);
    const known = counts.get(countKey(request.selection, dataVersion));
    const theirs: FeaturePageQuery = {
      ...request.selection,
      order: request.order,
      position: request.position,
      limit: request.limit,
      output: request.output,
      ...(links ? { linkedValues: links } : {}),
      ...(typeof known === 'number' ? { knownMatches: known } : {}),
    };
    return { placelink: strip(featureSql.page(theirs)), bare: strip(featureSql.page(pageQuery(itemsParameters(new URLSearchParams(qs)), links))) };
  }
  const id = decodeURIComponent(pathname.slice(ITEMS_PATH.length + 1));
  const { output } = parameters.readFeature(raw, collection!);
  return { placelink: strip(featureSql.byId(collection!.key, id, output, links)), bare: strip(featureSql.byId(collection!.key, id, OUTPUT, links)) };
}

async function fetchMasked(base: string, path: string) {
  const response = await fetch(`${base}${path}`);
  const body = (await response.text()).replaceAll(base, '{base}').replace(/"timeStamp":"[^"]*"/, '"timeStamp":"…"');
  const headers = Object.fromEntries(['content-type', 'content-crs', 'vary'].map((h) => [h, response.headers.get(h)]));
  return { status: response.status, headers, body, all: [...response.headers.keys()] };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at byte ${i}: placelink …${JSON.stringify(a.slice(Math.max(0, i - 40), i + 60))}… bare …${JSON.stringify(b.slice(Math.max(0, i - 40), i + 60))}…`;
}

async function check(placelinkBase: string): Promise<boolean> {
  const address = server.address() as AddressInfo;
  const bareBase = `http://${HOST}:${address.port}`;
  let ok = true;
  const extraHeaders = new Set<string>();
  for (const path of checkPaths()) {
    // Twice: the first request of a bbox counts its matches, after which its page statement is prepared.
    for (const round of [1, 2]) {
      const theirs = await fetchMasked(placelinkBase, path);
      const ours = await fetchMasked(bareBase, path);
      const problems: string[] = [];
      if (theirs.status !== ours.status) problems.push(`status ${theirs.status} ≠ ${ours.status}`);
      if (theirs.status === 200) {
        if (!isDeepStrictEqual(theirs.headers, ours.headers)) problems.push(`headers ${JSON.stringify(theirs.headers)} ≠ ${JSON.stringify(ours.headers)}`);
        if (theirs.body !== ours.body) problems.push(`body (${theirs.body.length} ≠ ${ours.body.length} characters) differs ${firstDifference(theirs.body, ours.body)}`);
        const statement = await statements(path, bareBase);
        if (!isDeepStrictEqual(statement.placelink, statement.bare)) problems.push(`statement differs ${firstDifference(JSON.stringify(statement.placelink), JSON.stringify(statement.bare))}`);
        for (const h of theirs.all) if (!ours.all.includes(h)) extraHeaders.add(h);
      }
      ok &&= problems.length === 0;
      process.stdout.write(`${problems.length ? 'DIFF' : 'same'} ${path} (round ${round}, HTTP ${theirs.status}, ${Buffer.byteLength(theirs.body)} bytes)${problems.map((p) => `\n  ${p}`).join('')}\n`);
    }
  }
  process.stdout.write(`headers placelink sends that the bare server does not: ${[...extraHeaders].sort().join(', ') || 'none'}\n`);
  process.stdout.write(ok ? 'bare server: same statements and same bytes as placelink\n' : 'bare server: DIFFERS from placelink\n');
  return ok;
}

if (checkAt >= 0) {
  const placelinkBase = process.argv[checkAt + 1]?.replace(/\/$/, '');
  if (!placelinkBase) throw new Error('--check needs placelink’s base URL');
  let ok = false;
  try {
    ok = await check(placelinkBase);
  } finally {
    await stop();
  }
  process.exit(ok ? 0 : 1);
}

process.stderr.write(`bare: serving ${collection.id} (key ${collection.key}${linked ? ', with linked sensor values' : ''}) on http://${HOST}:${PORT}\n`);
// A normal exit, so that `node --cpu-prof` writes its profile.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop().finally(() => process.exit(0)));
