import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { NotificationDeliveryError } from '../../domain/errors.js';
import type { KeyValuePair } from '../../domain/subscription.js';
import type { NotificationMessage } from './notification-message.js';

/**
 * Publishes notifications to mqtt(s)://[user[:password]@]host[:port]/topic endpoints (the MQTT
 * binding of clause 5.2.15): the message is `{"metadata": {Content-Type, Link, receiverInfo…},
 * "body": notification}`, as Orion-LD and Stellio publish it. notifierInfo chooses MQTT-Version
 * (mqtt3.1.1 by default, or mqtt5.0) and MQTT-QoS (0 by default). One connection per broker,
 * user and version is kept open; a failed one is dropped and opened again on the next attempt.
 */
export interface MqttPublisher {
  publish(uri: string, message: NotificationMessage, notifierInfo: readonly KeyValuePair[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function setting(pairs: readonly KeyValuePair[], key: string): string | undefined {
  return pairs.find((pair) => pair.key === key)?.value;
}

/** Rejects with NotificationDeliveryError when `work` has not finished within `ms`. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NotificationDeliveryError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function mqttPublisher(): MqttPublisher {
  const clients = new Map<string, Promise<MqttClient>>();

  function connection(url: URL, version: 4 | 5, timeoutMs: number): { key: string; client: Promise<MqttClient> } {
    const broker = `${url.protocol}//${url.host}`;
    const key = `${broker}|${url.username}|${url.password}|${version}`;
    let client = clients.get(key);
    if (!client) {
      client = mqtt.connectAsync(broker, {
        protocolVersion: version,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        clientId: `placelink-notify-${randomUUID().slice(0, 8)}`,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: timeoutMs,
      });
      clients.set(key, client);
      const forget = () => {
        if (clients.get(key) === client) clients.delete(key);
      };
      client.then((connected) => connected.once('close', forget), forget);
    }
    return { key, client };
  }

  return {
    async publish(uri, message, notifierInfo, timeoutMs) {
      const url = new URL(uri);
      const version = setting(notifierInfo, 'MQTT-Version') === 'mqtt5.0' ? 5 : 4;
      const qos = Number(setting(notifierInfo, 'MQTT-QoS') ?? '0') as 0 | 1 | 2;
      const topic = decodeURIComponent(url.pathname.slice(1));
      const metadata: Record<string, string> = { ...message.receiverInfo, 'Content-Type': message.contentType };
      if (message.link) metadata['Link'] = message.link;
      const { key, client } = connection(url, version, timeoutMs);
      try {
        const connected = await within(client, timeoutMs, `connecting to ${url.host}`);
        await within(connected.publishAsync(topic, JSON.stringify({ metadata, body: message.body }), { qos }), timeoutMs, `publishing to ${url.host}`);
      } catch (error) {
        // A connection that failed or hangs is not used again.
        if (clients.get(key) === client) clients.delete(key);
        void client.then((c) => c.endAsync(true)).catch(() => {});
        if (error instanceof NotificationDeliveryError) throw error;
        throw new NotificationDeliveryError(`MQTT ${url.host}: ${(error as Error).message}`, { cause: error });
      }
    },

    async close() {
      const open = [...clients.values()];
      clients.clear();
      await Promise.all(open.map((client) => client.then((c) => c.endAsync()).catch(() => {})));
    },
  };
}
