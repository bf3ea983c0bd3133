import { beforeAll, describe, expect, it } from 'vitest';
import type { EntityRow } from '../../src/domain/entity.js';
import type { EntityChange, StoredSubscription } from '../../src/domain/subscription.js';
import { contextLoader } from '../../src/ngsild/context/context-loader.js';
import { CORE_CONTEXT_URL } from '../../src/ngsild/context/offline-contexts.js';
import { termMaps, type TermMap } from '../../src/ngsild/context/term-map.js';
import type { EntityType } from '../../src/ngsild/entities/entity-types.js';
import { backoffMs } from '../../src/ngsild/subscriptions/delivery.js';
import { notificationData, notifiedEntity, touchedAttributes } from '../../src/ngsild/subscriptions/notification-content.js';
import { notificationMessage } from '../../src/ngsild/subscriptions/notification-message.js';
import { readSubscription } from '../../src/ngsild/subscriptions/subscription-input.js';
import { combineChanges, compileSubscription, selects, triggers, type ChangedEntity, type CompiledSubscription } from '../../src/ngsild/subscriptions/subscription-matching.js';

const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const SDM = 'https://smartdatamodels.org/dataModel.Streetlighting/';
const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
const maps = termMaps(contextLoader({ allow: [], timeoutMs: 1000, ttlMs: 60_000 }).load, CORE_CONTEXT_URL);
const ID = 'urn:ngsi-ld:Streetlight:L1';

let lights: EntityType;
let groups: EntityType;
let terms: TermMap;

beforeAll(async () => {
  terms = await maps.of([STREETLIGHTING]);
  const collection = (key: number, type: string) => ({ key, id: `c${key}`, type, context: [STREETLIGHTING], writable: false, mappingId: null, attributes: {} });
  lights = { collection: collection(7, 'Streetlight'), terms, typeIri: `${SDM}Streetlight`, entities: 1, properties: ['name', 'powerState'], located: true, stored: false, linked: false };
  groups = { collection: collection(8, 'StreetlightGroup'), terms, typeIri: `${SDM}StreetlightGroup`, entities: 1, properties: [], located: false, stored: false, linked: false };
});

function subscription(body: Record<string, unknown>): StoredSubscription {
  return {
    ...readSubscription({ type: 'Subscription', id: 'urn:ngsi-ld:Subscription:s', ...body }, { terms, context: [STREETLIGHTING] }, 0),
    delivery: { timesSent: 0, timesFailed: 0, lastNotification: null, lastSuccess: null, lastFailure: null, lastStatus: null },
    pushTo: null,
    createdAt: '2026-01-01T00:00:00Z',
    modifiedAt: '2026-01-01T00:00:00Z',
  };
}

const compile = (body: Record<string, unknown>): Promise<CompiledSubscription> =>
  compileSubscription(subscription({ notification: { endpoint: { uri: 'http://127.0.0.1/n' } }, ...body }), [lights, groups], maps);

function change(changeId: number, event: EntityChange['event'], attributes: Partial<Pick<EntityChange, 'created' | 'updated' | 'deleted' | 'previous'>> = {}, entityId = ID): EntityChange {
  return { changeId, collectionKey: 7, entityId, event, created: [], updated: [], deleted: [], previous: null, changedAt: `2026-03-01T00:00:0${changeId}Z`, onlyFor: null, ...attributes };
}

const previous = (values: Record<string, unknown>, extra: Partial<NonNullable<EntityChange['previous']>> = {}) => ({ values, attributes: null, location: null, createdAt: null, modifiedAt: null, ...extra });

const row = (properties: Record<string, unknown>, geometry: EntityRow['geometry'] = { type: 'Point', coordinates: [9.7, 52.3] }): EntityRow => ({
  collectionKey: 7,
  id: ID,
  featureId: 'L1',
  geometry,
  properties,
  attributes: null,
  createdAt: '2026-01-01T00:00:00Z',
  modifiedAt: '2026-03-01T00:00:00Z',
});

describe('combining the changes of a batch per entity', () => {
  it('adds updates up, keeping the earliest previous value and time', () => {
    const [one] = combineChanges([
      change(1, 'updated', { updated: ['powerState'], previous: previous({ powerState: 'off' }) }),
      change(2, 'updated', { updated: ['powerState', 'name'], deleted: ['x'], previous: previous({ powerState: 'on', name: 'A' }) }),
    ]);
    expect(one).toMatchObject({ event: 'updated', changedAt: '2026-03-01T00:00:01Z', previous: { values: { powerState: 'off', name: 'A' } } });
    expect([...one!.updated]).toEqual(['powerState', 'name']);
    expect([...one!.deleted]).toEqual(['x']);
  });

  it('keeps a creation a creation (with the updates after it), ends with a deletion, and a creation after a deletion is one', () => {
    const [created] = combineChanges([change(1, 'created'), change(2, 'updated', { updated: ['name'], previous: previous({ name: 'A' }) })]);
    expect(created).toMatchObject({ event: 'created', previous: null });
    expect([...created!.updated]).toEqual(['name']);
    expect(combineChanges([change(1, 'updated', { updated: ['name'] }), change(2, 'deleted', { previous: previous({ name: 'A' }) })])).toMatchObject([{ event: 'deleted', changedAt: '2026-03-01T00:00:01Z', previous: { values: { name: 'A' } } }]);
    expect(combineChanges([change(1, 'deleted'), change(2, 'created')]).map((e) => e.event)).toEqual(['created']);
  });

  it('keeps entities apart, in the order they first changed', () => {
    expect(combineChanges([change(1, 'updated', {}, 'urn:b'), change(2, 'created', {}, 'urn:a'), change(3, 'updated', {}, 'urn:b')]).map((e) => e.entityId)).toEqual(['urn:b', 'urn:a']);
  });
});

describe('which subscriptions a change concerns', () => {
  it('selects by type, id (which wins over idPattern) and idPattern', async () => {
    const byType = await compile({ entities: [{ type: 'StreetlightGroup' }] });
    expect(selects(byType, { collectionKey: 7, entityId: ID })).toBe(false);
    expect(selects(byType, { collectionKey: 8, entityId: ID })).toBe(true);
    const byId = await compile({ entities: [{ type: 'Streetlight', id: 'urn:other', idPattern: '.*' }] });
    expect(selects(byId, { collectionKey: 7, entityId: ID })).toBe(false);
    const byPattern = await compile({ entities: [{ type: 'Streetlight', idPattern: ':L[0-9]$' }] });
    expect(selects(byPattern, { collectionKey: 7, entityId: ID })).toBe(true);
    expect(selects(byPattern, { collectionKey: 7, entityId: `${ID}0` })).toBe(false);
    const any = await compile({ watchedAttributes: ['name'] });
    expect(selects(any, { collectionKey: 8, entityId: 'urn:x' })).toBe(true);
  });

  type TriggerCase = [string, Record<string, unknown>, ChangedEntity['event'], { created?: string[]; updated?: string[]; deleted?: string[] }, boolean];
  const cases: TriggerCase[] = [
    ['the default triggers: an attribute updated', {}, 'updated', { updated: ['powerState'] }, true],
    ['the default triggers: an entity created (its attributes are created)', {}, 'created', { created: ['powerState'] }, true],
    ['the default triggers: an attribute deleted', {}, 'updated', { deleted: ['powerState'] }, false],
    ['the default triggers: an entity deleted', {}, 'deleted', { deleted: ['powerState'] }, false],
    ['attributeDeleted: an entity deleted', { notificationTrigger: ['attributeDeleted'] }, 'deleted', { deleted: ['powerState'] }, true],
    ['entityDeleted: an entity without attributes', { notificationTrigger: ['entityDeleted'] }, 'deleted', {}, true],
    ['entityCreated: an entity without attributes', { notificationTrigger: ['entityCreated'] }, 'created', {}, true],
    ['attributeCreated: an entity without attributes', { notificationTrigger: ['attributeCreated'] }, 'created', {}, false],
    ['entityUpdated: an attribute deleted', { notificationTrigger: ['entityUpdated'] }, 'updated', { deleted: ['name'] }, true],
    ['entityUpdated: a creation', { notificationTrigger: ['entityUpdated'] }, 'created', { created: ['name'] }, false],
    ['entityUpdated: created and updated in one batch', { notificationTrigger: ['entityUpdated'] }, 'created', { created: ['name'], updated: ['name'] }, true],
    ['attributeDeleted: created and an attribute deleted in one batch', { notificationTrigger: ['attributeDeleted'] }, 'created', { created: ['name'], deleted: ['powerState'] }, true],
    ['watched: another attribute updated', { watchedAttributes: ['powerState'] }, 'updated', { updated: ['name'] }, false],
    ['watched: the attribute created by an update', { watchedAttributes: ['powerState'] }, 'updated', { updated: ['name'], created: ['powerState'] }, true],
    ['watched with entityUpdated: another attribute', { watchedAttributes: ['powerState'], notificationTrigger: ['entityUpdated'] }, 'updated', { updated: ['name'] }, false],
  ];

  it.each(cases.map(([name, body, event, touched, fires]): TriggerCase => [`${name}: ${fires ? 'notified' : 'not notified'}`, body, event, touched, fires]))('%s', async (_, body, event, touched, fires) => {
    const compiled = await compile({ entities: [{ type: 'Streetlight' }], ...body });
    const iris = (names: string[] = []) => names.map((name) => terms.expand(name));
    expect(triggers(compiled, event, { created: iris(touched.created), updated: iris(touched.updated), deleted: iris(touched.deleted) })).toBe(fires);
  });

  it('counts as touched what a created entity has and what a deleted one had, location included', async () => {
    const compiled = await compile({ entities: [{ type: 'Streetlight' }] });
    const [created] = combineChanges([change(1, 'created')]);
    expect(touchedAttributes(created!, row({ powerState: 'on' }), lights, compiled.output).created).toEqual([`${SDM}powerState`, LOCATION]);
    const [deleted] = combineChanges([change(1, 'deleted', { previous: previous({ powerState: 'on' }, { location: { type: 'Point', coordinates: [1, 2] } }) })]);
    expect(touchedAttributes(deleted!, null, lights, compiled.output).deleted).toEqual([`${SDM}powerState`, LOCATION]);
  });
});

describe('the entities of a notification', () => {
  const updated = () => combineChanges([change(1, 'updated', { updated: ['powerState'], deleted: ['name'], previous: previous({ powerState: 'off', name: 'A' }) })])[0]!;

  it('normalized with showChanges: previousValue beside the value, a deleted attribute as the NGSI-LD Null with what it was', async () => {
    const compiled = await compile({ entities: [{ type: 'Streetlight' }], notification: { showChanges: true, endpoint: { uri: 'http://127.0.0.1/n' } } });
    expect(notifiedEntity(compiled, updated(), row({ powerState: 'on' }), lights)).toEqual({
      id: ID,
      type: 'Streetlight',
      powerState: { type: 'Property', value: 'on', previousValue: 'off' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [9.7, 52.3] } },
      name: { type: 'Property', value: 'urn:ngsi-ld:null', previousValue: 'A' },
    });
  });

  it('concise with showChanges: a lone value becomes an object to carry its previous value', async () => {
    const compiled = await compile({ entities: [{ type: 'Streetlight' }], notification: { format: 'concise', showChanges: true, attributes: ['powerState'], endpoint: { uri: 'http://127.0.0.1/n' } } });
    expect(notifiedEntity(compiled, updated(), row({ powerState: 'on' }), lights)).toEqual({ id: ID, type: 'Streetlight', powerState: { value: 'on', previousValue: 'off' } });
  });

  it('keyValues of a deleted entity: each attribute the NGSI-LD Null, deletedAt; pick and omit still apply', async () => {
    const [deleted] = combineChanges([change(3, 'deleted', { previous: previous({ powerState: 'on', name: 'A' }, { location: { type: 'Point', coordinates: [1, 2] }, createdAt: '2026-01-01T00:00:00Z' }) })]);
    const keyValues = await compile({ entities: [{ type: 'Streetlight' }], notification: { format: 'keyValues', omit: ['name'], endpoint: { uri: 'http://127.0.0.1/n' } } });
    expect(notifiedEntity(keyValues, deleted!, null, lights)).toEqual({ id: ID, type: 'Streetlight', powerState: 'urn:ngsi-ld:null', location: 'urn:ngsi-ld:null', deletedAt: '2026-03-01T00:00:03Z' });
    const normalized = await compile({ entities: [{ type: 'Streetlight' }], notification: { sysAttrs: true, pick: ['id', 'name'], endpoint: { uri: 'http://127.0.0.1/n' } } });
    expect(notifiedEntity(normalized, deleted!, null, lights)).toEqual({ id: ID, name: { type: 'Property', value: 'urn:ngsi-ld:null' }, createdAt: '2026-01-01T00:00:00Z', deletedAt: '2026-03-01T00:00:03Z' });
  });

  it('a deleted LanguageProperty is a language map holding the NGSI-LD Null (046_22_11, 046_34_04)', async () => {
    const street = { type: 'LanguageProperty', languageMap: { en: 'Main Street', de: 'Hauptstraße' } };
    const [deleted] = combineChanges([change(4, 'updated', { deleted: ['street'], previous: { values: {}, attributes: { street }, location: null, createdAt: null, modifiedAt: null } })]);
    const compiled = await compile({ entities: [{ type: 'Streetlight' }], notification: { showChanges: true, attributes: ['street'], endpoint: { uri: 'http://127.0.0.1/n' } } });
    const stored = { ...row({}), attributes: {} };
    expect(notifiedEntity(compiled, deleted!, stored, lights)).toEqual({ id: ID, type: 'Streetlight', street: { type: 'LanguageProperty', languageMap: { '@none': 'urn:ngsi-ld:null' }, previousLanguageMap: street.languageMap } });
    // the notification of a deleted entity has the plain Null for it (046_37)
    const [gone] = combineChanges([change(5, 'deleted', { previous: { values: {}, attributes: { street }, location: null, createdAt: null, modifiedAt: null } })]);
    expect(notifiedEntity(compiled, gone!, null, lights)).toMatchObject({ street: { type: 'LanguageProperty', languageMap: 'urn:ngsi-ld:null', previousLanguageMap: street.languageMap } });
  });

  it('GeoJSON for an endpoint that accepts it: Features in a FeatureCollection; nothing for an entity gone since', async () => {
    const compiled = await compile({ entities: [{ type: 'Streetlight' }], notification: { format: 'keyValues', endpoint: { uri: 'http://127.0.0.1/n', accept: 'application/geo+json' } } });
    const feature = notifiedEntity(compiled, updated(), row({ powerState: 'on' }), lights);
    expect(feature).toEqual({ id: ID, type: 'Feature', geometry: { type: 'Point', coordinates: [9.7, 52.3] }, properties: { type: 'Streetlight', powerState: 'on', location: { type: 'Point', coordinates: [9.7, 52.3] }, name: 'urn:ngsi-ld:null' } });
    expect(notificationData(compiled, [feature!])).toEqual({ type: 'FeatureCollection', features: [feature] });
    expect(notifiedEntity(compiled, updated(), null, lights)).toBeNull();
  });
});

describe('the notification as it goes out', () => {
  const pending = { id: '00000000-0000-4000-8000-000000000001', data: [{ id: ID, type: 'Streetlight' }], changedAt: '2026-03-01T00:00:00Z' };
  const at = '2026-03-01T00:00:01Z';

  it('JSON: the @context in a Link header (jsonldContext first, else the subscription context, else the core), receiverInfo as headers', () => {
    const message = notificationMessage(subscription({ entities: [{ type: 'A' }], notification: { endpoint: { uri: 'http://x/n', receiverInfo: [{ key: 'X-Key', value: 'v' }] } } }), pending, at);
    expect(message).toEqual({
      contentType: 'application/json',
      link: `<${STREETLIGHTING}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
      receiverInfo: { 'X-Key': 'v' },
      body: { id: `urn:ngsi-ld:Notification:${pending.id}`, type: 'Notification', subscriptionId: 'urn:ngsi-ld:Subscription:s', notifiedAt: at, data: pending.data },
    });
    const withContext = notificationMessage(subscription({ entities: [{ type: 'A' }], jsonldContext: 'https://example.org/ctx.jsonld', notification: { endpoint: { uri: 'http://x/n' } } }), pending, at);
    expect(withContext.link).toContain('<https://example.org/ctx.jsonld>');
  });

  it('JSON-LD: the @context in the body and in each entity (046_14), the core context last', () => {
    const message = notificationMessage(subscription({ entities: [{ type: 'A' }], notification: { endpoint: { uri: 'http://x/n', accept: 'application/ld+json' } } }), pending, at);
    expect(message.link).toBeNull();
    expect(message.body['@context']).toEqual([STREETLIGHTING, CORE_CONTEXT_URL]);
    expect(message.body['data']).toEqual([{ id: ID, type: 'Streetlight', '@context': STREETLIGHTING }]);
  });

  it('GeoJSON: the @context in the FeatureCollection, or in a Link header when the receiver prefers body=json', () => {
    const collection = { ...pending, data: { type: 'FeatureCollection', features: [] } };
    const inBody = notificationMessage(subscription({ entities: [{ type: 'A' }], notification: { endpoint: { uri: 'http://x/n', accept: 'application/geo+json' } } }), collection, at);
    expect(inBody).toMatchObject({ contentType: 'application/geo+json', link: null, body: { data: { type: 'FeatureCollection', features: [], '@context': [STREETLIGHTING, CORE_CONTEXT_URL] } } });
    const linked = notificationMessage(subscription({ entities: [{ type: 'A' }], notification: { endpoint: { uri: 'http://x/n', accept: 'application/geo+json', receiverInfo: [{ key: 'Prefer', value: 'body=json' }] } } }), collection, at);
    expect(linked.link).toContain(STREETLIGHTING);
    expect(linked.body['data']).toEqual({ type: 'FeatureCollection', features: [] });
  });
});

describe('backoff after failures', () => {
  it('doubles from one second up to the cap, and waits at least the endpoint cooldown', () => {
    expect([1, 2, 3, 4, 10, 100].map((n) => backoffMs(n, 60_000))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
    expect(backoffMs(1, 60_000, 5000)).toBe(5000);
  });
});
