import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { startMqttFeed, type MqttFeed } from '../../src/ingest/mqtt/mqtt-subscriber.js';
import type { Store } from '../../src/services/ports/store.js';
import { sensorService } from '../../src/services/sensors/sensor-service.js';
import { isEmbedded, testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';
import { hexoskinMqttExample } from '../helpers/mqtt-examples.js';
import { BROKER_URL, brokerReachable, ensureBroker, restartBroker } from '../helpers/mosquitto.js';
import { mappingFolder, sensorMapping } from '../helpers/sensor-mappings.js';

const haveBroker = await brokerReachable();
if (!haveBroker) announceSkip('mqtt-feed.test.ts', `no MQTT broker at ${BROKER_URL} (start mosquitto: mosquitto -d -c /etc/mosquitto/mosquitto.conf)`);
const serverTests = haveBroker && !isEmbedded();
if (haveBroker && isEmbedded()) announceSkip('mqtt-feed.test.ts (50 000 messages)', 'the restart test runs placelink processes against a PostgreSQL server, not the embedded database');

let db: Database;
let store: Store;

function connectPublisher(clientId: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(BROKER_URL, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 120 }, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** Waits until the publisher's QoS 1 messages are all acknowledged by the broker. */
async function drained(client: MqttClient): Promise<void> {
  await until('the publisher to be acknowledged', async () => client.queue.length === 0 && Object.keys(client.outgoing).length === 0, 120_000);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  if (process.env['TEST_PROGRESS']) process.stderr.write(`${new Date().toISOString()} waiting for ${what}\n`);
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function observationCount(sourceId: string): Promise<{ n: number; distinct: number }> {
  const [row] = await db.query<{ n: number; distinct: number }>({
    text: `SELECT count(*)::integer AS n, count(DISTINCT (o.datastream_key, o.phenomenon_time))::integer AS distinct
           FROM observation o JOIN datastream d USING (datastream_key) JOIN sensor_source s USING (source_key) WHERE s.id = $1`,
    values: [sourceId],
  });
  return row!;
}

beforeAll(async () => {
  if (!haveBroker) return;
  db = testDatabase();
  store = await testStore(db);
});

afterAll(async () => {
  if (!haveBroker) return;
  await ensureBroker();
  await db?.close();
});

describe.skipIf(!haveBroker)('MQTT feed (real mosquitto)', () => {
  it('counts malformed messages with topic and reason, stores none of them, and keeps subscribing', async () => {
    const run = uniqueId('mqtt');
    const mapping = await sensorMapping(`
id: ${run}
source:
  type: mqtt
  url: ${BROKER_URL}
  clientId: placelink-test-${run}
  sessionExpiry: 60s
  batch: { size: 100, maxWait: 20ms }
  topics:
    - pattern: test/${run}/v1.1/+/Observations
    - pattern: test/${run}/air/+/+
      format: json
      datastream: "${run}-{1}-{2}"
      time: ts
      value: data.value
      location: { lon: lon, lat: lat }
target: { collection: ${run} }
datastreams:
  - { id: "${run}-a", resultType: number }
  - { id: "${run}-station1-no2", resultType: number, unit: { symbol: "µg/m³" } }
`);
    const sensors = sensorService(store, [mapping], testLogger, { maxFutureMs: 300_000 });
    await sensors.prepare();
    let feed: MqttFeed | null = startMqttFeed(mapping as never, sensors, testLogger);
    try {
      await until('the feed to connect', async () => feed!.status().connected);
      const publisher = await connectPublisher(`placelink-test-pub-${run}`);
      const st = (id: string) => `test/${run}/v1.1/Datastreams(${id})/Observations`;
      const messages: [string, string][] = [
        [st(`${run}-a`), JSON.stringify({ phenomenonTime: '2024-01-01T00:00:00Z', result: 1 })],
        [st(`'${run}-a'`), JSON.stringify([{ phenomenonTime: '2024-01-01T00:00:01Z', result: 2 }, { phenomenonTime: '2024-01-01T00:00:02Z', result: 3 }])],
        [st(`${run}-a`), hexoskinMqttExample().payload],
        [st(`${run}-a`), 'not json at all'],
        [st(`${run}-a`), JSON.stringify({ phenomenonTime: '2024-01-01T00:00:03Z', result: 'seventy' })],
        [st(`${run}-unknown`), JSON.stringify({ phenomenonTime: '2024-01-01T00:00:04Z', result: 4 })],
        [`test/${run}/air/station1/no2`, JSON.stringify({ ts: '2024-01-01T00:00:05Z', data: { value: 23.5 }, lon: 9.73, lat: 52.37 })],
        [`test/${run}/air/station1/no2`, JSON.stringify({ ts: '2024-01-01T00:00:06Z', data: {} })],
      ];
      for (const [topic, payload] of messages) await publisher.publishAsync(topic, payload, { qos: 1 });
      await publisher.endAsync();
      await until('every message to be handled', async () => {
        const s = feed!.status();
        return s.received === messages.length && s.pending === 0;
      });
      const status = feed.status();
      expect(status).toMatchObject({ received: 8, stored: 4, malformed: 3, rejected: 2 });
      expect(status.recentProblems.map((p) => [p.topic.split('/').slice(2).join('/'), p.reason])).toEqual(
        expect.arrayContaining([
          [`v1.1/Datastreams(${run}-a)/Observations`, "the Observation has no phenomenonTime (found 'phenonmenonTime': misspelt?)"],
          [`v1.1/Datastreams(${run}-a)/Observations`, expect.stringMatching(/^payload is not JSON/)],
          [`air/station1/no2`, 'has no value at data.value'],
          [`v1.1/Datastreams(${run}-a)/Observations`, `result "seventy" is not a number (the datastream's results are numbers)`],
          [`v1.1/Datastreams(${run}-unknown)/Observations`, `datastream '${run}-unknown' does not exist`],
        ]),
      );
      expect((await observationCount(run)).n).toBe(4);
      const located = await store.sensors.datastreamDetail(`${run}-station1-no2`);
      expect(located?.geometry).toEqual({ type: 'Point', coordinates: [9.73, 52.37] });
      await feed.stop();
      feed = null;
    } finally {
      await feed?.stop();
      await store.collections.remove(run);
      await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    }
  });

  describe.skipIf(!serverTests)('50 000 messages with a broker restart and a placelink crash in the middle', () => {
    const run = uniqueId('mqtt50k');
    const TOTAL = 50_000;
    const DATASTREAMS = 10;
    let child: ChildProcess | null = null;
    let port = 0;

    async function freePort(): Promise<number> {
      return new Promise((resolve) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => {
          const { port: p } = server.address() as net.AddressInfo;
          server.close(() => resolve(p));
        });
      });
    }

    async function feedStatus(): Promise<{ connected: boolean; pending: number; stored: number } | null> {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/admin/feeds`, { signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as { feeds: { connected: boolean; pending: number; stored: number }[] };
        return body.feeds[0] ?? null;
      } catch {
        return null;
      }
    }

    async function startPlacelink(directory: string): Promise<void> {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: inject('databaseUrl'),
        PLACELINK_MAPPINGS: directory,
        PORT: String(port),
        LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'error',
        PLACELINK_DEMO: 'false',
        PLACELINK_HARVEST_SCHEDULE: 'false',
      };
      delete env['BASE_URL'];
      child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      await until('placelink to subscribe', async () => (await feedStatus())?.connected, 90_000);
    }

    function killPlacelink(): Promise<void> {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    }

    afterAll(async () => {
      await killPlacelink();
      await ensureBroker();
      // End the test sessions on the broker.
      for (const id of [`placelink-test-${run}`, `placelink-test-pub-${run}`]) {
        const client = await connectPublisher(id, { clean: true, properties: { sessionExpiryInterval: 0 } }).catch(() => null);
        await client?.endAsync();
      }
      await store.collections.remove(run);
      await db.query({ text: 'DELETE FROM sensor_source WHERE id = $1', values: [run] });
    });

    it('stores exactly 50 000 observations: none lost, none twice', { timeout: 300_000 }, async () => {
      port = await freePort();
      const directory = await mappingFolder({
        [`${run}.yaml`]: `
id: ${run}
source:
  type: mqtt
  url: ${BROKER_URL}
  clientId: placelink-test-${run}
  sessionExpiry: 120s
  window: 65535
  batch: { size: 2000, maxWait: 20ms }
  reconnect: { initialDelay: 100ms, maxDelay: 1s }
  topics:
    - pattern: test/${run}/v1.1/+/Observations
target: { collection: ${run} }
datastreams:
${Array.from({ length: DATASTREAMS }, (_, i) => `  - { id: "${run}-${i}", resultType: number }`).join('\n')}
`,
      });
      await startPlacelink(directory);

      // The publisher does not reconnect by itself: after the broker restart the test lets it back
      // in once placelink has resubscribed (see below), holding its QoS 1 messages meanwhile.
      const publisher = await connectPublisher(`placelink-test-pub-${run}`, { reconnectPeriod: 0 });
      let publisherDown = false;
      publisher.on('close', () => (publisherDown = true));
      const base = Date.UTC(2024, 0, 1);
      const publish = (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const topic = `test/${run}/v1.1/Datastreams(${run}-${i % DATASTREAMS})/Observations`;
          publisher.publish(topic, JSON.stringify({ phenomenonTime: new Date(base + i * 1000).toISOString(), result: i }), { qos: 1 });
        }
      };

      // 1. Full speed, then the broker restarts while messages are still on their way.
      publish(0, 15_000);
      const downMs = await restartBroker();
      publish(15_000, 30_000);
      expect(publisherDown).toBe(true);
      // While the broker was away placelink had not stored everything; its session (with the
      // unacknowledged messages) survived the restart in mosquitto's persistence file.
      await until('placelink to resubscribe after the broker restart', async () => (await feedStatus())?.connected);
      // Keeping its stores, the publisher sends again every QoS 1 message the broker had not acknowledged.
      publisher.reconnect({ incomingStore: publisher.incomingStore, outgoingStore: publisher.outgoingStore });
      await until('the publisher to reconnect', async () => publisher.connected);
      await drained(publisher);

      // 2. placelink is killed (SIGKILL: no flush, no acknowledgements) while messages arrive.
      // Mosquitto keeps at most max_queued_messages (1000 by default) for a disconnected client,
      // counting the unacknowledged ones: the crash comes when fewer than 300 are outstanding and
      // 500 more are published while placelink is down.
      await until('placelink to catch up to within 300 messages', async () => (await observationCount(run)).n >= 29_700);
      await killPlacelink();
      publish(30_000, 30_500);
      await drained(publisher);
      await startPlacelink(directory);

      // 3. The rest at full speed.
      publish(30_500, TOTAL);
      await drained(publisher);
      await until('all observations to be stored', async () => (await observationCount(run)).n >= TOTAL, 120_000);
      // Redeliveries of messages stored but not acknowledged before the crash must not add rows.
      await sleep(1000);
      const counted = await observationCount(run);
      expect(counted).toEqual({ n: TOTAL, distinct: TOTAL });
      const [range] = await db.query<{ min: number; max: number; sum: string }>({
        text: `SELECT min(o.result_number) AS min, max(o.result_number) AS max, sum(o.result_number)::text AS sum
               FROM observation o JOIN datastream d USING (datastream_key) JOIN sensor_source s USING (source_key) WHERE s.id = $1`,
        values: [run],
      });
      expect(range).toEqual({ min: 0, max: TOTAL - 1, sum: String((TOTAL * (TOTAL - 1)) / 2) });
      testLogger.info({ downMs }, 'broker was down');
      await publisher.endAsync();
      await writeFile(path.join(directory, 'done'), '');
    });
  });
});
