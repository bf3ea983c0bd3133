/**
 * The notification receiver of bench/ngsild-notify-bench.ts, in a process of its own (so receiving
 * does not slow the process that ingests): it answers every POST with 204 and records, per
 * subscription, the value each notification carried (the Device's illuminance) and when it came.
 * Over IPC it reports its port, then answers {kind: 'latest'} with the newest value per subscription
 * and the count, and {kind: 'arrivals'} with everything it recorded.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const arrivals: Record<string, { value: number; at: number }[]> = {};
let count = 0;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const at = Date.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { subscriptionId: string; data: { illuminance: number }[] };
    count++;
    (arrivals[body.subscriptionId] ??= []).push({ value: body.data[0]!.illuminance, at });
    response.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (message: { kind: 'latest' | 'arrivals' | 'stop' }) => {
  if (message.kind === 'latest') {
    const latest = Object.fromEntries(Object.entries(arrivals).map(([id, list]) => [id, Math.max(...list.map((n) => n.value))]));
    process.send!({ kind: 'latest', latest, count });
  } else if (message.kind === 'arrivals') process.send!({ kind: 'arrivals', arrivals, count });
  else server.close(() => process.exit(0));
});

server.listen(0, '127.0.0.1', () => process.send!({ kind: 'port', port: (server.address() as AddressInfo).port }));
