import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { composeBlocks } from '../../src/compose.js';
import type { Database } from '../../src/db/database.js';
import type { Store } from '../../src/services/ports.js';
import { CONFORMANCE_DIR } from '../helpers/cql2-dataset.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

/**
 * The served API definition: valid OpenAPI 3.0 (the official schema of the OAS 3.0 specification
 * as shipped with the OGC sorting draft), every $ref resolvable, every route of every building
 * block and every parameter the items request reads declared.
 */

const OAS30_SCHEMA = path.join(CONFORMANCE_DIR, 'ogcapi-features', 'sorting-draft', 'openapi', 'schemas', 'schema.yaml');
const haveSchema = existsSync(OAS30_SCHEMA);
if (!haveSchema) process.stderr.write(`openapi contract: OAS 3.0 validation skipped, ${OAS30_SCHEMA} is missing (set PLACELINK_CONFORMANCE)\n`);

let db: Database;
let store: Store;
let server: TestServer;
let doc: { paths: Record<string, Record<string, { parameters?: Array<{ $ref?: string; name?: string }> }>>; components: { parameters: Record<string, { name: string }> } };
const collection = uniqueId('openapi');

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: collection }, pointGrid(3));
  server = await startTestServer(store);
  doc = (await (await fetch(`${server.url}/api`)).json()) as typeof doc;
});

afterAll(async () => {
  await server?.close();
  await store?.collections.remove(collection);
  await db?.close();
});

describe('the served OpenAPI document', () => {
  it.skipIf(!haveSchema)('validates against the OpenAPI 3.0 schema', () => {
    const schema = parseYaml(readFileSync(OAS30_SCHEMA, 'utf8')) as Record<string, unknown>;
    const ajv = new AjvDraft04.default({ strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    const valid = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const broken = structuredClone(doc) as unknown as Record<string, Record<string, unknown>>;
    broken['paths']!['/functions'] = { get: { parameters: [{ name: 'x', in: 'query', style: 'matrix' }] } };
    expect(validate(broken)).toBe(false);
  });

  it('resolves every $ref', () => {
    const refs = new Set<string>();
    JSON.stringify(doc, (k, v) => (k === '$ref' && typeof v === 'string' && refs.add(v), v));
    const unresolved = [...refs].filter((ref) => {
      let node: unknown = doc;
      for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
      return node === undefined;
    });
    expect(refs.size).toBeGreaterThan(10);
    expect(unresolved).toEqual([]);
  });

  it('declares every route of every building block', () => {
    const routes = composeBlocks(store, { baseUrl: undefined, trustProxy: false, countLimit: 1000, catalogTtlMs: 0 }).flatMap((block) => block.routes);
    expect(routes.length).toBeGreaterThanOrEqual(13);
    const missing = routes.filter((route) => !doc.paths[route.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('declares every parameter the items request reads, on the generic and the per-collection paths', () => {
    const names = (operation: { parameters?: Array<{ $ref?: string; name?: string }> }) =>
      (operation.parameters ?? []).map((p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()!]!.name : p.name!));
    const expected = ['f', 'limit', 'offset', 'cursor', 'bbox', 'bbox-crs', 'datetime', 'crs', 'filter', 'filter-lang', 'filter-crs', 'sortby', 'properties'];
    expect(names(doc.paths['/collections/{collectionId}/items']!['get']!)).toEqual(expect.arrayContaining(['collectionId', ...expected]));
    expect(names(doc.paths[`/collections/${collection}/items`]!['get']!)).toEqual(expect.arrayContaining([...expected, 'id', 'n', 'even', 'kind', 'weight']));
    expect(names(doc.paths['/collections/{collectionId}/items/{featureId}']!['get']!)).toEqual(expect.arrayContaining(['crs', 'properties']));
  });
});
