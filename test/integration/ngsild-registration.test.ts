/**
 * Federation registration end to end: placelink as `serve` runs it (startService on the test
 * database) with PLACELINK_NGSILD_REGISTER_AT naming a local receiver that plays the broker: it
 * validates every registration against CsourceRegistration of the ETSI OpenAPI 1.8.1 and answers as a
 * broker would (201 to a POST, 204 to a PATCH, 404 once it has forgotten the registration, 409 for a
 * POST of one it has). placelink registers its entity types with their attributes and its extent,
 * keeps the registration current, and registers again when the broker lost it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigurationError } from '../../src/domain/errors.js';
import { loadConfig } from '../../src/config/env.js';
import { NO_HARVEST_INFO, type CollectionDefinition } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { startService, type RunningService } from '../../src/main.js';
import { registrationId } from '../../src/ngsild/federation/registration.js';
import { importFeatures, inferQueryables } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { etsiSchemaErrors } from '../helpers/etsi-openapi.js';
import { feature } from '../helpers/fixtures.js';

const run = uniqueId('register');
const PUBLIC = `https://${run}.places.example.org`;
const TYPE = `Lamp${run.replace(/[^A-Za-z0-9]/g, '')}`;
const VOCAB = 'https://uri.etsi.org/ngsi-ld/default-context/';
const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
const ID = registrationId(PUBLIC);

interface Request {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
  readonly errors: string[];
}

/** The broker: keeps the registration it was given, forgets it on request. */
const requests: Request[] = [];
let registered: Record<string, unknown> | null = null;
let receiver: Server;
let brokerUrl: string;
let store: Store;
let service: RunningService;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      const path = req.url ?? '';
      const method = req.method ?? '';
      // A PATCH carries the changed members (no id, no type): validated as the whole it makes.
      const whole = method === 'PATCH' ? { ...registered, ...body } : body;
      requests.push({ method, path, contentType: req.headers['content-type'], body, errors: etsiSchemaErrors('CsourceRegistration', whole) });
      if (method === 'POST' && path === '/ngsi-ld/v1/csourceRegistrations') {
        if (registered) return void res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"type":"https://uri.etsi.org/ngsi-ld/errors/AlreadyExists"}');
        registered = body;
        return void res.writeHead(201, { Location: `/ngsi-ld/v1/csourceRegistrations/${encodeURIComponent(String(body['id']))}` }).end();
      }
      if (method === 'PATCH' && path === `/ngsi-ld/v1/csourceRegistrations/${encodeURIComponent(ID)}`) {
        if (!registered) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"type":"https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"}');
        registered = { ...registered, ...body };
        return void res.writeHead(204).end();
      }
      res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  brokerUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  store = await testStore(testDatabase());
  const collection: CollectionDefinition = { id: `${run}-lamps`, title: 'Lamps', sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, ngsiLdType: TYPE, ngsiLdContext: [] } };
  const records: FeatureRecord[] = [
    { ...feature('L1', { type: 'Point', coordinates: [-171.5, -80.25] }, { lampHeight: 8 }), ngsiLdId: `urn:ngsi-ld:${TYPE}:L1` },
    { ...feature('L2', { type: 'Point', coordinates: [-171.25, -80.5] }, { lampHeight: 6 }), ngsiLdId: `urn:ngsi-ld:${TYPE}:L2` },
  ];
  await importFeatures(store, collection, records, inferQueryables(records));

  service = await startService(
    loadConfig({
      DATABASE_URL: inject('databaseUrl'),
      PORT: '0',
      BASE_URL: PUBLIC,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      PLACELINK_DEMO: 'false',
      PLACELINK_HARVEST_SCHEDULE: 'false',
      PLACELINK_SENSOR_FEEDS: 'false',
      PLACELINK_CATALOG_TTL_MS: '0',
      PLACELINK_POOL_SIZE: '2',
      PLACELINK_NGSILD_REGISTER_AT: brokerUrl,
      PLACELINK_NGSILD_REGISTER_INTERVAL_S: '1',
    }),
    testLogger,
  );
  await service.prepared;
});

afterAll(async () => {
  await service?.stop();
  await store.collections.remove(`${run}-lamps`);
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('Context Source registration at a broker', () => {
  it('registers with a body the ETSI OpenAPI accepts: its types with their attributes as IRIs, its endpoint and extent', async () => {
    const post = await until('the registration', () => requests.find((r) => r.method === 'POST'));
    expect(post.contentType).toBe('application/ld+json');
    expect(post.errors).toEqual([]);
    expect(post.body).toMatchObject({ id: ID, type: 'ContextSourceRegistration', endpoint: PUBLIC, mode: 'inclusive' });
    const information = post.body['information'] as { entities: { type: string }[]; propertyNames?: string[] }[];
    const mine = information.find((i) => i.entities[0]!.type === `${VOCAB}${TYPE}`);
    expect(mine?.propertyNames).toEqual(expect.arrayContaining([`${VOCAB}lampHeight`, LOCATION]));
    const ring = (post.body['location'] as { coordinates: number[][][] }).coordinates[0]!;
    const inside = (lon: number, lat: number) => Math.min(...ring.map((p) => p[0]!)) <= lon && lon <= Math.max(...ring.map((p) => p[0]!)) && Math.min(...ring.map((p) => p[1]!)) <= lat && lat <= Math.max(...ring.map((p) => p[1]!));
    expect([inside(-171.5, -80.25), inside(-171.25, -80.5)]).toEqual([true, true]);
    expect(Date.parse(String(post.body['expiresAt']))).toBeGreaterThan(Date.now());
  });

  it('keeps the registration current: each round renews it (PATCH) with expiresAt moved ahead', async () => {
    const first = requests.find((r) => r.method === 'POST')!;
    const patch = await until('a renewal', () => requests.find((r) => r.method === 'PATCH'));
    expect(patch.errors).toEqual([]);
    expect(patch.body['id']).toBeUndefined();
    expect(Date.parse(String(patch.body['expiresAt']))).toBeGreaterThan(Date.parse(String(first.body['expiresAt'])));
  });

  it('registers again when the broker has lost the registration', async () => {
    registered = null;
    const seen = requests.length;
    const again = await until('a new registration', () => requests.slice(seen).find((r) => r.method === 'POST'));
    expect(again.errors).toEqual([]);
    expect(requests.slice(seen).some((r) => r.method === 'PATCH')).toBe(true);
    expect(registered).not.toBeNull();
  });

  it('refuses to start registering without BASE_URL: a broker cannot reach a placelink that does not know its address', () => {
    expect(() => loadConfig({ PLACELINK_NGSILD_REGISTER_AT: brokerUrl })).toThrow(ConfigurationError);
    expect(() => loadConfig({ PLACELINK_NGSILD_REGISTER_AT: brokerUrl })).toThrow(/set BASE_URL/);
  });
});
