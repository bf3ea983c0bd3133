/**
 * Federation with other NGSI-LD brokers, the parts that need no database: the push subscription a
 * mapping's `ngsiLd.pushTo` makes (what it selects, in both pattern dialects), first-sync changes meant
 * for one subscription, the push delivery against a local HTTP receiver (batch upsert and delete,
 * 207, failures), and the Context Source registration body validated against the ETSI OpenAPI 1.8.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, validateMappingText } from '../../src/config/mappings-loader.js';
import type { EntityChange, StoredSubscription } from '../../src/domain/subscription.js';
import { pushOf, pushSubscriptionId } from '../../src/ngsild/federation/push-subscriptions.js';
import { pushEntities } from '../../src/ngsild/federation/push-endpoint.js';
import { registrationBody, registrationId } from '../../src/ngsild/federation/registration.js';
import type { TypeSummary } from '../../src/ngsild/entities/type-summaries.js';
import { notificationMessage } from '../../src/ngsild/subscriptions/notification-message.js';
import { combineChanges, selects, type CompiledSubscription } from '../../src/ngsild/subscriptions/subscription-matching.js';
import { etsiSchemaErrors } from '../helpers/etsi-openapi.js';
import { mappingFrom } from '../helpers/mappings.js';
import { testLogger } from '../helpers/database.js';

const SDM = 'https://smartdatamodels.org/dataModel.Streetlighting/';
const LIGHTS_MAPPING = `
id: lights
source: { type: ogcapi-features, url: "http://127.0.0.1:1/", collection: lights }
target: { collection: lights }
identifiers: { ngsiLdId: "urn:ngsi-ld:{type}:hannover.{collection}:{localId}" }
ngsiLd:
  type: Streetlight
  context: [ "https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld" ]
  pushTo: "http://127.0.0.1:1026/"
`;
const PUSH_SENSORS = `
id: gateway
source: { type: http-push }
target: { collection: gateway-observations }
ngsiLd: { pushTo: "http://127.0.0.1:1026/ngsi-ld/v1" }
datastreams:
  - { id: "lux.1", name: Lux, unit: { symbol: lx }, observedProperty: { name: illuminance }, resultType: number }
  - { id: "no2(a)", name: NO2, unit: { symbol: "µg/m³" }, observedProperty: { name: nitrogen dioxide }, resultType: number }
`;

describe('push subscriptions of mappings', () => {
  it('a feature mapping pushes its entity type, in its @context, to the broker base with /ngsi-ld/v1 added', async () => {
    const push = pushOf((await mappingFrom(LIGHTS_MAPPING)).mapping)!;
    expect(push.pushTo).toBe('http://127.0.0.1:1026/ngsi-ld/v1');
    expect(push.selection).toEqual({ collectionId: 'lights', deviceIdPattern: null });
    expect(push.record.id).toBe(pushSubscriptionId('lights'));
    // the ids its template makes, not other collections' entities of the type
    const [selector] = push.record.definition.entities!;
    expect(selector!.type).toBe('Streetlight');
    const ids = new RegExp(selector!.idPattern!, 'u');
    expect(ids.test('urn:ngsi-ld:Streetlight:hannover.lights:L1')).toBe(true);
    expect(ids.test('urn:ngsi-ld:Streetlight:hannoverXlights:L1')).toBe(false);
    expect(ids.test('urn:ngsi-ld:Streetlight:hannover.other-lights:L1')).toBe(false);
    expect(push.record.context).toEqual(['https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld']);
    expect(push.record.definition.notificationTrigger).toEqual(['entityCreated', 'entityUpdated', 'entityDeleted', 'attributeCreated', 'attributeUpdated', 'attributeDeleted']);
    expect(push.record.definition.notification).toMatchObject({ format: 'normalized', endpoint: { uri: push.pushTo, accept: 'application/ld+json' } });
  });

  it("a sensor mapping pushes exactly its own Devices, the pattern read alike by JavaScript and PostgreSQL's syntax", async () => {
    const push = pushOf((await mappingFrom(PUSH_SENSORS)).mapping)!;
    expect(push.selection.collectionId).toBeNull();
    const pattern = new RegExp(push.selection.deviceIdPattern!, 'u');
    expect(push.record.definition.entities).toEqual([{ type: 'Device', idPattern: push.selection.deviceIdPattern }]);
    expect(pattern.test('urn:ngsi-ld:Device:lux.1')).toBe(true);
    expect(pattern.test('urn:ngsi-ld:Device:no2(a)')).toBe(true);
    expect(pattern.test('urn:ngsi-ld:Device:luxx1')).toBe(false);
    expect(pattern.test('urn:ngsi-ld:Device:lux.10')).toBe(false);
  });

  it('a mapping without pushTo pushes nothing; a sensor mapping that gives an entity type is refused with the place', async () => {
    expect(pushOf((await mappingFrom(LIGHTS_MAPPING.replace(/ {2}pushTo:.*\n/, ''))).mapping)).toBeNull();
    const result = await validateMappingText(PUSH_SENSORS.replace('ngsiLd: { pushTo', 'ngsiLd: { type: Device, pushTo'), 'push.yaml', process.env);
    expect(result.loaded).toBeNull();
    expect(result.issues.map((i) => formatIssue(i)).join('\n')).toMatch(/ngsiLd.*give pushTo only/);
    const untyped = await validateMappingText(LIGHTS_MAPPING.replace('  type: Streetlight\n', ''), 'lights.yaml', process.env);
    expect(untyped.issues.map((i) => formatIssue(i)).join('\n')).toMatch(/ngsiLd\.type.*required/);
  });
});

describe('changes meant for one subscription (a push\'s first sync)', () => {
  const change = (changeId: number, onlyFor: string | null): EntityChange => ({
    changeId,
    collectionKey: 7,
    entityId: 'urn:ngsi-ld:Streetlight:1',
    event: 'created',
    created: [],
    updated: [],
    deleted: [],
    previous: null,
    changedAt: '2026-03-01T00:00:00Z',
    onlyFor,
  });
  const compiled = (id: string) => ({ subscription: { id } as StoredSubscription, selectors: null }) as unknown as CompiledSubscription;

  it('reach only their subscription, until a change for everyone joins them', () => {
    const [seeded] = combineChanges([change(1, 'push-a')]);
    expect(selects(compiled('push-a'), seeded!)).toBe(true);
    expect(selects(compiled('user'), seeded!)).toBe(false);
    const [both] = combineChanges([change(1, 'push-a'), change(2, 'push-b')]);
    expect([selects(compiled('push-a'), both!), selects(compiled('push-b'), both!), selects(compiled('user'), both!)]).toEqual([true, true, false]);
    const [joined] = combineChanges([change(1, 'push-a'), change(2, null)]);
    expect(selects(compiled('user'), joined!)).toBe(true);
  });
});

describe('push delivery into a broker', () => {
  const received: { path: string; contentType: string | undefined; body: unknown }[] = [];
  let answer: (path: string) => { status: number; body?: unknown } = () => ({ status: 204 });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(text) });
        const a = answer(req.url ?? '');
        res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(a.body === undefined ? undefined : JSON.stringify(a.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ngsi-ld/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const CONTEXT = ['https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld', 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld'];
  const subscription = {
    id: 'urn:ngsi-ld:Subscription:placelink-push:lights',
    definition: { notification: { endpoint: { uri: 'x', accept: 'application/ld+json' } } },
    context: [CONTEXT[0]],
    pushTo: 'x',
  } as unknown as StoredSubscription;
  const message = (data: unknown[]) => notificationMessage(subscription, { id: '00000000-0000-4000-8000-000000000001', data, changedAt: '2026-03-01T00:00:00Z' }, '2026-03-01T00:00:01Z');
  const light = { id: 'urn:ngsi-ld:Streetlight:1', type: 'Streetlight', powerState: { type: 'Property', value: 'on' } };

  it('upserts current entities as JSON-LD, each with the @context, and deletes deleted ones by id', async () => {
    received.length = 0;
    answer = () => ({ status: 204 });
    await pushEntities(base, message([light, { id: 'urn:ngsi-ld:Streetlight:2', type: 'Streetlight', deletedAt: '2026-03-01T00:00:00Z' }]), 2000, testLogger);
    expect(received.map((r) => [r.path, r.contentType])).toEqual([
      ['/ngsi-ld/v1/entityOperations/upsert', 'application/ld+json'],
      ['/ngsi-ld/v1/entityOperations/delete', 'application/json'],
    ]);
    expect(received[0]!.body).toEqual([{ ...light, '@context': expect.arrayContaining([CONTEXT[0]]) }]);
    expect(received[1]!.body).toEqual(['urn:ngsi-ld:Streetlight:2']);
  });

  it('a 207 naming single entities counts as delivered (sending them again would be refused again); any other refusal fails', async () => {
    answer = () => ({ status: 207, body: { success: [], errors: [{ entityId: light.id, error: { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', title: 'bad' } }] } });
    await expect(pushEntities(base, message([light]), 2000, testLogger)).resolves.toBeUndefined();
    answer = () => ({ status: 503 });
    await expect(pushEntities(base, message([light]), 2000, testLogger)).rejects.toThrow(/answered 503/);
    await expect(pushEntities('http://127.0.0.1:1/ngsi-ld/v1', message([light]), 2000, testLogger)).rejects.toThrow(/failed/);
  });
});

describe('Context Source registration body', () => {
  const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
  const types = new Map<string, TypeSummary>([
    [
      `${SDM}Streetlight`,
      {
        iri: `${SDM}Streetlight`,
        entities: 2,
        attributes: new Map([
          [`${SDM}powerState`, { types: new Set(['Property']), entities: 2 }],
          [LOCATION, { types: new Set(['GeoProperty']), entities: 2 }],
          [`${SDM}refDevice`, { types: new Set(['Relationship']), entities: 1 }],
        ]),
      },
    ],
    ['https://smartdatamodels.org/dataModel.Device/Device', { iri: 'https://smartdatamodels.org/dataModel.Device/Device', entities: 1, attributes: new Map() }],
  ]);
  const extent = { type: 'Polygon' as const, coordinates: [[[9.7, 52.3], [9.8, 52.3], [9.8, 52.4], [9.7, 52.4], [9.7, 52.3]]] };
  const settings = { endpoint: 'https://places.example.org', intervalMs: 300_000 };

  it('validates against CsourceRegistration of the ETSI OpenAPI 1.8.1 and names every type, property and relationship as IRIs', () => {
    const body = registrationBody(types, extent, settings, Date.parse('2026-12-08T00:00:00Z'))!;
    expect(etsiSchemaErrors('CsourceRegistration', body)).toEqual([]);
    // the schema does refuse what is wrong
    expect(etsiSchemaErrors('CsourceRegistration', { ...body, information: [], mode: 'sometimes' })).toHaveLength(2);
    expect(body).toMatchObject({
      id: registrationId(settings.endpoint),
      type: 'ContextSourceRegistration',
      endpoint: 'https://places.example.org',
      location: extent,
      mode: 'inclusive',
      expiresAt: '2026-12-08T00:15:00.000Z',
      '@context': ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld'],
      information: [
        { entities: [{ type: `${SDM}Streetlight` }], propertyNames: [`${SDM}powerState`, LOCATION], relationshipNames: [`${SDM}refDevice`] },
        { entities: [{ type: 'https://smartdatamodels.org/dataModel.Device/Device' }] },
      ],
    });
    for (const info of body['information'] as unknown[]) expect(etsiSchemaErrors('RegistrationInfo', info)).toEqual([]);
  });

  it('is the same id for every replica of one address, another for another; nothing while placelink holds no entity type', () => {
    expect(registrationId('https://places.example.org')).toBe(registrationId('https://places.example.org'));
    expect(registrationId('https://places.example.org')).not.toBe(registrationId('https://other.example.org'));
    expect(registrationBody(new Map(), null, settings, 0)).toBeNull();
  });
});
