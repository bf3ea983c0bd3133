import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildingBlocks } from '../../src/compose.js';
import { PARAM } from '../../src/ogcapi/vocabulary.js';

/** Every parameter the items resource reads besides the queryables. */
const ITEMS_PARAMETERS = Object.values(PARAM);
import { LIMIT } from '../../src/ogcapi/vocabulary.js';
import { announceSkip, missingPath } from '../helpers/environment.js';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { feature, pointGrid } from '../helpers/fixtures.js';
import { TEST_API_CONFIG } from '../helpers/http-server.js';
import { describeErrors, loadOas30Schema, OAS30_SCHEMA } from '../helpers/ogc-schemas.js';

const OPENAPI_TYPE = 'application/vnd.oai.openapi+json;version=3.0';
const noOasSchema = announceSkip('test/contract/openapi.test.ts (OAS 3.0 JSON Schema validation only)', missingPath(OAS30_SCHEMA(), 'The OpenAPI 3.0 JSON Schema'));

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  style?: string;
  explode?: boolean;
  schema: { type?: string; minimum?: number; maximum?: number; default?: unknown; minItems?: number; maxItems?: number; items?: { type?: string } };
}
type Operation = { operationId?: string; parameters?: Array<Parameter | { $ref: string }>; responses: Record<string, unknown> };
interface OpenApi {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { parameters: Record<string, Parameter> };
}

/** Koa's `/collections/:collectionId` is OpenAPI's `/collections/{collectionId}`. */
const openApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

let api: FixtureApi;
let doc: OpenApi;
let contentType: string | null;

function resolve(doc: OpenApi, p: Parameter | { $ref: string }): Parameter {
  if (!('$ref' in p)) return p;
  const name = /^#\/components\/parameters\/(.+)$/.exec(p.$ref)?.[1];
  const target = name === undefined ? undefined : doc.components.parameters[name];
  if (!target) throw new Error(`unresolvable parameter reference ${p.$ref}`);
  return target;
}

const parametersOf = (path: string, method = 'get') => (doc.paths[path]?.[method]?.parameters ?? []).map((p) => resolve(doc, p));

/** Every local `$ref` in the document, with the JSON pointer where it occurs. */
function localRefs(value: unknown, at = ''): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => localRefs(v, `${at}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [[at, v] as [string, string]] : localRefs(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)));
  }
  return [];
}

function pointer(doc: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], doc);
}

describe('the served OpenAPI 3.0 definition', () => {
  beforeAll(async () => {
    api = await startFixtureApi([
      { prefix: 'oas-points', records: pointGrid(20) },
      // `limit` and `crs` are property names here too: API parameters win, so they are not offered as filters
      { prefix: 'oas-shadow', records: [feature('s1', { type: 'Point', coordinates: [1, 2] }, { limit: 3, crs: 'x', height: 12.5, name: 'one' })] },
    ]);
    const response = await fetch(`${api.url}/api`, { headers: { Accept: OPENAPI_TYPE } });
    expect(response.status).toBe(200);
    contentType = response.headers.get('content-type');
    doc = (await response.json()) as OpenApi;
  });

  afterAll(async () => {
    await api?.close();
  });

  it(`is served as ${OPENAPI_TYPE}, also to clients that send no Accept header`, async () => {
    expect(contentType).toBe(OPENAPI_TYPE);
    const plain = await fetch(`${api.url}/api`);
    expect(plain.headers.get('content-type')).toBe(OPENAPI_TYPE);
    const asJson = await fetch(`${api.url}/api?f=json`, { headers: { Accept: 'text/html' } });
    expect(asJson.headers.get('content-type')).toBe(OPENAPI_TYPE);
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.servers[0]!.url).toBe(api.url);
  });

  it.skipIf(noOasSchema)('validates against the official OpenAPI 3.0 JSON Schema', () => {
    const validate = loadOas30Schema();
    const valid = validate(doc);
    expect(valid, `the /api document is not a valid OpenAPI 3.0 document:\n  ${describeErrors(validate.errors, doc).slice(0, 20).join('\n  ')}`).toBe(true);
    // and the schema is strict enough to notice a broken document
    expect(validate({ ...doc, paths: { '/x': { get: { responses: { '200': {} } } } } })).toBe(false);
    expect(validate({ ...doc, openapi: '3.1.0' })).toBe(false);
  });

  it('every local $ref resolves and every operationId is unique', () => {
    const refs = localRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    const broken = refs.filter(([, ref]) => !ref.startsWith('#/') || pointer(doc, ref) === undefined);
    expect(broken, `unresolvable references: ${broken.map(([at, ref]) => `${ref} at ${at}`).join(', ')}`).toEqual([]);
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has every route the building blocks register, with its method and its path parameters', () => {
    const routes = buildingBlocks(api.store, TEST_API_CONFIG).flatMap((b) => b.routes).filter((route) => !route.refusal);
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const missing: string[] = [];
    for (const route of routes) {
      const path = openApiPath(route.path);
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      if (!operation) {
        missing.push(`${route.method} ${path}`);
        continue;
      }
      const declared = parametersOf(path, route.method.toLowerCase()).filter((p) => p.in === 'path').map((p) => p.name);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      expect(declared.sort(), `path parameters of ${path}`).toEqual(templated.sort());
      for (const p of parametersOf(path, route.method.toLowerCase()).filter((p) => p.in === 'path')) expect(p.required, `${p.name} in ${path}`).toBe(true);
    }
    expect(missing, 'routes missing from the OpenAPI paths').toEqual([]);
  });

  it('declares every parameter the items handler accepts, as form-style unexploded query parameters', () => {
    const items = parametersOf('/collections/{collectionId}/items');
    const names = items.filter((p) => p.in === 'query').map((p) => p.name);
    expect(names.sort()).toEqual([...ITEMS_PARAMETERS].sort());
    for (const p of items.filter((p) => p.in === 'query')) {
      expect(p.style ?? 'form', p.name).toBe('form');
      expect(p.explode, p.name).toBe(false);
      expect(p.required ?? false, p.name).toBe(false);
    }
    const feature = parametersOf('/collections/{collectionId}/items/{featureId}').filter((p) => p.in === 'query').map((p) => p.name);
    expect(feature.sort()).toEqual(['crs', 'f', 'properties']);
  });

  it('declares limit with minimum, maximum and default, and bbox with top-level minItems 4 and maxItems 6 (read by the CITE suite)', () => {
    const byName = new Map(parametersOf('/collections/{collectionId}/items').map((p) => [p.name, p]));
    expect(byName.get('limit')!.schema).toMatchObject({ type: 'integer', minimum: LIMIT.minimum, maximum: LIMIT.maximum, default: LIMIT.default });
    expect(byName.get('bbox')!.schema).toMatchObject({ type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } });
    expect(byName.get('datetime')!.schema.type).toBe('string');
  });

  it('declares each collection’s queryables on its own items path, except names an API parameter takes', () => {
    const points = parametersOf(`/collections/${api.ids['oas-points']}/items`);
    expect(points.filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual([...ITEMS_PARAMETERS, 'even', 'id', 'kind', 'n', 'weight'].sort());
    expect(Object.fromEntries(points.map((p) => [p.name, p.schema.type]))).toMatchObject({ even: 'boolean', kind: 'string', n: 'integer', weight: 'number' });
    const shadow = parametersOf(`/collections/${api.ids['oas-shadow']}/items`);
    const shadowNames = shadow.map((p) => p.name);
    expect(shadowNames.filter((n) => n === 'limit' || n === 'crs')).toEqual(['limit', 'crs']);
    expect(shadow.find((p) => p.name === 'limit')!.schema.type).toBe('integer');
    expect(shadowNames).toEqual(expect.arrayContaining(['height', 'name']));
  });

  it('a queryable declared in the API is accepted by the server and filters; an undeclared name is rejected', async () => {
    const id = api.ids['oas-points']!;
    const kind = await fetch(`${api.url}/collections/${id}/items?kind=bench&limit=100`, { headers: { Accept: 'application/geo+json' } });
    expect(kind.status).toBe(200);
    const body = (await kind.json()) as { features: Array<{ properties: { kind: string } }> };
    expect(body.features.length).toBe(pointGrid(20).filter((f) => f.properties['kind'] === 'bench').length);
    expect(body.features.every((f) => f.properties.kind === 'bench')).toBe(true);
    const undeclared = await fetch(`${api.url}/collections/${id}/items?colour=red`);
    expect(undeclared.status).toBe(400);
  });

  it('/api.html is HTML and documents every path and method', async () => {
    const response = await fetch(`${api.url}/api.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toMatch(/^<!doctype html>/i);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) expect(page, `${method} ${path} in /api.html`).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
    }
    const html = await fetch(`${api.url}/api?f=html`, { redirect: 'manual' });
    expect(html.status).toBe(302);
    expect(html.headers.get('location')).toBe(`${api.url}/api.html`);
  });
});
