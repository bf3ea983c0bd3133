import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidParameterError, OperationNotSupportedError } from '../../src/domain/errors.js';
import type { StoredSubscription, SubscriptionRecord } from '../../src/domain/subscription.js';
import { contextLoader } from '../../src/ngsild/context/context-loader.js';
import { CORE_CONTEXT_URL } from '../../src/ngsild/context/offline-contexts.js';
import { termMaps, type TermMap } from '../../src/ngsild/context/term-map.js';
import { readFragment, readSubscription, renamedTypes, type RequestNames } from '../../src/ngsild/subscriptions/subscription-input.js';
import { renderSubscription } from '../../src/ngsild/subscriptions/subscription-output.js';

const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const SDM = 'https://smartdatamodels.org/dataModel.Streetlighting/';
const maps = termMaps(contextLoader({ allow: [], timeoutMs: 1000, ttlMs: 60_000 }).load, CORE_CONTEXT_URL);
const NOW = Date.parse('2026-06-01T00:00:00Z');
const endpoint = { uri: 'http://127.0.0.1:8080/notify' };

let streetlighting: RequestNames;
let core: RequestNames;

beforeAll(async () => {
  streetlighting = { terms: await maps.of([STREETLIGHTING]), context: [STREETLIGHTING] };
  core = { terms: await maps.of([]), context: [] };
});

const read = (body: Record<string, unknown>, names = streetlighting) => readSubscription({ type: 'Subscription', notification: { endpoint }, ...body }, names, NOW);

function stored(record: SubscriptionRecord): StoredSubscription {
  return {
    ...record,
    delivery: { timesSent: 0, timesFailed: 0, lastNotification: null, lastSuccess: null, lastFailure: null, lastStatus: null },
    pushTo: null,
    createdAt: '2026-05-01T00:00:00Z',
    modifiedAt: '2026-05-01T00:00:00Z',
  };
}

describe('reading a subscription', () => {
  it('keeps names as IRIs (types, watched attributes, projections), q and geoQ with their @context, and control members apart', () => {
    const record = read({
      id: 'urn:ngsi-ld:Subscription:1',
      entities: [{ type: 'Streetlight,(Streetlight;StreetlightGroup)', idPattern: '^urn:x' }, { type: 'Streetlight', id: 'urn:ngsi-ld:Streetlight:1' }],
      watchedAttributes: ['powerState', 'powerState', 'https://example.org/other'],
      q: 'powerState=="on"',
      geoQ: { georel: 'near;maxDistance==10', geometry: 'Point', coordinates: [9.7, 52.3] },
      notificationTrigger: ['entityCreated', 'entityCreated', 'attributeDeleted'],
      isActive: false,
      expiresAt: '2030-01-01T12:00:00+01:00',
      throttling: 5,
      notification: { attributes: ['powerState'], format: 'concise', showChanges: true, sysAttrs: true, endpoint: { ...endpoint, accept: 'application/ld+json', receiverInfo: [{ key: 'Authorization', value: 'Bearer x' }] } },
    });
    expect(record).toEqual({
      id: 'urn:ngsi-ld:Subscription:1',
      context: [STREETLIGHTING],
      isActive: false,
      expiresAt: '2030-01-01T11:00:00.000Z',
      throttling: 5,
      timeInterval: null,
      definition: {
        entities: [{ type: `${SDM}Streetlight,(${SDM}Streetlight;${SDM}StreetlightGroup)`, idPattern: '^urn:x' }, { type: `${SDM}Streetlight`, id: 'urn:ngsi-ld:Streetlight:1' }],
        watchedAttributes: [`${SDM}powerState`, 'https://example.org/other'],
        q: { value: 'powerState=="on"', context: [STREETLIGHTING] },
        geoQ: { value: { georel: 'near;maxDistance==10', geometry: 'Point', coordinates: [9.7, 52.3] }, context: [STREETLIGHTING] },
        notificationTrigger: ['entityCreated', 'attributeDeleted'],
        notification: { attributes: [`${SDM}powerState`], format: 'concise', showChanges: true, sysAttrs: true, endpoint: { ...endpoint, accept: 'application/ld+json', receiverInfo: [{ key: 'Authorization', value: 'Bearer x' }] } },
      },
    });
  });

  it('makes an id when the body has none, and takes pick and omit apart from id and type', () => {
    const record = read({ entities: [{ type: 'Streetlight' }], notification: { endpoint, pick: ['id', 'powerState'] } });
    expect(record.id).toMatch(/^urn:ngsi-ld:Subscription:[0-9a-f-]{36}$/);
    expect(record.definition.notification.pick).toEqual(['id', `${SDM}powerState`]);
    expect(read({ entities: [{ type: 'Streetlight' }], notification: { endpoint, omit: ['type,location'] } }).definition.notification.omit).toEqual(['type', 'https://uri.etsi.org/ngsi-ld/location']);
  });

  it('takes format simplified as keyValues (046_25, 046_29), join with joinLevel, and datasetId', () => {
    const record = read({ entities: [{ type: 'Streetlight' }], datasetId: ['urn:ngsi-ld:Dataset:a', '@none'], notification: { endpoint, format: 'simplified', join: 'flat', joinLevel: 2 } });
    expect(record.definition.notification).toMatchObject({ format: 'keyValues', join: 'flat', joinLevel: 2 });
    expect(record.definition.datasetId).toEqual(['urn:ngsi-ld:Dataset:a', '@none']);
    expect(read({ entities: [{ type: 'Streetlight' }], notification: { endpoint, join: '@none' } }).definition.notification.join).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, new (...args: never[]) => Error]>([
    ['type not Subscription', { type: 'Entity', entities: [{ type: 'A' }] }, InvalidInputError],
    ['timeInterval without entities', { watchedAttributes: ['a'], timeInterval: 5 }, InvalidInputError],
    ['a timeInterval below 1', { entities: [{ type: 'A' }], timeInterval: 0.5 }, InvalidInputError],
    ['throttling as a string', { entities: [{ type: 'A' }], throttling: '5' }, InvalidInputError],
    ['an entity selector member of its own', { entities: [{ type: 'A', colour: 'red' }] }, InvalidInputError],
    ['an entity id that is no URI', { entities: [{ type: 'A', id: 'nope' }] }, InvalidParameterError],
    ['a watched attribute that is no name', { watchedAttributes: ['a b'] }, InvalidInputError],
    ['a receiverInfo that sets Content-Type', { entities: [{ type: 'A' }], notification: { endpoint: { ...endpoint, receiverInfo: [{ key: 'Content-Type', value: 'x' }] } } }, InvalidInputError],
    ['a receiverInfo value with a line break', { entities: [{ type: 'A' }], notification: { endpoint: { ...endpoint, receiverInfo: [{ key: 'X-A', value: 'a\r\nB: c' }] } } }, InvalidInputError],
    ['an MQTT-QoS of 3', { entities: [{ type: 'A' }], notification: { endpoint: { ...endpoint, notifierInfo: [{ key: 'MQTT-QoS', value: '3' }] } } }, InvalidInputError],
    ['a q with a linked-entity hop', { entities: [{ type: 'A' }], q: 'rel{Building:name}=="x"' }, OperationNotSupportedError],
    ['a linked projection', { entities: [{ type: 'A' }], notification: { endpoint, pick: ['rel{name}'] } }, OperationNotSupportedError],
    ['scopeQ', { entities: [{ type: 'A' }], scopeQ: '/a' }, OperationNotSupportedError],
    ['a jsonldContext that is no URI', { entities: [{ type: 'A' }], jsonldContext: 'ctx' }, InvalidInputError],
  ])('refuses %s', (_, body, error) => {
    expect(() => readSubscription({ type: 'Subscription', notification: { endpoint }, ...body }, core, NOW)).toThrow(error);
  });

  it('accepts members the system writes (as the suite sends them back) without keeping them', () => {
    const record = read({ entities: [{ type: 'Streetlight' }], status: 'active', createdAt: 'x', notification: { endpoint, status: 'ok', timesSent: 3 } });
    expect(record.definition).toEqual({ entities: [{ type: `${SDM}Streetlight` }], notification: { endpoint } });
  });
});

describe('updating a subscription with a fragment', () => {
  let base: StoredSubscription;

  beforeAll(() => {
    base = stored(read({ entities: [{ type: 'Streetlight' }], watchedAttributes: ['powerState'], q: 'powerState=="on"', throttling: 10, notification: { endpoint, format: 'keyValues', attributes: ['powerState'] } }));
  });

  it('replaces members, merges notification member by member, and null removes an optional member', () => {
    const record = readFragment({ type: 'Subscription', q: null, throttling: null, notification: { format: 'normalized', attributes: null }, description: 'lights' }, base, streetlighting, NOW);
    expect(record.throttling).toBeNull();
    expect(record.definition).toEqual({ entities: [{ type: `${SDM}Streetlight` }], watchedAttributes: [`${SDM}powerState`], description: 'lights', notification: { endpoint, format: 'normalized' } });
  });

  it('expands the fragment names with the fragment request @context, whatever the subscription was made with', () => {
    expect(readFragment({ type: 'Subscription', watchedAttributes: ['https://example.org/x'] }, base, core, NOW).definition.watchedAttributes).toEqual(['https://example.org/x']);
    expect(readFragment({ type: 'Subscription', watchedAttributes: ['powerState'] }, base, core, NOW).definition.watchedAttributes).toEqual(['https://uri.etsi.org/ngsi-ld/default-context/powerState']);
  });

  it('checks the whole again (throttling and timeInterval), and keeps the mandatory members', () => {
    expect(() => readFragment({ type: 'Subscription', timeInterval: 5 }, base, streetlighting, NOW)).toThrow(InvalidInputError);
    expect(() => readFragment({ type: 'Subscription', notification: { endpoint: null } }, base, streetlighting, NOW)).toThrow(/endpoint cannot be removed/);
    expect(() => readFragment({ type: 'Subscription', entities: null, watchedAttributes: null }, base, streetlighting, NOW)).toThrow(/entities or watchedAttributes/);
    expect(() => readFragment({ isActive: false }, base, streetlighting, NOW)).toThrow(/type must be "Subscription"/);
    expect(() => readFragment({ type: 'Subscription', id: 'urn:other' }, base, streetlighting, NOW)).toThrow(/not the subscription's/);
    expect(() => readFragment({ type: 'Subscription', notification: { showChanges: true } }, base, streetlighting, NOW)).toThrow(/keyValues/);
  });

  it('pauses and resumes; an expiresAt in the past is refused', () => {
    expect(readFragment({ type: 'Subscription', isActive: false }, base, streetlighting, NOW).isActive).toBe(false);
    expect(readFragment({ type: 'Subscription', isActive: null }, { ...base, isActive: false }, streetlighting, NOW).isActive).toBe(true);
    expect(() => readFragment({ type: 'Subscription', expiresAt: '2026-05-31T23:59:59Z' }, base, streetlighting, NOW)).toThrow(/not in the future/);
  });
});

describe('answering a subscription', () => {
  let terms: TermMap;
  beforeAll(async () => {
    terms = await maps.of([STREETLIGHTING]);
  });

  it('writes the names in the request @context, the status, the triggers in force and the counters there are', () => {
    const subscription = stored(read({ entities: [{ type: 'Streetlight,(Streetlight;StreetlightGroup)' }], watchedAttributes: ['powerState'], notification: { endpoint, pick: ['id', 'powerState'] } }, streetlighting));
    const later = { ...subscription, expiresAt: '2026-05-31T23:00:00.000Z', delivery: { ...subscription.delivery, timesSent: 2, timesFailed: 1, lastFailure: '2026-05-31T22:00:00Z', lastStatus: 'failed' as const } };
    expect(renderSubscription(later, terms, true, NOW)).toEqual({
      id: subscription.id,
      type: 'Subscription',
      entities: [{ type: 'Streetlight,(Streetlight;StreetlightGroup)' }],
      watchedAttributes: ['powerState'],
      notificationTrigger: ['attributeCreated', 'attributeUpdated'],
      expiresAt: '2026-05-31T23:00:00.000Z',
      status: 'expired',
      notification: { pick: ['id', 'powerState'], endpoint, status: 'failed', timesSent: 2, timesFailed: 1, lastFailure: '2026-05-31T22:00:00Z' },
      createdAt: '2026-05-01T00:00:00Z',
      modifiedAt: '2026-05-01T00:00:00Z',
    });
  });

  it('renames the IRIs of a type selection', () => {
    expect(renamedTypes(`${SDM}Streetlight,(${SDM}A;https://example.org/B)`, (iri) => iri.replace(SDM, 'sdm:'))).toBe('sdm:Streetlight,(sdm:A;https://example.org/B)');
  });
});
