/**
 * `npm run bench:ngsild-notify`: NGSI-LD notifications (issue 11, benchmark item 4), measured in one
 * run on the local PostgreSQL with a placelink process (dist/cli.js serve) and a receiver on loopback:
 *   1. observation ingest (POST /observations, batches of BENCH_NOTIFY_BATCH, two gateways) into a
 *      datastream watched by BENCH_NOTIFY_SUBSCRIPTIONS (100) subscriptions ÷ the same ingest while
 *      they are paused (the change triggers then stop at their first look), BENCH_ROUNDS rounds of
 *      BENCH_NOTIFY_OBSERVATIONS (10 000) observations each way; goal ≥ 0.8;
 *   2. notifications delivered per second while the outbox of such a round drains;
 *   3. lag from commit to delivery with BENCH_NOTIFY_RATE (2 000) notifications per second offered
 *      for BENCH_NOTIFY_PACED_S (30) seconds: p50 and p99; goal p99 ≤ 1 s.
 *
 * A commit's lag, per subscription, runs until the first notification that carries its value or a
 * later one (a notification carries the Device as it is when it is made, so one may report several
 * commits). The commit time is when the POST was answered, just after the commit.
 *
 * Knobs: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/placelink_bench_notify, recreated),
 * BENCH_PORT (8099), BENCH_NOTIFY_OBSERVATIONS, BENCH_NOTIFY_BATCH (10), BENCH_NOTIFY_SUBSCRIPTIONS,
 * BENCH_NOTIFY_RATE, BENCH_NOTIFY_PACED_S, BENCH_ROUNDS (3), BENCH_PROFILE_DIR (placelink writes a
 * V8 CPU profile there; bench/cpu-profile.ts reads it). A smoke run:
 * BENCH_NOTIFY_OBSERVATIONS=200 BENCH_NOTIFY_SUBSCRIPTIONS=5 BENCH_NOTIFY_RATE=100 BENCH_NOTIFY_PACED_S=3 BENCH_ROUNDS=1.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { log, median, recreateDatabase as recreateDatabaseAt } from './bench-support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/placelink_bench_notify';
const PORT = Number(process.env['BENCH_PORT'] ?? 8099);
const OBSERVATIONS = Number(process.env['BENCH_NOTIFY_OBSERVATIONS'] ?? 10_000);
const BATCH = Number(process.env['BENCH_NOTIFY_BATCH'] ?? 10);
const SUBSCRIPTIONS = Number(process.env['BENCH_NOTIFY_SUBSCRIPTIONS'] ?? 100);
const RATE = Number(process.env['BENCH_NOTIFY_RATE'] ?? 2000);
const PACED_S = Number(process.env['BENCH_NOTIFY_PACED_S'] ?? 30);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const API_KEY = 'bench-key-0123456789abcdef';
const RUN = `n${Date.now().toString(36)}`;
const DATASTREAM = `${RUN}-lux`;
const DEVICE = `urn:ngsi-ld:Device:${DATASTREAM}`;
const DEVICE_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld';
const BASE = `http://127.0.0.1:${PORT}`;
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** A fresh database each run: rows deleted by an earlier run would keep autovacuum busy during this one. */
async function recreateDatabase(): Promise<void> {
  await recreateDatabaseAt(DATABASE_URL);
}

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

type Arrivals = Record<string, { value: number; at: number }[]>;

/** The receiver (bench/notification-receiver.ts) in a process of its own, asked over IPC what it got. */
async function startReceiver(): Promise<{ url: string; latest(): Promise<{ latest: Record<string, number>; count: number }>; arrivals(): Promise<{ arrivals: Arrivals; count: number }>; close(): Promise<void> }> {
  const child = fork(path.join(ROOT, 'bench/notification-receiver.ts'), { execArgv: ['--import', 'tsx'] });
  const ask = <T>(kind: string) =>
    new Promise<T>((resolve) => {
      const answer = (message: { kind: string }) => {
        if (message.kind !== kind) return;
        child.off('message', answer);
        resolve(message as T);
      };
      child.on('message', answer);
      child.send({ kind });
    });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (message) => resolve(message as { port: number })));
  return {
    url: `http://127.0.0.1:${port}/notify`,
    latest: () => ask('latest'),
    arrivals: () => ask('arrivals'),
    close: async () => {
      child.send({ kind: 'stop' });
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url, { method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (response.status >= 300) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
  return response;
}

let sequence = 0;
const base = Date.UTC(2025, 0, 1);

/** A batch of observations with increasing times; the last result is its value (the Device's latest value after it). */
function batchBody(size: number): { body: string; value: number } {
  const items = [];
  for (let i = 0; i < size; i++) {
    sequence++;
    items.push({ datastream: DATASTREAM, phenomenonTime: new Date(base + sequence * 1000).toISOString(), result: sequence });
  }
  return { body: JSON.stringify(items), value: sequence };
}

async function post(body: string): Promise<void> {
  const response = await fetch(`${BASE}/observations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY }, body });
  const result = (await response.json()) as { inserted: number };
  if (response.status !== 202 || result.inserted === 0) throw new Error(`POST /observations answered ${response.status}: ${JSON.stringify(result)}`);
}

/** `count` observations in batches, two gateways each sending its next batch once the last is answered: commits (value, time) and the time it took. */
async function ingest(count: number): Promise<{ ms: number; commits: { value: number; at: number }[] }> {
  const bodies = Array.from({ length: Math.ceil(count / BATCH) }, (_, i) => batchBody(Math.min(BATCH, count - i * BATCH)));
  const commits: { value: number; at: number }[] = [];
  let next = 0;
  const started = Date.now();
  const gateway = async () => {
    while (next < bodies.length) {
      const batch = bodies[next++]!;
      await post(batch.body);
      commits.push({ value: batch.value, at: Date.now() });
    }
  };
  await Promise.all([gateway(), gateway()]);
  return { ms: Date.now() - started, commits };
}

/** Per subscription and commit, the time until the first notification that carries the commit's value or a later one. */
function lags(arrivals: Arrivals, commits: readonly { value: number; at: number }[], subscriptions: readonly string[]): number[] {
  const out: number[] = [];
  for (const id of subscriptions) {
    const got = arrivals[id] ?? [];
    for (const commit of commits) {
      const first = got.find((n) => n.value >= commit.value);
      if (first) out.push(first.at - commit.at);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Waits until every subscription has had a notification of `value` (or a later one); the notifications received by then. */
async function allNotified(receiver: Awaited<ReturnType<typeof startReceiver>>, subscriptions: readonly string[], value: number): Promise<number> {
  for (const deadline = Date.now() + 600_000; ; ) {
    const { latest, count } = await receiver.latest();
    if (subscriptions.every((id) => (latest[id] ?? -1) >= value)) return count;
    if (Date.now() > deadline) throw new Error(`timed out waiting for every subscription to be notified of ${value}`);
    await sleep(20);
  }
}

/** When the last notification of these subscriptions came (a fold: a paced run has too many arrivals to spread into Math.max). */
const lastArrival = (arrivals: Arrivals, subscriptions: readonly string[]) => subscriptions.reduce((last, id) => (arrivals[id] ?? []).reduce((l, n) => Math.max(l, n.at), last), -Infinity);

async function main(): Promise<void> {
  await recreateDatabase();
  const receiver = await startReceiver();
  const directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-bench-notify-'));
  await writeFile(
    path.join(directory, 'push.yaml'),
    `id: ${RUN}-push\nsource: { type: http-push }\ntarget: { collection: ${RUN}-push }\ndatastreams:\n  - { id: "${DATASTREAM}", name: Light, unit: { symbol: lx }, observedProperty: { name: illuminance }, resultType: number, location: [9.73, 52.37] }\n`,
  );
  log('starting placelink (dist/cli.js serve)');
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, path.join(ROOT, 'dist/cli.js'), 'serve'], {
    env: { ...process.env, DATABASE_URL, PORT: String(PORT), PLACELINK_MAPPINGS: directory, PLACELINK_OBSERVATIONS_API_KEY: API_KEY, PLACELINK_DEMO: 'false', PLACELINK_HARVEST_SCHEDULE: 'false', LOG_LEVEL: 'warn', PLACELINK_POOL_SIZE: '4' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const results: Record<string, unknown> = {};
  try {
    await until('placelink to be ready', async () => (await fetch(`${BASE}/readyz`).catch(() => null))?.status === 200, 120_000);
    // The Device exists once the sensor mapping's datastreams are stored.
    await until('placelink to serve the Device', async () => (await fetch(`${BASE}/ngsi-ld/v1/entities/${encodeURIComponent(DEVICE)}`).catch(() => null))?.status === 200, 120_000);
    log(`${SUBSCRIPTIONS} subscriptions to the Device of one datastream`);
    const subscriptions: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const id = `urn:ngsi-ld:Subscription:${RUN}-${i}`;
      await request('POST', `${BASE}/ngsi-ld/v1/subscriptions`, { id, type: 'Subscription', isActive: false, entities: [{ type: 'Device', id: DEVICE }], notification: { format: 'keyValues', attributes: ['illuminance'], endpoint: { uri: receiver.url } } }, { Link: `<${DEVICE_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"` });
      subscriptions.push(id);
    }
    const setActive = async (isActive: boolean) => {
      for (const id of subscriptions) await request('PATCH', `${BASE}/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`, { type: 'Subscription', isActive });
    };
    // The datastream's first observation creates its measured attribute; the rounds then update it.
    await ingest(BATCH);

    const rounds: { without: number; with: number; ratio: number; drainPerSecond: number; notifications: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await setActive(false);
      await pool.query('CHECKPOINT');
      const without = await ingest(OBSERVATIONS);
      await setActive(true);
      await pool.query('CHECKPOINT');
      const before = (await receiver.latest()).count;
      const subscribed = await ingest(OBSERVATIONS);
      const after = await allNotified(receiver, subscriptions, Math.max(...subscribed.commits.map((c) => c.value)));
      const firstCommit = Math.min(...subscribed.commits.map((c) => c.at));
      const notifications = after - before;
      rounds.push({
        without: rate(OBSERVATIONS, without.ms),
        with: rate(OBSERVATIONS, subscribed.ms),
        ratio: Number((without.ms / subscribed.ms).toFixed(2)),
        drainPerSecond: rate(notifications, lastArrival((await receiver.arrivals()).arrivals, subscriptions) - firstCommit),
        notifications,
      });
      log(`round ${round + 1}: ${JSON.stringify(rounds.at(-1))}`);
    }
    const middle = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
    results['ingest'] = { rounds, observationsPerRound: OBSERVATIONS, batch: BATCH, subscriptions: SUBSCRIPTIONS, withoutObsPerSecond: middle.without, withObsPerSecond: middle.with, ratio: middle.ratio };
    results['drain'] = { notificationsPerSecond: median(rounds.map((r) => r.drainPerSecond)), roundNotificationsPerSecond: rounds.map((r) => r.drainPerSecond) };

    // 3. Paced: RATE notifications per second offered (one commit reaches every subscription).
    const commitsPerSecond = RATE / SUBSCRIPTIONS;
    log(`paced: ${commitsPerSecond} commits/s of ${BATCH} observations × ${SUBSCRIPTIONS} subscriptions = ${RATE} notifications/s offered, ${PACED_S} s`);
    const commits: { value: number; at: number }[] = [];
    const before = (await receiver.latest()).count;
    const started = Date.now();
    const pending: Promise<void>[] = [];
    for (let n = 0; Date.now() - started < PACED_S * 1000; n++) {
      const due = started + (n * 1000) / commitsPerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const batch = batchBody(BATCH);
      pending.push(post(batch.body).then(() => void commits.push({ value: batch.value, at: Date.now() })));
    }
    await Promise.all(pending);
    const after = await allNotified(receiver, subscriptions, Math.max(...commits.map((c) => c.value)));
    const { arrivals } = await receiver.arrivals();
    const paced = lags(arrivals, commits, subscriptions);
    results['paced'] = {
      offeredPerSecond: RATE,
      seconds: PACED_S,
      commits: commits.length,
      notifications: after - before,
      deliveredPerSecond: rate(after - before, lastArrival(arrivals, subscriptions) - started),
      p50LagMs: percentile(paced, 0.5),
      p99LagMs: percentile(paced, 0.99),
      maxLagMs: paced.at(-1),
    };
    log(`paced: ${JSON.stringify(results['paced'])}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await pool.end();
    await receiver.close();
  }

  const i = results['ingest'] as { withoutObsPerSecond: number; withObsPerSecond: number; ratio: number; rounds: { ratio: number }[] };
  const d = results['drain'] as { notificationsPerSecond: number; roundNotificationsPerSecond: number[] };
  const p = results['paced'] as { deliveredPerSecond: number; p50LagMs: number; p99LagMs: number; notifications: number };
  process.stdout.write(
    [
      '',
      '| measurement | result | goal |',
      '| --- | --- | --- |',
      `| observation ingest with ${SUBSCRIPTIONS} subscriptions ÷ with them paused (${OBSERVATIONS} obs in batches of ${BATCH}, 2 gateways, median of ${ROUNDS} rounds) | ${i.withObsPerSecond} ÷ ${i.withoutObsPerSecond} obs/s = ${i.ratio} (rounds: ${i.rounds.map((r) => r.ratio).join(', ')}) | ≥ 0.8 |`,
      `| notifications delivered per second while the outbox of a round drains | ${d.notificationsPerSecond}/s (rounds: ${d.roundNotificationsPerSecond.join(', ')}) | |`,
      `| lag commit → delivery with ${RATE} notifications/s offered for ${PACED_S} s | p50 ${p.p50LagMs} ms, p99 ${p.p99LagMs} ms; ${p.deliveredPerSecond} delivered/s (${p.notifications} notifications) | p99 ≤ 1000 ms at 2 000/s |`,
      '',
      JSON.stringify(results),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
