/**
 * The NGSI-LD @context API (clause 5.13) on PostGIS: the contexts placelink ships and fetches
 * (Cached), those clients add (Hosted, stored in the database and served at placelink's own URL),
 * their use by later requests without a round trip to placelink itself, the statuses the ETSI suite's
 * jsonldContext tests expect, and the suite's own data files (read in place).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { NO_HARVEST_INFO } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { CORE_CONTEXT_URL } from '../../src/ngsild/context/offline-contexts.js';
import { importFeatures, inferQueryables } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip, conformanceDir, missingPath } from '../helpers/environment.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { describeErrors, loadOas30Schema, OAS30_SCHEMA } from '../helpers/ogc-schemas.js';

const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const SDM = 'https://smartdatamodels.org/dataModel.Streetlighting/';
const CORE_UNVERSIONED = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
const LINK = (url: string) => `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The keys the suite allows in a context's details ("Check Context Detailed Information Keys"). */
const DETAIL_KEYS = ['URL', 'localId', 'kind', 'createdAt', 'lastUsage', 'numberOfHits', 'extraInfo', 'body', 'expiresAt'];

const SUITE_DATA = path.join(conformanceDir(), 'ngsi-ld', 'testsuite-data', 'data', 'jsonldContext');
const noSuiteData = announceSkip('test/integration/ngsild-contexts.test.ts (the ETSI suite data files only)', missingPath(SUITE_DATA, 'The ETSI NGSI-LD test suite data (testsuite-data/data/jsonldContext)'));
const noOasSchema = announceSkip('test/integration/ngsild-contexts.test.ts (OpenAPI 3.0 validation only)', missingPath(OAS30_SCHEMA(), 'The OpenAPI 3.0 JSON Schema'));

let db: Database;
let store: Store;
let server: TestServer;
const lights = uniqueId('ngsild-ctx-lights');
const suffix = lights.slice(-8);

/** A context server that placelink may fetch from (its /allowed/ prefix), counting what it is asked. */
let contextServer: Server;
let contextBase: string;
const fetchedPaths: string[] = [];
let contextServerDown = false;
/** A context only reachable through the allow-list: `Pole` is the Smart Data Models street light. */
const FETCHED_CONTEXT = { '@context': { Pole: `${SDM}Streetlight`, lampState: `${SDM}powerState` } };

function light(n: number): FeatureRecord {
  return {
    id: `L-${n}`,
    namespace: 'test',
    localId: `L-${n}`,
    versionId: null,
    ngsiLdId: `urn:ngsi-ld:Streetlight:${suffix}:L-${n}`,
    geometry: { type: 'Point', coordinates: [9.73 + n * 0.001, 52.37] },
    properties: { name: `Light ${n}`, powerState: n % 2 === 0 ? 'on' : 'off', wattage: 30 + n * 10 },
    timeStart: null,
    timeEnd: null,
  };
}

beforeAll(async () => {
  contextServer = createServer((request, response) => {
    fetchedPaths.push(request.url ?? '');
    if (contextServerDown || !request.url?.startsWith('/allowed/')) {
      response.writeHead(contextServerDown ? 503 : 404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/ld+json' }).end(JSON.stringify(FETCHED_CONTEXT));
  });
  await new Promise<void>((resolve) => contextServer.listen(0, '127.0.0.1', resolve));
  contextBase = `http://127.0.0.1:${(contextServer.address() as AddressInfo).port}`;
  db = testDatabase();
  store = await testStore(db);
  const records = [0, 1, 2, 3].map(light);
  await importFeatures(
    store,
    { id: lights, title: lights, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: 'Streetlight', ngsiLdContext: [STREETLIGHTING], ngsiLdAttributes: { wattage: { unitCode: 'WTT' } } } },
    records,
    inferQueryables(records),
  );
  // Only the context server's /allowed/ prefix: placelink's own URLs are not in the allow-list.
  server = await startTestServer(store, { ngsiLdContextsAllow: [`${contextBase}/allowed/`] });
});

afterAll(async () => {
  await server?.close();
  await store?.collections.remove(lights);
  await db?.close();
  await new Promise<void>((resolve) => (contextServer ? contextServer.close(() => resolve()) : resolve()));
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

async function call(method: string, target: string, init: { headers?: Record<string, string>; body?: string } = {}, base = server.url): Promise<Answer> {
  const response = await fetch(`${base}/ngsi-ld/v1${target}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined && { body: init.body }) });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, text, body };
}

const get = (target: string, headers?: Record<string, string>) => call('GET', target, headers ? { headers } : {});
const del = (target: string) => call('DELETE', target);
const add = (body: string, contentType = 'application/json', base?: string) => call('POST', '/jsonldContexts', { headers: { 'Content-Type': contentType }, body }, base);

/** Adds a context and returns its Location and local id. */
async function hosted(context: unknown): Promise<{ location: string; id: string }> {
  const answer = await add(JSON.stringify({ '@context': context }));
  expect(answer.status, answer.text).toBe(201);
  const location = answer.headers.get('location')!;
  return { location, id: location.split('/').pop()! };
}

function expectProblem(answer: Answer, status: number, type: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body).toMatchObject({ type: `${ERRORS}${type}`, status });
}

function expectDetailKeys(details: Record<string, unknown>): void {
  expect(Object.keys(details).filter((k) => !DETAIL_KEYS.includes(k))).toEqual([]);
  expect(Number.isNaN(Date.parse(details['createdAt'] as string))).toBe(false);
  expect(details['createdAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  expect(Number.isInteger(details['numberOfHits'])).toBe(true);
}

describe('the @context API: listing and serving', () => {
  it('lists the shipped contexts as Cached URLs, and their details with details=true', async () => {
    const urls = await get('/jsonldContexts');
    expect(urls.status).toBe(200);
    expect(urls.headers.get('content-type')).toMatch(/^application\/json/);
    expect(urls.body).toEqual(expect.arrayContaining([CORE_CONTEXT_URL, CORE_UNVERSIONED, STREETLIGHTING]));
    expect((await get('/jsonldContexts?kind=Cached')).body).toEqual(expect.arrayContaining([CORE_CONTEXT_URL, STREETLIGHTING]));
    expect((await get('/jsonldContexts?kind=ImplicitlyCreated&details=false')).body).toEqual([]);
    const details = (await get('/jsonldContexts?details=true&kind=Cached')).body as Record<string, unknown>[];
    const core = details.find((d) => d['URL'] === CORE_CONTEXT_URL)!;
    expect(core).toMatchObject({ kind: 'Cached', localId: expect.stringMatching(UUID), extraInfo: { shipped: true } });
    expect(core).not.toHaveProperty('expiresAt');
    expectDetailKeys(core);
    expect(new Set(details.map((d) => d['localId'])).size).toBe(details.length);
  });

  it('serves the core context (shipped) by its URL and by its local id, with details', async () => {
    const byUrl = await get(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}`);
    expect(byUrl.status).toBe(200);
    expect(byUrl.headers.get('content-type')).toMatch(/^application\/json/);
    expect(byUrl.body).toEqual(JSON.parse(readFileSync(new URL('../../contexts/ngsi-ld-core-context-v1.8.jsonld', import.meta.url), 'utf8')));
    const details = (await get(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}?details=true`)).body as Record<string, unknown>;
    expect(details).toMatchObject({ URL: CORE_CONTEXT_URL, kind: 'Cached' });
    const byId = await get(`/jsonldContexts/${details['localId'] as string}?details=true`);
    expect(byId.body).toMatchObject({ URL: CORE_CONTEXT_URL, localId: details['localId'] });
    const asLd = await get(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}`, { Accept: 'application/ld+json' });
    expect(asLd.headers.get('content-type')).toMatch(/^application\/ld\+json/);
  });

  it('counts the uses of the shipped contexts by requests', async () => {
    const hits = async () => ((await get(`/jsonldContexts/${encodeURIComponent(STREETLIGHTING)}?details=true`)).body as { numberOfHits: number }).numberOfHits;
    const before = await hits();
    expect((await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-1`, { Link: LINK(STREETLIGHTING) })).status).toBe(200);
    expect(await hits()).toBeGreaterThan(before);
  });

  it.each([
    ['kind=other', 400, 'BadRequestData'],
    ['details=other', 400, 'BadRequestData'],
    ['details=other&kind=other', 400, 'BadRequestData'],
    ['details=true&kind=other', 400, 'BadRequestData'],
    ['details=other&kind=Hosted', 400, 'BadRequestData'],
    ['kind=hosted', 400, 'BadRequestData'],
    ['invalidParams=invalidValue', 400, 'InvalidRequest'],
  ])('refuses a list with %s: %i %s', async (query, status, type) => {
    expectProblem(await get(`/jsonldContexts?${query}`), status, type);
  });

  it('answers unknown contexts, bad details and unacceptable media types with NGSI-LD problems', async () => {
    expectProblem(await get('/jsonldContexts/wrong_id_context?details=true'), 404, 'ResourceNotFound');
    expectProblem(await get('/jsonldContexts/0b7d6a3e-5c1f-4a7e-9d2b-3f4a5b6c7d8e'), 404, 'ResourceNotFound');
    expectProblem(await get(`/jsonldContexts/${encodeURIComponent('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld')}?details=true`), 404, 'ResourceNotFound');
    expectProblem(await get(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}?details=maybe`), 400, 'BadRequestData');
    expectProblem(await get(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}?reload=true`), 400, 'InvalidRequest');
    expectProblem(await get('/jsonldContexts', { Accept: 'text/html' }), 406, 'NotAcceptable');
    expect((await call('PATCH', '/jsonldContexts')).status).toBe(405);
  });
});

describe('the @context API: hosted contexts', () => {
  it('adds a context: 201, an empty body, Location its path under the API, kind Hosted', async () => {
    const context = { A1: 'urn:ngsi-ld:attributes:A1', A2: 'urn:ngsi-ld:attributes:A2' };
    const answer = await add(JSON.stringify({ '@context': context, ignored: true }));
    expect(answer.status).toBe(201);
    expect(answer.text).toBe('');
    const location = answer.headers.get('location')!;
    expect(location).toMatch(/^\/ngsi-ld\/v1\/jsonldContexts\/[0-9a-f-]{36}$/);
    const id = location.split('/').pop()!;
    const served = await get(`/jsonldContexts/${id}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(served.body).toEqual({ '@context': context });
    const details = (await get(`/jsonldContexts/${id}?details=true`)).body as Record<string, unknown>;
    expect(details).toMatchObject({ URL: `${server.url}${location}`, localId: id, kind: 'Hosted', numberOfHits: 0 });
    expect(details).not.toHaveProperty('lastUsage');
    expectDetailKeys(details);
    expect((await get('/jsonldContexts?kind=Hosted')).body).toContain(`${server.url}${location}`);
    expect((await get('/jsonldContexts?kind=Cached')).body).not.toContain(`${server.url}${location}`);
    // The whole URL names it too, as a client that listed the contexts has it.
    expect((await get(`/jsonldContexts/${encodeURIComponent(`${server.url}${location}`)}?details=true`)).body).toMatchObject({ localId: id });
  });

  it('adds URL lists without fetching them (they are checked when a request uses them) and answers with ld+json when asked', async () => {
    const before = fetchedPaths.length;
    const { id } = await hosted([`${contextBase}/elsewhere/a.jsonld`, 'https://fiware.github.io/data-models/context.jsonld']);
    expect(fetchedPaths.length).toBe(before);
    const served = await get(`/jsonldContexts/${id}`, { Accept: 'application/ld+json' });
    expect(served.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(served.body).toEqual({ '@context': [`${contextBase}/elsewhere/a.jsonld`, 'https://fiware.github.io/data-models/context.jsonld'] });
    // Using it is another matter: neither URL is shipped or allowed.
    expectProblem(await get('/types', { Link: LINK(`${server.url}/ngsi-ld/v1/jsonldContexts/${id}`) }), 503, 'LdContextNotAvailable');
  });

  it.each([
    ['not JSON', '{"A1": "urn:a" "A2": "urn:b"}', 'application/json', 400, 'InvalidRequest'],
    ['empty', '', 'application/json', 400, 'InvalidRequest'],
    ['JSON without @context', '{"A1": "urn:ngsi-ld:attributes:A1"}', 'application/json', 400, 'InvalidRequest'],
    ['a JSON array', '["https://example.org/context.jsonld"]', 'application/json', 400, 'InvalidRequest'],
    ['an @context that is a number', '{"@context": 5}', 'application/json', 400, 'BadRequestData'],
    ['an @context URL that is relative', '{"@context": ["context.jsonld"]}', 'application/json', 400, 'BadRequestData'],
    ['an empty @context array', '{"@context": []}', 'application/json', 400, 'BadRequestData'],
    ['an invalid term definition', '{"@context": {"A1": 5}}', 'application/json', 400, 'BadRequestData'],
    ['a keyword redefined', '{"@context": {"@id": "urn:x"}}', 'application/json', 400, 'BadRequestData'],
    ['text/plain', '{"@context": {}}', 'text/plain', 415, 'UnsupportedMediaType'],
  ])('refuses %s: %i %s, and stores nothing', async (_what, body, contentType, status, type) => {
    const before = ((await get('/jsonldContexts?kind=Hosted')).body as string[]).length;
    expectProblem(await add(body, contentType), status, type);
    expect(((await get('/jsonldContexts?kind=Hosted')).body as string[]).length).toBe(before);
  });

  it('accepts application/ld+json bodies', async () => {
    expect((await add('{"@context": {"B1": "urn:ngsi-ld:attributes:B1"}}', 'application/ld+json')).status).toBe(201);
  });

  it('resolves a hosted context named in a Link header or a body without fetching it (its URL is not in the allow-list), under any base, and counts the uses', async () => {
    const { location, id } = await hosted({ Lamp: `${SDM}Streetlight`, state: `${SDM}powerState` });
    const before = fetchedPaths.length;
    const answer = await get(`/entities?type=Lamp&q=state==%22on%22&limit=10`, { Link: LINK(`${server.url}${location}`) });
    expect(answer.status, answer.text).toBe(200);
    const entities = answer.body as Record<string, unknown>[];
    expect(entities.map((e) => e['id']).sort()).toEqual([`urn:ngsi-ld:Streetlight:${suffix}:L-0`, `urn:ngsi-ld:Streetlight:${suffix}:L-2`]);
    expect(entities[0]).toMatchObject({ type: 'Lamp', state: { type: 'Property', value: 'on' }, wattage: { unitCode: 'WTT' } });
    expect(answer.headers.get('link')).toContain(`${server.url}${location}`);
    // The public base comes from the request: the same path under another host is the same context.
    const elsewhere = await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-1`, { Link: LINK(`https://places.example.org/api/ngsi-ld/v1/jsonldContexts/${id}`) });
    expect(elsewhere.body).toMatchObject({ type: 'Lamp', state: { value: 'off' } });
    // … and so is the URL in a JSON-LD body.
    const body = { type: 'Query', entities: [{ type: 'Lamp' }], q: 'state=="off"', '@context': `${server.url}${location}` };
    const posted = await call('POST', '/entityOperations/query', { headers: { 'Content-Type': 'application/ld+json', Accept: 'application/ld+json' }, body: JSON.stringify(body) });
    expect(posted.status, posted.text).toBe(200);
    expect((posted.body as Record<string, unknown>[]).map((e) => e['id']).sort()).toEqual([`urn:ngsi-ld:Streetlight:${suffix}:L-1`, `urn:ngsi-ld:Streetlight:${suffix}:L-3`]);
    expect(fetchedPaths.length).toBe(before);
    const details = (await get(`/jsonldContexts/${id}?details=true`)).body as Record<string, unknown>;
    expect(details).toMatchObject({ numberOfHits: 3, lastUsage: expect.stringMatching(/Z$/) });
    expectDetailKeys(details);
  });

  it('deletes a hosted context: 204, then 404, and requests naming it get LdContextNotAvailable', async () => {
    const { location, id } = await hosted({ Lamp: `${SDM}Streetlight` });
    expect((await get('/entities?type=Lamp&limit=1', { Link: LINK(`${server.url}${location}`) })).status).toBe(200);
    expectProblem(await call('DELETE', `/jsonldContexts/${id}?reload=true`), 400, 'BadRequestData');
    expectProblem(await call('DELETE', `/jsonldContexts/${id}?reload=xxx`), 400, 'BadRequestData');
    const deleted = await del(`/jsonldContexts/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-length')).toBeNull();
    expectProblem(await get(`/jsonldContexts/${id}`), 404, 'ResourceNotFound');
    expectProblem(await del(`/jsonldContexts/${id}`), 404, 'ResourceNotFound');
    expect((await get('/jsonldContexts')).body).not.toContain(`${server.url}${location}`);
    expectProblem(await get('/entities?type=Lamp&limit=1', { Link: LINK(`${server.url}${location}`) }), 503, 'LdContextNotAvailable');
  });

  it('deletes a hosted context named by its URL, as the suite teardowns do', async () => {
    const { location } = await hosted({ C1: 'urn:ngsi-ld:attributes:C1' });
    expect((await del(`/jsonldContexts/${encodeURIComponent(`${server.url}${location}`)}`)).status).toBe(204);
    expectProblem(await get(`/jsonldContexts/${location.split('/').pop()!}`), 404, 'ResourceNotFound');
  });

  it('builds Location and URL from the public base URL', async () => {
    const proxied = await startTestServer(store, { baseUrl: 'https://places.example.org/api' });
    try {
      const answer = await add('{"@context": {"D1": "urn:ngsi-ld:attributes:D1"}}', 'application/json', proxied.url);
      expect(answer.status).toBe(201);
      const location = answer.headers.get('location')!;
      expect(location).toMatch(/^\/api\/ngsi-ld\/v1\/jsonldContexts\/[0-9a-f-]{36}$/);
      const details = (await call('GET', `/jsonldContexts/${location.split('/').pop()!}?details=true`, {}, proxied.url)).body;
      expect(details).toMatchObject({ URL: `https://places.example.org${location}` });
    } finally {
      await proxied.close();
    }
  });
});

describe('the @context API: deleting and reloading', () => {
  it.each([
    ['wrong_id_context?reload=true', 400, 'BadRequestData'],
    ['wrong_id_context?reload=false', 404, 'ResourceNotFound'],
    ['wrong_id_context', 404, 'ResourceNotFound'],
    ['wrong_id_context?reload=xxx', 400, 'BadRequestData'],
    ['1234567890123456', 404, 'ResourceNotFound'],
    [`${encodeURIComponent(CORE_CONTEXT_URL)}`, 400, 'BadRequestData'],
    [`${encodeURIComponent(CORE_CONTEXT_URL)}?reload=false`, 400, 'BadRequestData'],
    [`${encodeURIComponent(CORE_UNVERSIONED)}`, 400, 'BadRequestData'],
    [`${encodeURIComponent('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld')}`, 400, 'BadRequestData'],
    [`${encodeURIComponent(STREETLIGHTING)}`, 400, 'BadRequestData'],
    ['wrong_id_context?delete=true', 400, 'InvalidRequest'],
  ])('DELETE /jsonldContexts/%s: %i %s', async (target, status, type) => {
    expectProblem(await del(`/jsonldContexts/${target}`), status, type);
  });

  it('reloads the core context from its shipped copy: 204, and it is still served', async () => {
    expect((await del(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}?reload=true`)).status).toBe(204);
    expect((await get(`/jsonldContexts/${encodeURIComponent(CORE_CONTEXT_URL)}?details=true`)).status).toBe(200);
  });

  it('keeps a context fetched from an allowed prefix as Cached: details yes, document no, reload fetches again, a failed reload keeps it, delete drops it', async () => {
    const url = `${contextBase}/allowed/poles.jsonld`;
    const fetches = () => fetchedPaths.filter((p) => p === '/allowed/poles.jsonld').length;
    expect((await get('/entities?type=Pole&limit=1', { Link: LINK(url) })).body).toMatchObject([{ type: 'Pole', lampState: { type: 'Property' } }]);
    expect((await get('/entities?type=Pole&limit=1', { Link: LINK(url) })).status).toBe(200);
    expect(fetches()).toBe(1);
    expect((await get('/jsonldContexts?kind=Cached')).body).toContain(url);
    expect((await get('/jsonldContexts?kind=Hosted')).body).not.toContain(url);
    const details = (await get(`/jsonldContexts/${encodeURIComponent(url)}?details=true`)).body as Record<string, unknown>;
    expect(details).toMatchObject({ URL: url, kind: 'Cached', numberOfHits: 2, expiresAt: expect.stringMatching(/Z$/) });
    expect(details).not.toHaveProperty('extraInfo');
    expectDetailKeys(details);
    expect((await get(`/jsonldContexts/${details['localId'] as string}?details=true`)).body).toMatchObject({ URL: url });
    expectProblem(await get(`/jsonldContexts/${encodeURIComponent(url)}`), 422, 'OperationNotSupported');

    expect((await del(`/jsonldContexts/${encodeURIComponent(url)}?reload=true`)).status).toBe(204);
    expect(fetches()).toBe(2);
    expect((await get(`/jsonldContexts/${encodeURIComponent(url)}?details=true`)).body).toMatchObject({ kind: 'Cached', numberOfHits: 2 });

    contextServerDown = true;
    try {
      expectProblem(await del(`/jsonldContexts/${encodeURIComponent(url)}?reload=true`), 503, 'LdContextNotAvailable');
      expect((await get(`/jsonldContexts/${encodeURIComponent(url)}?details=true`)).body).toMatchObject({ URL: url, kind: 'Cached' });
      expect((await get('/entities?type=Pole&limit=1', { Link: LINK(url) })).status).toBe(200);
    } finally {
      contextServerDown = false;
    }

    expect((await del(`/jsonldContexts/${details['localId'] as string}`)).status).toBe(204);
    expect((await get('/jsonldContexts')).body).not.toContain(url);
    expectProblem(await get(`/jsonldContexts/${encodeURIComponent(url)}?details=true`), 404, 'ResourceNotFound');
    expect((await get('/entities?type=Pole&limit=1', { Link: LINK(url) })).status).toBe(200);
    expect(fetches()).toBe(4);
  });

  it('answers LdContextNotAvailable (503) for a context outside the allow-list, without fetching it', async () => {
    const before = fetchedPaths.length;
    expectProblem(await get('/types', { Link: LINK(`${contextBase}/elsewhere/context.jsonld`) }), 503, 'LdContextNotAvailable');
    expect(fetchedPaths.length).toBe(before);
  });
});

describe('the @context API across restarts', () => {
  it('keeps hosted contexts, their counters and their use by URL on a new server over the same database', async () => {
    const { location, id } = await hosted({ Lamp: `${SDM}Streetlight` });
    expect((await get('/entities?type=Lamp&limit=1', { Link: LINK(`${server.url}${location}`) })).status).toBe(200);
    expect(((await get(`/jsonldContexts/${id}?details=true`)).body as { numberOfHits: number }).numberOfHits).toBe(1);

    const db2 = testDatabase();
    const restarted = await startTestServer(await testStore(db2), { ngsiLdContextsAllow: [] });
    try {
      const details = (await call('GET', `/jsonldContexts/${id}?details=true`, {}, restarted.url)).body;
      expect(details).toMatchObject({ URL: `${restarted.url}${location}`, kind: 'Hosted', numberOfHits: 1 });
      expect((await call('GET', `/jsonldContexts/${id}`, {}, restarted.url)).body).toEqual({ '@context': { Lamp: `${SDM}Streetlight` } });
      const entities = await call('GET', `/entities?type=Lamp&limit=1`, { headers: { Link: LINK(`${restarted.url}${location}`) } }, restarted.url);
      expect(entities.body).toMatchObject([{ type: 'Lamp' }]);
      expect((await call('GET', `/jsonldContexts/${id}?details=true`, {}, restarted.url)).body).toMatchObject({ numberOfHits: 2 });
      expect((await call('DELETE', `/jsonldContexts/${id}`, {}, restarted.url)).status).toBe(204);
    } finally {
      await restarted.close();
      await db2.close();
    }
    expectProblem(await get(`/jsonldContexts/${id}?details=true`), 404, 'ResourceNotFound');
  });
});

describe('the @context API definition', () => {
  it.skipIf(noOasSchema)('declares the four operations, and the document stays valid OpenAPI 3.0', async () => {
    const doc = (await (await fetch(`${server.url}/api`, { headers: { Accept: 'application/vnd.oai.openapi+json;version=3.0' } })).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/ngsi-ld/v1/jsonldContexts'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/ngsi-ld/v1/jsonldContexts/{contextId}'] ?? {}).sort()).toEqual(['delete', 'get']);
    const validate = loadOas30Schema();
    expect(validate(doc), describeErrors(validate.errors, doc).join('\n')).toBe(true);
  });
});

describe.skipIf(noSuiteData)('the ETSI suite data files (jsonldContext), read in place', () => {
  const file = (name: string) => readFileSync(path.join(SUITE_DATA, name), 'utf8');

  it('050_01 / 053_01 / 053_02: adds @context-minimal-valid.json and @context-cached-valid.json as Hosted and serves the first back unchanged', async () => {
    for (const name of ['@context-minimal-valid.json', '@context-cached-valid.json']) {
      const answer = await add(file(name));
      expect(answer.status, name).toBe(201);
      expect(answer.text).toBe('');
      const id = answer.headers.get('location')!.replace('/ngsi-ld/v1/jsonldContexts/', '');
      expect((await get(`/jsonldContexts/${id}?details=true`)).body).toMatchObject({ kind: 'Hosted' });
      if (name === '@context-minimal-valid.json') {
        const served = await get(`/jsonldContexts/${id}?details=false`);
        expect(served.headers.get('content-type')).toBe('application/json');
        expect(served.body).toEqual(JSON.parse(file(name)));
      }
      expect((await del(`/jsonldContexts/${id}`)).status).toBe(204);
    }
  });

  it('050_02: refuses @context-incorrect.json and @context-wrong-json.json with InvalidRequest', async () => {
    expectProblem(await add(file('@context-incorrect.json')), 400, 'InvalidRequest');
    expectProblem(await add(file('@context-wrong-json.json')), 400, 'InvalidRequest');
  });

  it('052_03 / 052_05: lists three added contexts, each URL ending with its Location, with their details', async () => {
    const locations: string[] = [];
    for (const name of ['@context-minimal-valid.json', '@context-minimal-second-valid.json', '@context-minimal-third-valid.json']) {
      const answer = await add(file(name));
      expect(answer.status).toBe(201);
      locations.push(answer.headers.get('location')!);
    }
    for (const query of ['', '?kind=Hosted', '?details=false', '?details=false&kind=Hosted']) {
      const urls = (await get(`/jsonldContexts${query}`)).body as string[];
      for (const location of locations) expect(urls.some((u) => u.endsWith(location)), `${query} ${location}`).toBe(true);
    }
    for (const query of ['?details=true', '?details=true&kind=Hosted']) {
      const details = (await get(`/jsonldContexts${query}`)).body as Record<string, unknown>[];
      for (const location of locations) {
        const entry = details.find((d) => (d['URL'] as string).endsWith(location))!;
        expect(entry).toMatchObject({ kind: 'Hosted', numberOfHits: 0 });
        expectDetailKeys(entry);
      }
    }
    for (const location of locations) expect((await del(`/jsonldContexts/${location.split('/').pop()!}`)).status).toBe(204);
  });

  it('053_04: numberOfHits goes from 0 to 1 when a request uses the hosted context', async () => {
    const answer = await add(file('@context-minimal-valid.json'));
    const location = answer.headers.get('location')!;
    const id = location.split('/').pop()!;
    expect((await get(`/jsonldContexts/${id}?details=true`)).body).toMatchObject({ numberOfHits: 0 });
    expect((await get('/types', { Link: LINK(`${server.url}${location}`) })).status).toBe(200);
    expect((await get(`/jsonldContexts/${id}?details=true`)).body).toMatchObject({ numberOfHits: 1 });
    expect((await del(`/jsonldContexts/${id}`)).status).toBe(204);
  });
});
