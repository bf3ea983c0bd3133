/**
 * Federation push end to end: placelink A (startService on the test database) has a feature mapping
 * and an HTTP-push sensor mapping whose `ngsiLd.pushTo` names placelink B, a second placelink process
 * (`placelink serve` on its own embedded PostGIS, anonymous NGSI-LD writes on loopback) acting as the
 * receiving broker. What A holds before it starts arrives in B (the first sync); a changed, a new and
 * a retired street light and new observations follow; while B is down, A's ingest goes on unhindered
 * and B gets what it missed once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import type { Database } from '../../src/db/database.js';
import { NO_HARVEST_INFO, type CollectionDefinition } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { startService, type RunningService } from '../../src/main.js';
import { harvestFeatures } from '../../src/services/features/harvest-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { feature } from '../helpers/fixtures.js';
import { mappingFolder } from '../helpers/sensor-mappings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = uniqueId('push');
const KEY = 'push-test-key-0123456789abcdef';
const LIGHTS = `${run}-lights`;
const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const DEVICE_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld';
const LINK = (context: string) => `<${context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
const light = (n: number) => `urn:ngsi-ld:Streetlight:${LIGHTS}:L${n}`;
const LUX = `${run}-lux`;
const DEVICE = `urn:ngsi-ld:Device:${LUX}`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** placelink B: `placelink serve` on an embedded PostGIS in `dataDir` (kept across restarts). */
class Broker {
  private child: ChildProcess | null = null;
  log = '';
  constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}/ngsi-ld/v1`;
  }

  async start(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(this.port), HOST: '127.0.0.1', PLACELINK_DATA_DIR: this.dataDir, PLACELINK_DEMO: 'false', PLACELINK_NGSILD_ANONYMOUS_WRITES: 'true', LOG_LEVEL: 'warn' };
    for (const name of ['DATABASE_URL', 'BASE_URL', 'PLACELINK_MAPPINGS', 'MODE', 'DEV', 'PROD', 'SSR', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child = child;
    await until('placelink B to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`placelink B exited with ${child.exitCode}:\n${this.log.slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
    }, 120_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** The entity as B has it, in the names of `context` (the pushing mapping's). */
  async entity(id: string, context = STREETLIGHTING): Promise<Record<string, unknown> | null> {
    const response = await fetch(`${this.base}/entities/${encodeURIComponent(id)}`, { headers: { Link: LINK(context) } });
    if (response.status === 404) return null;
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }
}

let db: Database;
let store: Store;
let a: RunningService | null = null;
let broker: Broker;
let dataDir: string;

const LIGHT_COLLECTION: CollectionDefinition = { id: LIGHTS, title: LIGHTS, sourceSrid: 4326, harvest: { ...NO_HARVEST_INFO, mappingId: LIGHTS, ngsiLdType: 'Streetlight', ngsiLdContext: [STREETLIGHTING] } };
const lightRecord = (n: number, properties: Record<string, unknown>): FeatureRecord => ({ ...feature(`L${n}`, { type: 'Point', coordinates: [9.73 + n * 0.001, 52.37] }, properties), ngsiLdId: light(n) });
/** A complete harvest of the lights: features it no longer has are retired (their entities deleted). */
const harvestLights = (records: FeatureRecord[]) =>
  harvestFeatures(store, { collection: LIGHT_COLLECTION, deletePolicy: { mode: 'retire', maxFraction: 1 }, repairInvalid: true, maxRejections: null }, async (sink) => {
    await sink.write({ records, rejections: [] });
    return { expected: records.length, unverified: null };
  });

async function observe(result: number, phenomenonTime: string): Promise<void> {
  const response = await fetch(`${a!.url}/observations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY }, body: JSON.stringify([{ datastream: LUX, phenomenonTime, result }]) });
  expect(response.status).toBe(202);
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-push-broker-'));
  broker = new Broker(await freePort(), dataDir);
  await broker.start();
  await harvestLights([lightRecord(1, { name: 'Light 1', powerState: 'on' }), lightRecord(2, { name: 'Light 2', powerState: 'off' })]);
  const mappings = await mappingFolder({
    'lights.yaml': `
id: ${LIGHTS}
source: { type: ogcapi-features, url: "http://127.0.0.1:1/", collection: lights }
target: { collection: ${LIGHTS} }
identifiers: { ngsiLdId: "urn:ngsi-ld:{type}:{collection}:{localId}" }
ngsiLd:
  type: Streetlight
  context: [ "${STREETLIGHTING}" ]
  pushTo: "http://127.0.0.1:${broker.port}"
`,
    'gateway.yaml': `
id: ${run}-gateway
source: { type: http-push }
target: { collection: ${run}-gateway }
ngsiLd: { pushTo: "${broker.base}" }
datastreams:
  - { id: "${LUX}", name: Light at L1, unit: { symbol: lx }, observedProperty: { name: illuminance }, resultType: number, location: [9.731, 52.37] }
`,
  });
  a = await startService(
    loadConfig({
      DATABASE_URL: inject('databaseUrl'),
      PORT: '0',
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      PLACELINK_DEMO: 'false',
      PLACELINK_MAPPINGS: mappings,
      PLACELINK_OBSERVATIONS_API_KEY: KEY,
      PLACELINK_HARVEST_SCHEDULE: 'false',
      PLACELINK_SENSOR_FEEDS: 'false',
      PLACELINK_CATALOG_TTL_MS: '0',
      PLACELINK_POOL_SIZE: '4',
      PLACELINK_NGSILD_NOTIFY_TIMEOUT_MS: '3000',
      PLACELINK_NGSILD_NOTIFY_BACKOFF_MAX_S: '1',
      PLACELINK_NGSILD_NOTIFY_POLL_MS: '200',
    }),
    testLogger,
  );
  await a.prepared;
}, 180_000);

afterAll(async () => {
  await a?.stop();
  await broker?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  // Other files query every Streetlight of the shared database.
  await store.collections.remove(LIGHTS);
  await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [`${run}-gateway`] });
  await db.query({ text: 'DELETE FROM ngsild_subscription WHERE push_to IS NOT NULL AND subscription_id LIKE $1', values: [`%${run}%`] });
  await db.close();
});

describe('NGSI-LD push into another placelink', () => {
  it('what A held before it started arrives in B: the first sync', async () => {
    const first = await until('light 1 in B', () => broker.entity(light(1)));
    expect(first).toMatchObject({ id: light(1), type: 'Streetlight', name: { type: 'Property', value: 'Light 1' }, powerState: { type: 'Property', value: 'on' }, location: { type: 'GeoProperty', value: { type: 'Point' } } });
    expect(await until('light 2 in B', () => broker.entity(light(2)))).toMatchObject({ powerState: { value: 'off' } });
  });

  it('a changed, a new and a retired street light follow', async () => {
    await harvestLights([lightRecord(1, { name: 'Light 1', powerState: 'off' }), lightRecord(3, { name: 'Light 3', powerState: 'on' })]);
    await until('light 1 switched off in B', async () => ((await broker.entity(light(1)))?.['powerState'] as { value?: string } | undefined)?.value === 'off');
    expect(await until('light 3 in B', () => broker.entity(light(3)))).toMatchObject({ name: { value: 'Light 3' } });
    await until('light 2 gone from B', async () => (await broker.entity(light(2))) === null);
  });

  it("a sensor mapping's Device arrives with its latest observation", async () => {
    await observe(42.5, '2026-12-01T10:00:00Z');
    const device = await until('the Device in B', async () => {
      const entity = await broker.entity(DEVICE, DEVICE_CONTEXT);
      return JSON.stringify(entity ?? {}).includes('42.5') ? entity : null;
    });
    expect(device).toMatchObject({ id: DEVICE, type: 'Device' });
    expect(JSON.stringify(device)).toContain('2026-12-01T10:00:00Z');
  });

  it('while B is down A goes on ingesting; B gets what it missed once it is back', async () => {
    await broker.stop();
    const started = Date.now();
    for (let i = 0; i < 5; i++) await observe(100 + i, `2026-12-01T11:0${i}:00Z`);
    await harvestLights([lightRecord(1, { name: 'Light 1 renamed', powerState: 'off' }), lightRecord(3, { name: 'Light 3', powerState: 'on' })]);
    // nothing waited for the broker: five batches and an import take far less than one delivery timeout
    expect(Date.now() - started).toBeLessThan(3000);
    await broker.start();
    await until('the rename in B', async () => ((await broker.entity(light(1)))?.['name'] as { value?: string } | undefined)?.value === 'Light 1 renamed', 60_000);
    await until('the last observation in B', async () => JSON.stringify((await broker.entity(DEVICE, DEVICE_CONTEXT)) ?? {}).includes('104'), 60_000);
  });
});
