import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { statedUnitProblem, type DatastreamInfo } from '../../domain/datastream.js';
import type { MqttSource, MqttTopic } from '../../domain/mapping.js';
import type { Logger } from '../../logger.js';
import type { IncomingObservation } from '../../services/sensors/record-observations.js';
import type { SensorMapping } from '../../services/sensors/sensor-registry.js';
import type { FeedStatus, SensorService } from '../../services/sensors/sensor-service.js';
import { matchTopic, readMessage } from './mqtt-payload.js';

/** Problems kept for /admin/feeds. */
const RECENT_PROBLEMS = 20;
/** Distinct topics whose matching rule is remembered (the memory is emptied when full). */
const TOPICS_REMEMBERED = 10_000;
/** Longest wait before a failed batch write is tried again. */
const MAX_WRITE_RETRY_MS = 10_000;

/**
 * Passed to mqtt.js's handleMessage callback so it does not acknowledge the message itself: the
 * PUBACK is sent once the message's observations are committed (see acknowledge()).
 */
const DEFERRED = new Error('acknowledged after the write');

interface Pending {
  readonly packet: IPublishPacket;
  /** The connection the message came on; a message id is only valid on its own connection. */
  readonly connection: number;
}

export interface MqttFeed {
  /** Stores and acknowledges what was received (one more attempt), then disconnects keeping the session: the broker redelivers what was not stored. */
  stop(): Promise<void>;
  status(): FeedStatus;
}

type MqttMapping = SensorMapping & { readonly source: MqttSource };

/**
 * Subscribes a mapping's topics with QoS 1 in a persistent MQTT 5 session (fixed client id, clean
 * start off, session expiry) and stores what arrives in batches. A message is acknowledged only
 * after its observations are committed, so the broker redelivers anything placelink had not
 * stored when it went away (storage is idempotent). The receive maximum (`window`) bounds the
 * messages in memory: with the window full the broker sends nothing more until batches commit.
 */
export function startMqttFeed(mapping: MqttMapping, sensors: SensorService, logger: Logger): MqttFeed {
  const source = mapping.source;
  const log = logger.child({ mapping: mapping.id, feed: 'mqtt' });
  const counters = { received: 0, stored: 0, duplicates: 0, rejected: 0, malformed: 0, reconnects: 0, failedWrites: 0 };
  const problems: { at: string; topic: string; reason: string }[] = [];
  let queue: Pending[] = [];
  let connection = 0;
  let connected = false;
  let stopping = false;
  let writing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let reconnectDelay = source.reconnect.initialDelayMs;
  let writeFailures = 0;
  let wakeRetry: (() => void) | null = null;

  const client: MqttClient = mqtt.connect(source.url, {
    clientId: source.clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: Math.round(source.sessionExpiryMs / 1000), receiveMaximum: source.window },
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    resubscribe: false,
    ...(source.username ? { username: source.username } : {}),
    ...(source.password ? { password: source.password } : {}),
  });

  const problem = (topic: string, reason: string) => {
    problems.push({ at: new Date().toISOString(), topic, reason });
    if (problems.length > RECENT_PROBLEMS) problems.shift();
    log.warn({ topic, reason }, 'MQTT message not stored');
  };

  // Registered before the connection completes: a persistent session's queued messages arrive right after CONNACK.
  client.handleMessage = (packet, callback) => {
    if (stopping) {
      callback(DEFERRED);
      return;
    }
    counters.received++;
    queue.push({ packet, connection });
    if (queue.length >= source.batchSize) void flush();
    else flushTimer ??= setTimeout(() => void flush(), source.batchMaxWaitMs);
    callback(DEFERRED);
  };

  client.on('connect', (connack) => {
    connection++;
    connected = true;
    reconnectDelay = source.reconnect.initialDelayMs;
    log.info({ sessionPresent: connack.sessionPresent, connection }, 'MQTT connected');
    // Subscribing again is harmless with a present session and needed without one.
    client.subscribe(
      source.topics.map((t) => t.pattern),
      { qos: 1 },
      (error, granted) => {
        if (error) log.error({ err: error }, 'MQTT subscription failed');
        for (const g of granted ?? []) if (g.qos > 2) log.error({ topic: g.topic, reasonCode: g.qos }, 'the broker refused a subscription');
      },
    );
  });
  client.on('close', () => {
    if (connected && !stopping) log.warn('MQTT connection lost; reconnecting with backoff');
    connected = false;
    if (stopping || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      if (stopping) return;
      counters.reconnects++;
      client.reconnect();
    }, reconnectDelay);
    reconnectDelay = Math.min(source.reconnect.maxDelayMs, reconnectDelay * 2);
  });
  client.on('error', (error) => log.warn({ err: error.message }, 'MQTT error'));

  const rules = new Map<string, { topicRule: MqttTopic; levels: string[] } | null>();
  /** The first topic rule a topic matches, remembered: feeds publish on the same topics again and again. */
  const rule = (topic: string) => {
    let found = rules.get(topic);
    if (found !== undefined) return found;
    found = null;
    for (const topicRule of source.topics) {
      const levels = matchTopic(topicRule.pattern, topic);
      if (levels) {
        found = { topicRule, levels };
        break;
      }
    }
    if (rules.size >= TOPICS_REMEMBERED) rules.clear();
    rules.set(topic, found);
    return found;
  };

  async function resolve(names: readonly string[]): Promise<Map<string, DatastreamInfo>> {
    const owner = sensors.source(source.datastreamSource ?? mapping.id);
    if (!owner) return new Map();
    return sensors.directory.byUpstreamIds(owner.key, names);
  }

  /** In receive order, for the messages of the current connection (older ids mean nothing now). */
  function acknowledge(batch: readonly Pending[]): void {
    for (const { packet, connection: from } of batch) {
      if (packet.qos === 0 || from !== connection || !connected) continue;
      (client as unknown as { _sendPacket(packet: object): void })._sendPacket({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 });
    }
  }

  async function write(batch: readonly Pending[]): Promise<void> {
    const parsed = batch.map(({ packet }) => {
      const found = rule(packet.topic);
      if (!found) return { packet, read: { problem: 'topic matches no topic of the mapping' } as const };
      return { packet, read: readMessage(found.topicRule, packet.topic, found.levels, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload) };
    });
    const names = [...new Set(parsed.flatMap((p) => ('datastream' in p.read ? [p.read.datastream] : [])))];
    const datastreams = await resolve(names);
    const items: IncomingObservation[] = [];
    const messageOf: number[] = [];
    parsed.forEach(({ packet, read }, message) => {
      if ('problem' in read) {
        counters.malformed++;
        problem(packet.topic, read.problem);
        return;
      }
      const datastream = datastreams.get(read.datastream) ?? null;
      const wrongUnit = datastream ? read.units.map((unit) => statedUnitProblem(unit, datastream.unit)).find((p) => p !== null) : undefined;
      if (wrongUnit) {
        counters.malformed++;
        problem(packet.topic, wrongUnit);
        return;
      }
      for (const input of read.observations) {
        messageOf.push(message);
        items.push({ index: items.length, datastream, datastreamRef: read.datastream, input, location: read.location ? { time: '', geometry: read.location } : null });
      }
    });
    const outcome = await sensors.record(items);
    counters.stored += outcome.inserted;
    counters.duplicates += outcome.duplicates;
    counters.rejected += outcome.rejected.length;
    for (const r of outcome.rejected.slice(0, 5)) problem(parsed[messageOf[r.index]!]!.packet.topic, r.reason);
  }

  async function flush(): Promise<void> {
    if (flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    if (writing) return writing;
    writing = (async () => {
      while (queue.length) {
        const batch = queue.slice(0, source.batchSize);
        try {
          await write(batch);
        } catch (error) {
          writeFailures++;
          counters.failedWrites++;
          const delay = Math.min(MAX_WRITE_RETRY_MS, 100 * 2 ** Math.min(writeFailures, 7));
          log.warn({ err: error, retryInMs: delay, pending: queue.length }, 'storing MQTT observations failed; the messages stay unacknowledged and are retried');
          if (stopping) return;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            wakeRetry = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wakeRetry = null;
          continue;
        }
        writeFailures = 0;
        queue = queue.slice(batch.length);
        acknowledge(batch);
      }
    })().finally(() => {
      writing = null;
    });
    return writing;
  }

  return {
    async stop() {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      // One more attempt to store what was received; while writes fail the stop does not wait for
      // the database: the messages stay unacknowledged and the broker delivers them to the next start.
      stopping = true;
      wakeRetry?.();
      await flush();
      if (reconnectTimer) clearTimeout(reconnectTimer);
      // A plain DISCONNECT keeps the session: the broker holds the subscriptions and queues for the next start.
      await client.endAsync(false);
      log.info({ ...counters, unstored: queue.length }, 'MQTT feed stopped');
    },
    status: () => ({
      mapping: mapping.id,
      type: 'mqtt',
      connected,
      ...counters,
      pending: queue.length,
      recentProblems: [...problems],
    }),
  };
}
