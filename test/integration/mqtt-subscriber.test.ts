import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/config/mappings-loader.js';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { startMqttFeed, type MqttFeed } from '../../src/ingest/mqtt/mqtt-subscriber.js';
import type { Store } from '../../src/services/ports/store.js';
import { isSensorMapping, type SensorMapping } from '../../src/services/sensors/sensor-registry.js';
import { sensorService, type SensorService } from '../../src/services/sensors/sensor-service.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';
import { BROKER_URL, brokerReachable } from '../helpers/mosquitto.js';
import { mappingFolder, sensorMapping } from '../helpers/sensor-mappings.js';
import { startSensorThingsServer, type SensorThingsServer } from '../helpers/sensorthings-server.js';

/**
 * The MQTT subscriber against the real mosquitto (never restarted here; the broker restarts are in
 * test/e2e/mqtt-feed.test.ts): stated units, backpressure, failing writes and redelivery, topics
 * that name another mapping's datastreams, and the reconnect backoff.
 */
const haveBroker = await brokerReachable();
announceSkip('mqtt-subscriber.test.ts', haveBroker ? null : `no MQTT broker at ${BROKER_URL} (start mosquitto: mosquitto -d -c /etc/mosquitto/mosquitto.conf)`);

type MqttMapping = Parameters<typeof startMqttFeed>[0];

const run = uniqueId('mqttsub');
const clientIds: string[] = [];
const sources: string[] = [];
let db: Database;
let store: Store;

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function publisher(): Promise<MqttClient> {
  const clientId = `placelink-test-pub-${run}-${clientIds.length}`;
  clientIds.push(clientId);
  return mqtt.connectAsync(BROKER_URL, { clientId, protocolVersion: 5 });
}

/** A mapping of an MQTT source with this test's client id (its broker session is ended afterwards). */
async function mqttMapping(name: string, body: string): Promise<MqttMapping> {
  const id = `${run}-${name}`;
  clientIds.push(`placelink-test-${id}`);
  sources.push(id);
  const mapping = await sensorMapping(`
id: ${id}
source:
  type: mqtt
  url: ${BROKER_URL}
  clientId: placelink-test-${id}
  sessionExpiry: 60s
${body}`, `${id}.yaml`);
  return mapping as MqttMapping;
}

async function stored(datastreamId: string): Promise<number[]> {
  const rows = await db.query<{ v: number }>({
    text: 'SELECT o.result_number AS v FROM observation o JOIN datastream d USING (datastream_key) WHERE d.id = $1 ORDER BY o.phenomenon_time',
    values: [datastreamId],
  });
  return rows.map((r) => r.v);
}

async function prepared(...mappings: SensorMapping[]): Promise<SensorService> {
  const sensors = sensorService(store, mappings, testLogger, { maxFutureMs: 300_000 });
  await sensors.prepare();
  return sensors;
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
});

afterAll(async () => {
  // End the test sessions on the broker.
  for (const clientId of haveBroker ? clientIds : []) {
    const client = await mqtt.connectAsync(BROKER_URL, { clientId, clean: true, protocolVersion: 5, properties: { sessionExpiryInterval: 0 } }).catch(() => null);
    await client?.endAsync();
  }
  for (const id of sources) {
    await store.collections.remove(id);
    await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [id] });
  }
  await db.close();
});

describe.skipIf(!haveBroker)('MQTT subscriber', () => {
  it("counts a message whose stated unit is not the datastream's as malformed, with the reason", async () => {
    const mapping = await mqttMapping(
      'units',
      `  topics:
    - { pattern: "test/${run}/air/+/+", format: json, datastream: "${run}-{1}-{2}", time: ts, value: v, unit: u }
target: { collection: ${run}-units }
datastreams:
  - { id: "${run}-s1-no2", resultType: number, unit: { name: microgram per cubic metre, symbol: "µg/m³" } }
`,
    );
    const feed = startMqttFeed(mapping, await prepared(mapping), testLogger);
    try {
      await until('the feed to connect', () => feed.status().connected);
      const client = await publisher();
      const topic = `test/${run}/air/s1/no2`;
      await client.publishAsync(topic, JSON.stringify({ ts: '2024-01-01T00:00:00Z', v: 20, u: 'µg/m³' }), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ ts: '2024-01-01T00:01:00Z', v: 21, u: 'ppb' }), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ ts: '2024-01-01T00:02:00Z', v: 22 }), { qos: 1 });
      await client.endAsync();
      await until('three messages to be handled', () => feed.status().received === 3 && feed.status().pending === 0);
      expect(feed.status()).toMatchObject({ stored: 2, malformed: 1, rejected: 0 });
      expect(feed.status().recentProblems.map((p) => [p.topic, p.reason])).toEqual([[topic, `unit "ppb" is not the datastream's unit ('µg/m³' / 'microgram per cubic metre')`]]);
      expect(await stored(`${run}-s1-no2`)).toEqual([20, 22]);
    } finally {
      await feed.stop();
    }
  });

  it('holds at most `window` messages while the database blocks its writes, then stores them all', async () => {
    const mapping = await mqttMapping(
      'window',
      `  window: 5
  batch: { size: 5, maxWait: 10ms }
  topics:
    - { pattern: "test/${run}/bp/+", format: json, datastream: "${run}-bp", time: ts, value: v }
target: { collection: ${run}-window }
datastreams:
  - { id: "${run}-bp", resultType: number }
`,
    );
    const feed = startMqttFeed(mapping, await prepared(mapping), testLogger);
    const client = await publisher();
    try {
      await until('the feed to connect', () => feed.status().connected);
      let heldAtMost = 0;
      // Another transaction locks the latest-value table: every observation write waits for it.
      await db.transaction(async (tx) => {
        await tx.query({ text: 'LOCK TABLE observation_latest IN EXCLUSIVE MODE', values: [] });
        for (let i = 0; i < 30; i++) client.publish(`test/${run}/bp/x`, JSON.stringify({ ts: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(), v: i }), { qos: 1 });
        await until('the window to fill', () => feed.status().received >= 5);
        for (let i = 0; i < 25; i++) {
          await sleep(20);
          heldAtMost = Math.max(heldAtMost, feed.status().received, feed.status().pending);
        }
      });
      expect(heldAtMost).toBe(5);
      await until('all 30 to be stored', () => feed.status().stored === 30);
      expect(feed.status()).toMatchObject({ received: 30, pending: 0, failedWrites: 0 });
      expect(await stored(`${run}-bp`)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    } finally {
      await client.endAsync();
      await feed.stop();
    }
  });

  it('acknowledges nothing while writes fail; the broker redelivers to the next start, which stores each message once', async () => {
    const mapping = await mqttMapping(
      'fail',
      `  batch: { size: 10, maxWait: 10ms }
  topics:
    - { pattern: "test/${run}/fail", format: json, datastream: "${run}-fail", time: ts, value: v }
target: { collection: ${run}-fail }
datastreams:
  - { id: "${run}-fail", resultType: number }
`,
    );
    const sensors = await prepared(mapping);
    const key = (await store.sensors.datastreamDetail(`${run}-fail`))!.key;
    // A real database error on this datastream's writes (the whole statement fails).
    const failing = `placelink_test_fail_${run.replace(/\W/g, '_')}`;
    await db.query({ text: `CREATE FUNCTION ${failing}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$`, values: [] });
    await db.query({ text: `CREATE TRIGGER ${failing} BEFORE INSERT ON observation_latest FOR EACH ROW WHEN (NEW.datastream_key = ${key}) EXECUTE FUNCTION ${failing}()`, values: [] });
    const first = startMqttFeed(mapping, sensors, testLogger);
    let second: MqttFeed | null = null;
    try {
      await until('the feed to connect', () => first.status().connected);
      const client = await publisher();
      for (let i = 0; i < 3; i++) await client.publishAsync(`test/${run}/fail`, JSON.stringify({ ts: `2024-02-01T00:00:0${i}Z`, v: i }), { qos: 1 });
      await client.endAsync();
      await until('writes to fail', () => first.status().received === 3 && first.status().failedWrites >= 2);
      expect(first.status()).toMatchObject({ stored: 0, pending: 3 });
      const stopping = Date.now();
      await first.stop();
      expect(Date.now() - stopping).toBeLessThan(5000);
      expect(await stored(`${run}-fail`)).toEqual([]);
    } finally {
      await db.query({ text: `DROP TRIGGER ${failing} ON observation_latest`, values: [] });
      await db.query({ text: `DROP FUNCTION ${failing}()`, values: [] });
    }
    try {
      second = startMqttFeed(mapping, sensors, testLogger);
      await until('the redelivered messages to be stored', () => second!.status().stored === 3);
      expect(second.status()).toMatchObject({ received: 3, duplicates: 0, failedWrites: 0 });
      expect(await stored(`${run}-fail`)).toEqual([0, 1, 2]);
    } finally {
      await second?.stop();
    }
  });

  it("stores SensorThings MQTT observations in the datastreams of the mapping `datastreamSource` names", async () => {
    const staId = `${run}-sta`;
    sources.push(staId);
    let server: SensorThingsServer | null = null;
    let feed: MqttFeed | null = null;
    try {
      server = await startSensorThingsServer('/sta/v1.1', (url, base) => {
        const path = decodeURIComponent(url.pathname).slice('/sta/v1.1'.length);
        if (path === '/Datastreams') return { status: 200, body: { value: [{ '@iot.id': 42, '@iot.selfLink': `${base}/Datastreams(42)`, name: 'Water level', observationType: 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement' }] } };
        if (path === '/Datastreams(42)/Observations') return { status: 200, body: { value: [] } };
        return null;
      });
      const directory = await mappingFolder({
        [`${staId}.yaml`]: `
id: ${staId}
source: { type: sensorthings, url: ${server.base}, expand: false, historicalLocations: false, resultFormat: json }
target: { collection: ${staId} }
`,
      });
      const pull = (await loadMappings(directory))[0]!;
      expect((await runHarvest(store, pull, testLogger, { trigger: 'cli' })).status).toBe('succeeded');
      const subscription = await mqttMapping(
        'sub',
        `  datastreamSource: ${staId}
  topics:
    - pattern: "test/${run}/v1.1/+/Observations"
target: { collection: ${run}-sub }
`,
      );
      if (!isSensorMapping(pull.mapping)) throw new Error('not a sensor mapping');
      feed = startMqttFeed(subscription, await prepared(pull.mapping, subscription), testLogger);
      await until('the feed to connect', () => feed!.status().connected);
      const client = await publisher();
      await client.publishAsync(`test/${run}/v1.1/Datastreams(42)/Observations`, JSON.stringify({ phenomenonTime: '2024-03-01T00:00:00Z', result: 1.25 }), { qos: 1 });
      await client.publishAsync(`test/${run}/v1.1/Datastreams(43)/Observations`, JSON.stringify({ phenomenonTime: '2024-03-01T00:00:00Z', result: 2 }), { qos: 1 });
      await client.endAsync();
      await until('both messages to be handled', () => feed!.status().received === 2 && feed!.status().pending === 0);
      expect(feed.status()).toMatchObject({ stored: 1, rejected: 1 });
      expect(feed.status().recentProblems.map((p) => p.reason)).toEqual(["datastream '43' does not exist"]);
      expect(await stored(`${staId}:42`)).toEqual([1.25]);
    } finally {
      await feed?.stop();
      await server?.close();
    }
  });
});

describe('MQTT reconnect backoff', () => {
  it('waits twice as long after each failed attempt, up to maxDelay', async () => {
    const attempts: number[] = [];
    const broker = net.createServer((socket) => {
      attempts.push(Date.now());
      socket.destroy();
    });
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = broker.address() as net.AddressInfo;
    const mapping = (await sensorMapping(`
id: ${run}-backoff
source:
  type: mqtt
  url: mqtt://127.0.0.1:${port}
  clientId: placelink-test-backoff
  reconnect: { initialDelay: 50ms, maxDelay: 400ms }
  topics: [{ pattern: "test/backoff/+/Observations" }]
target: { collection: ${run}-backoff }
datastreams: [{ id: "${run}-backoff" }]
`)) as MqttMapping;
    const feed = startMqttFeed(mapping, sensorService(store, [], testLogger, { maxFutureMs: 0 }), testLogger);
    try {
      await until('seven connection attempts', () => attempts.length >= 7, 10_000);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      const wanted = [50, 100, 200, 400, 400, 400];
      gaps.slice(0, 6).forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual(wanted[i]! - 5);
        expect(gap).toBeLessThan(wanted[i]! + 250);
      });
      expect(feed.status()).toMatchObject({ connected: false });
      expect(feed.status().reconnects).toBeGreaterThanOrEqual(6);
    } finally {
      await feed.stop();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
  });
});
