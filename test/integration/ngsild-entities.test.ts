/**
 * NGSI-LD context consumption over the feature rows: the same features the OGC API serves, as
 * entities of their collection's type, named by the request's @context. The q and geo-query tables
 * compare placelink's answer with ids an independent SQL predicate selects from the same rows.
 */
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { NO_HARVEST_INFO } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { contextLoader } from '../../src/ngsild/context/context-loader.js';
import { importFeatures, inferQueryables } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { etsiSchemaErrors } from '../helpers/etsi-openapi.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const BUILDING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Building/master/context.jsonld';
const SDM = 'https://smartdatamodels.org/dataModel.Streetlighting/';
const LINK = (url: string) => `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

let db: Database;
let store: Store;
let server: TestServer;
const lights = uniqueId('ngsild-lights');
const buildings = uniqueId('ngsild-buildings');
const suffix = lights.slice(-8);

/** 36 street lights on a 6 × 6 grid 0.001° apart around (9.73, 52.37), with values of every kind. */
function light(n: number): FeatureRecord {
  const [i, j] = [n % 6, Math.floor(n / 6)];
  return {
    id: `L-${n}`,
    namespace: 'test',
    localId: `L-${n}`,
    versionId: null,
    ngsiLdId: `urn:ngsi-ld:Streetlight:${suffix}:L-${n}`,
    geometry: { type: 'Point', coordinates: [9.73 + i * 0.001, 52.37 + j * 0.001] },
    properties: {
      name: `Light ${n}`,
      powerState: n % 4 === 0 ? 'off' : 'on',
      status: ['ok', 'defectiveLamp', 'columnIssue'][n % 3],
      wattage: 30 + (n % 5) * 10,
      dateLastLampChange: `2024-0${1 + (n % 9)}-15T08:00:00Z`,
      lampTags: n % 2 === 0 ? ['led', 'smart'] : ['sodium'],
      refStreetlightGroup: `urn:ngsi-ld:StreetlightGroup:G${n % 3}`,
      ...(n % 7 === 0 ? { annotations: { note: `check ${n}`, level: n } } : {}),
    },
    timeStart: null,
    timeEnd: null,
  };
}

function building(n: number): FeatureRecord {
  const [x, y] = [9.7295 + n * 0.002, 52.3695];
  return {
    id: `B-${n}`,
    namespace: 'test',
    localId: `B-${n}`,
    versionId: null,
    ngsiLdId: `urn:ngsi-ld:Building:${suffix}:B-${n}`,
    geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.0012, y], [x + 0.0012, y + 0.0022], [x, y + 0.0022], [x, y]]] },
    properties: { name: `Building ${n}`, floorsAboveGround: 2 + n },
    timeStart: null,
    timeEnd: null,
  };
}

const LIGHTS = Array.from({ length: 36 }, (_, n) => light(n));

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await importFeatures(
    store,
    { id: lights, title: lights, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: 'Streetlight', ngsiLdContext: [STREETLIGHTING], ngsiLdAttributes: { wattage: { unitCode: 'WTT' }, refStreetlightGroup: { relationship: true } } } },
    LIGHTS,
    inferQueryables(LIGHTS),
  );
  const blocks = [0, 1, 2].map(building);
  await importFeatures(store, { id: buildings, title: buildings, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: 'Building', ngsiLdContext: [BUILDING] } }, blocks, inferQueryables(blocks));
  server = await startTestServer(store);
});

afterAll(async () => {
  await server?.close();
  await store?.collections.remove(lights);
  await store?.collections.remove(buildings);
  await db?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function get(path: string, headers: Record<string, string> = { Link: LINK(STREETLIGHTING) }): Promise<Answer> {
  const response = await fetch(`${server.url}/ngsi-ld/v1${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : null };
}

async function ids(path: string, headers?: Record<string, string>): Promise<string[]> {
  const answer = await get(path, headers);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body as { id: string }[]).map((e) => e.id).sort();
}

/** The ids an independent SQL predicate on the same rows selects. */
async function oracle(predicate: string, values: unknown[] = [], collection = lights): Promise<string[]> {
  const rows = await db.query<{ id: string }>({
    text: `SELECT f.ngsi_ld_id AS id FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND ${predicate} ORDER BY 1`,
    values: [collection, ...values],
  });
  return rows.map((r) => r.id).sort();
}

describe('NGSI-LD entities over the feature rows', () => {
  it('serves each feature as an entity of its type, named by the request @context, with unitCode, Relationship and location', async () => {
    const answer = await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-3`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('link')).toContain(STREETLIGHTING);
    expect(answer.body).toMatchObject({
      id: `urn:ngsi-ld:Streetlight:${suffix}:L-3`,
      type: 'Streetlight',
      powerState: { type: 'Property', value: 'on' },
      wattage: { type: 'Property', value: 60, unitCode: 'WTT' },
      refStreetlightGroup: { type: 'Relationship', object: 'urn:ngsi-ld:StreetlightGroup:G0' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [9.733, 52.37] } },
      describedBy: { type: 'Property', value: `${server.url}/collections/${lights}/items/L-3` },
    });
  });

  it('round-trips by id: OGC API item → NGSI-LD entity → OGC API item', async () => {
    const item = (await (await fetch(`${server.url}/collections/${lights}/items/L-5?f=json`)).json()) as { links: { rel: string; href: string }[] };
    const entityId = item.links.find((l) => l.rel === 'describes')!.href;
    const entity = (await get(`/entities/${encodeURIComponent(entityId)}`)).body as { id: string; describedBy: { value: string } };
    expect(entity.id).toBe(entityId);
    const back = (await (await fetch(`${entity.describedBy.value}?f=json`)).json()) as { id: string };
    expect(back.id).toBe('L-5');
  });

  it('expands, with jsonld.js over the offline contexts, to the Smart Data Models and NGSI-LD IRIs', async () => {
    const answer = await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-3`, { Link: LINK(STREETLIGHTING), Accept: 'application/ld+json' });
    expect(answer.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    const [expanded] = (await jsonld.expand(answer.body, { documentLoader: contextLoader({ allow: [], timeoutMs: 1000, ttlMs: 1000 }).load })) as Record<string, unknown>[];
    expect(expanded!['@type']).toEqual([`${SDM}Streetlight`]);
    expect(Object.keys(expanded!)).toEqual(expect.arrayContaining([`${SDM}powerState`, `${SDM}refStreetlightGroup`, 'https://uri.etsi.org/ngsi-ld/location']));
    expect((expanded![`${SDM}powerState`] as Record<string, unknown>[])[0]!['https://uri.etsi.org/ngsi-ld/hasValue']).toEqual([{ '@value': 'on' }]);
  });

  it('echoes a request @context that names the core context itself, and adds the core context to one that does not', async () => {
    const compound = [STREETLIGHTING, 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld'];
    const posted = await fetch(`${server.url}/ngsi-ld/v1/entityOperations/query?limit=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/ld+json', Accept: 'application/ld+json' },
      body: JSON.stringify({ type: 'Query', entities: [{ type: 'Streetlight' }], '@context': compound }),
    });
    expect(((await posted.json()) as { '@context': unknown }[])[0]!['@context']).toEqual(compound);
    const core = await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-3`, { Link: LINK('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld'), Accept: 'application/ld+json' });
    expect((core.body as { '@context': unknown })['@context']).toBe('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld');
    const own = await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-3`, { Link: LINK(STREETLIGHTING), Accept: 'application/ld+json' });
    expect((own.body as { '@context': unknown })['@context']).toEqual(compound);
  });

  it('names the same entity with full IRIs when the request brings only the core context', async () => {
    const answer = await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-3`, {});
    expect(answer.body).toMatchObject({ type: `${SDM}Streetlight`, [`${SDM}powerState`]: { value: 'on' } });
    expect(await ids(`/entities?type=Streetlight`, {})).toEqual([]);
    expect(await ids(`/entities?type=${encodeURIComponent(`${SDM}Streetlight`)}&limit=100`, {})).toHaveLength(36);
  });

  it('writes keyValues, concise and system attributes', async () => {
    const id = `urn:ngsi-ld:Streetlight:${suffix}:L-7`;
    const keyValues = (await get(`/entities/${id}?format=keyValues`)).body as Record<string, unknown>;
    expect(keyValues).toMatchObject({ id, type: 'Streetlight', powerState: 'on', wattage: 50, refStreetlightGroup: 'urn:ngsi-ld:StreetlightGroup:G1', annotations: { note: 'check 7', level: 7 } });
    const concise = (await get(`/entities/${id}?options=concise`)).body as Record<string, unknown>;
    expect(concise).toMatchObject({ powerState: 'on', wattage: { value: 50, unitCode: 'WTT' }, refStreetlightGroup: { object: 'urn:ngsi-ld:StreetlightGroup:G1' }, annotations: { value: { note: 'check 7', level: 7 } } });
    const system = (await get(`/entities/${id}?options=sysAttrs`)).body as Record<string, unknown>;
    expect(Date.parse(system['createdAt'] as string)).toBeLessThanOrEqual(Date.parse(system['modifiedAt'] as string));
  });

  it('projects with attrs, pick and omit', async () => {
    const id = `urn:ngsi-ld:Streetlight:${suffix}:L-1`;
    expect(Object.keys((await get(`/entities/${id}?attrs=wattage,status`)).body as object).sort()).toEqual(['id', 'status', 'type', 'wattage']);
    expect(Object.keys((await get(`/entities/${id}?pick=id,powerState`)).body as object).sort()).toEqual(['id', 'powerState']);
    const omitted = (await get(`/entities/${id}?omit=location,type`)).body as Record<string, unknown>;
    expect(omitted).not.toHaveProperty('location');
    expect(omitted).not.toHaveProperty('type');
    expect((await get(`/entities/${id}?attrs=wattage&pick=id`)).status).toBe(400);
  });

  // q (clause 4.9): every operator, precedence, value kinds, paths, ranges, lists, regex, arrays.
  it.each([
    ['powerState==off', `f.properties->>'powerState' = 'off'`],
    ['powerState!=off', `f.properties->>'powerState' <> 'off'`],
    ['wattage>50', `(f.properties->>'wattage')::numeric > 50`],
    ['wattage>=50', `(f.properties->>'wattage')::numeric >= 50`],
    ['wattage<40', `(f.properties->>'wattage')::numeric < 40`],
    ['wattage<=40', `(f.properties->>'wattage')::numeric <= 40`],
    ['wattage==40..60', `(f.properties->>'wattage')::numeric BETWEEN 40 AND 60`],
    ['wattage==30,70', `(f.properties->>'wattage')::numeric IN (30, 70)`],
    ['wattage=="40"', 'false'],
    ['status=="ok";wattage==30', `f.properties->>'status' = 'ok' AND (f.properties->>'wattage')::numeric = 30`],
    ['status=="ok"|wattage==30', `(f.properties->>'status' = 'ok' OR (f.properties->>'wattage')::numeric = 30)`],
    ['status=="ok";wattage==30|powerState=="off"', `((f.properties->>'status' = 'ok' AND (f.properties->>'wattage')::numeric = 30) OR f.properties->>'powerState' = 'off')`],
    ['status=="ok";(wattage==30|powerState=="off")', `(f.properties->>'status' = 'ok' AND ((f.properties->>'wattage')::numeric = 30 OR f.properties->>'powerState' = 'off'))`],
    ['annotations', `f.properties ? 'annotations'`],
    ['annotations[level]>10', `(f.properties->'annotations'->>'level')::numeric > 10`],
    ['status~=defect.*', `f.properties->>'status' ~ 'defect.*'`],
    ['status!~=^ok$', `f.properties->>'status' !~ '^ok$'`],
    ['lampTags=="smart"', `f.properties->'lampTags' @> '["smart"]'`],
    ['dateLastLampChange>2024-05-01T00:00:00Z', `(f.properties->>'dateLastLampChange')::timestamptz > '2024-05-01T00:00:00Z'`],
    ['refStreetlightGroup==urn:ngsi-ld:StreetlightGroup:G2', `f.properties->>'refStreetlightGroup' = 'urn:ngsi-ld:StreetlightGroup:G2'`],
    ['name=="Light 1"', `f.properties->>'name' = 'Light 1'`],
  ])('q=%s selects what SQL selects', async (q, predicate) => {
    const expected = await oracle(predicate);
    expect(await ids(`/entities?type=Streetlight&limit=100&q=${encodeURIComponent(q)}`)).toEqual(expected);
  });

  // georel (clause 4.10) with Point and Polygon references, against PostGIS on the same rows.
  const reference = { point: [9.732, 52.372], polygon: [[[9.7305, 52.3705], [9.7335, 52.3705], [9.7335, 52.3735], [9.7305, 52.3735], [9.7305, 52.3705]]] };
  it.each([
    ['near;maxDistance==150', 'Point', reference.point, `ST_DWithin(f.geom::geography, ST_SetSRID(ST_MakePoint(9.732, 52.372), 4326)::geography, 150)`, lights],
    ['near;minDistance==150', 'Point', reference.point, `NOT ST_DWithin(f.geom::geography, ST_SetSRID(ST_MakePoint(9.732, 52.372), 4326)::geography, 150)`, lights],
    ['equals', 'Point', reference.point, `ST_Equals(f.geom, ST_SetSRID(ST_MakePoint(9.732, 52.372), 4326))`, lights],
    ['within', 'Polygon', reference.polygon, `ST_Within(f.geom, ST_GeomFromText('POLYGON((9.7305 52.3705, 9.7335 52.3705, 9.7335 52.3735, 9.7305 52.3735, 9.7305 52.3705))', 4326))`, lights],
    ['disjoint', 'Polygon', reference.polygon, `ST_Disjoint(f.geom, ST_GeomFromText('POLYGON((9.7305 52.3705, 9.7335 52.3705, 9.7335 52.3735, 9.7305 52.3735, 9.7305 52.3705))', 4326))`, lights],
    ['intersects', 'Polygon', reference.polygon, `ST_Intersects(f.geom, ST_GeomFromText('POLYGON((9.7305 52.3705, 9.7335 52.3705, 9.7335 52.3735, 9.7305 52.3735, 9.7305 52.3705))', 4326))`, buildings],
    ['contains', 'Point', [9.7301, 52.3705], `ST_Contains(f.geom, ST_SetSRID(ST_MakePoint(9.7301, 52.3705), 4326))`, buildings],
    ['overlaps', 'Polygon', reference.polygon, `ST_Overlaps(f.geom, ST_GeomFromText('POLYGON((9.7305 52.3705, 9.7335 52.3705, 9.7335 52.3735, 9.7305 52.3735, 9.7305 52.3705))', 4326))`, buildings],
    // A self-intersecting (bow-tie) reference, as the ETSI suite's 019_11 sends: repaired like stored geometries, no 500.
    ['intersects', 'Polygon', [[[9.7305, 52.3705], [9.7335, 52.3735], [9.7335, 52.3705], [9.7305, 52.3735], [9.7305, 52.3705]]], `ST_Intersects(f.geom, ST_MakeValid(ST_GeomFromText('POLYGON((9.7305 52.3705, 9.7335 52.3735, 9.7335 52.3705, 9.7305 52.3735, 9.7305 52.3705))', 4326)))`, buildings],
    ['equals', 'Polygon', [[[9.7305, 52.3705], [9.7335, 52.3735], [9.7335, 52.3705], [9.7305, 52.3735], [9.7305, 52.3705]]], `ST_Equals(f.geom, ST_MakeValid(ST_GeomFromText('POLYGON((9.7305 52.3705, 9.7335 52.3735, 9.7335 52.3705, 9.7305 52.3735, 9.7305 52.3705))', 4326)))`, buildings],
  ])('georel=%s with a %s selects what PostGIS selects', async (georel, geometry, coordinates, predicate, collection) => {
    const type = collection === lights ? 'Streetlight' : 'Building';
    const context = collection === lights ? STREETLIGHTING : BUILDING;
    const expected = await oracle(predicate, [], collection);
    const query = `type=${type}&limit=100&georel=${encodeURIComponent(georel)}&geometry=${geometry}&coordinates=${encodeURIComponent(JSON.stringify(coordinates))}`;
    const found = await ids(`/entities?${query}`, { Link: LINK(context) });
    expect(found).toEqual(expected);
    expect(found.length + (georel.startsWith('near') ? 0 : 1)).toBeGreaterThan(0);
  });

  it('counts, pages with Link headers and keeps the order stable', async () => {
    const first = await get('/entities?type=Streetlight&limit=10&count=true');
    expect(first.headers.get('ngsild-results-count')).toBe('36');
    expect(first.headers.get('link')).toContain('rel="next"');
    const all: string[] = [];
    for (let offset = 0; offset < 36; offset += 10) all.push(...(await ids(`/entities?type=Streetlight&limit=10&offset=${offset}`)));
    expect(new Set(all).size).toBe(36);
    expect((await get('/entities?type=Streetlight&limit=0&count=true')).body).toEqual([]);
  });

  it('answers GeoJSON with the geometry of the geometryProperty', async () => {
    const answer = await get('/entities?type=Streetlight&limit=3', { Link: LINK(STREETLIGHTING), Accept: 'application/geo+json' });
    expect(answer.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const collection = answer.body as { type: string; features: { type: string; geometry: { type: string }; properties: Record<string, unknown> }[]; '@context': unknown };
    expect(collection.type).toBe('FeatureCollection');
    expect(collection['@context']).toEqual([STREETLIGHTING, 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld']);
    expect(collection.features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Point' }, properties: { type: 'Streetlight' } });
  });

  it('queries by POST /entityOperations/query as by GET', async () => {
    const response = await fetch(`${server.url}/ngsi-ld/v1/entityOperations/query?limit=100`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/ld+json' },
      body: JSON.stringify({ type: 'Query', entities: [{ type: 'Streetlight' }], q: 'wattage>60', '@context': STREETLIGHTING }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { id: string }[]).map((e) => e.id).sort()).toEqual(await oracle(`(f.properties->>'wattage')::numeric > 60`));
  });

  it.each([
    ['an unknown parameter', '/entities?type=Streetlight&invalidParam=1', 400, 'InvalidRequest', { Link: LINK(STREETLIGHTING) }],
    ['no type, attrs, q or geo-query', `/entities?id=urn:ngsi-ld:Streetlight:${suffix}:L-1`, 400, 'BadRequestData', { Link: LINK(STREETLIGHTING) }],
    ['a q syntax error', '/entities?type=Streetlight&q=wattage%3E%3E3', 400, 'BadRequestData', { Link: LINK(STREETLIGHTING) }],
    ['a georel without geometry', '/entities?type=Streetlight&georel=near;maxDistance==5', 400, 'BadRequestData', { Link: LINK(STREETLIGHTING) }],
    ['limit 0 without count', '/entities?type=Streetlight&limit=0', 400, 'BadRequestData', { Link: LINK(STREETLIGHTING) }],
    ['an id that is no URI', '/entities/not%20a%20uri', 400, 'BadRequestData', { Link: LINK(STREETLIGHTING) }],
    ['an unknown entity', `/entities/urn:ngsi-ld:Streetlight:${suffix}:nothing`, 404, 'ResourceNotFound', { Link: LINK(STREETLIGHTING) }],
    ['a context placelink may not fetch', '/entities?type=Streetlight', 503, 'LdContextNotAvailable', { Link: LINK('https://example.org/remote.jsonld') }],
    ['a tenant (placelink has one)', '/entities?type=Streetlight', 501, 'NoMultiTenantSupport', { Link: LINK(STREETLIGHTING), 'NGSILD-Tenant': 'city-b' }],
    ['an unknown format', '/entities?type=Streetlight&format=table', 400, 'InvalidRequest', { Link: LINK(STREETLIGHTING) }],
  ])('answers %s with the NGSI-LD error and no 500', async (_name, path, status, type, headers) => {
    const answer = await get(path, headers);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('link')).toBeNull();
    expect(answer.body).toMatchObject({ type: `https://uri.etsi.org/ngsi-ld/errors/${type}`, status, title: expect.any(String), detail: expect.any(String) });
  });

  it('discovers entity types and attributes in the request names', async () => {
    const list = (await get('/types')).body as { type: string; typeList: string[] };
    expect(list.type).toBe('EntityTypeList');
    expect(list.typeList).toEqual(expect.arrayContaining(['Streetlight', 'https://smartdatamodels.org/dataModel.Building/Building']));
    const info = (await get('/types/Streetlight')).body as { typeName: string; entityCount: number; attributeDetails: { attributeName: string; attributeTypes: string[] }[] };
    expect(info.typeName).toBe('Streetlight');
    expect(info.entityCount).toBeGreaterThanOrEqual(36);
    expect(info.attributeDetails).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attributeName: 'wattage', attributeTypes: ['Property'] }),
        expect.objectContaining({ attributeName: 'refStreetlightGroup', attributeTypes: ['Relationship'] }),
        expect.objectContaining({ attributeName: 'location', attributeTypes: ['GeoProperty'] }),
      ]),
    );
    const attribute = (await get('/attributes/wattage')).body as { attributeCount: number; typeNames: string[] };
    expect(attribute.typeNames).toContain('Streetlight');
    expect(attribute.attributeCount).toBeGreaterThanOrEqual(36);
    expect((await get('/attributes')).body).toMatchObject({ type: 'AttributeList', attributeList: expect.arrayContaining(['wattage', 'powerState']) });
    expect((await get('/types/NoSuchType')).status).toBe(404);
  });

  it('answers bodies the ETSI OpenAPI 1.8.1 schemas accept: entities, type and attribute lists, ProblemDetails', async () => {
    const entity = (await get(`/entities/urn:ngsi-ld:Streetlight:${suffix}:L-3`)).body;
    expect(etsiSchemaErrors('Entity', entity)).toEqual([]);
    for (const e of (await get('/entities?type=Streetlight&limit=5')).body as unknown[]) expect(etsiSchemaErrors('Entity', e)).toEqual([]);
    expect(etsiSchemaErrors('EntityTypeList', (await get('/types')).body)).toEqual([]);
    expect(etsiSchemaErrors('EntityTypeInfo', (await get('/types/Streetlight')).body)).toEqual([]);
    expect(etsiSchemaErrors('AttributeList', (await get('/attributes')).body)).toEqual([]);
    expect(etsiSchemaErrors('Attribute', (await get('/attributes/wattage')).body)).toEqual([]);
    expect(etsiSchemaErrors('ProblemDetails', (await get('/types/NoSuchType')).body)).toEqual([]);
    // and the schemas do refuse what is wrong
    expect(etsiSchemaErrors('Entity', { ...(entity as object), id: 42 })).not.toEqual([]);
  });

  it('refuses a representation it cannot produce with 406', async () => {
    expect((await get('/entities?type=Streetlight', { Accept: 'application/xml' })).status).toBe(406);
  });
});
