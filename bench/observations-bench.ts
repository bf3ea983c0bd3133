/**
 * `npm run bench:observations`: the sensor side, measured in one run on the local PostgreSQL and
 * mosquitto:
 *   1. sustained MQTT ingest (obs/s) through mosquitto into a placelink process, and that none is lost;
 *   2. HTTP batch ingest (POST /observations, two gateways) obs/s ÷ raw COPY of as many rows into the same table;
 *   3. latest values of 10 000 assets (one query) p50;
 *   4. join refresh for 100 000 assets × 5 000 sensors (nearest within 50 m).
 *
 * 1 and 2 run BENCH_ROUNDS (3) rounds each and report the median round along with every round.
 *
 * Knobs: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/placelink_bench_sensors, recreated),
 * BENCH_MQTT_URL (mqtt://127.0.0.1:1883), BENCH_MQTT_MESSAGES (100000), BENCH_HTTP_OBSERVATIONS
 * (100000), BENCH_ASSETS (100000), BENCH_SENSORS (5000), BENCH_PORT (8098).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadMappings } from '../src/config/mappings-loader.js';
import { createDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createStore } from '../src/db/store.js';
import { createLogger } from '../src/logger.js';
import { importFeatures } from '../src/services/features/import-features.js';
import { isSensorMapping, type SensorMapping } from '../src/services/sensors/sensor-registry.js';
import { sensorService } from '../src/services/sensors/sensor-service.js';
import { log, median, recreateDatabase as recreateDatabaseAt } from './bench-support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/placelink_bench_sensors';
const MQTT_URL = process.env['BENCH_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
const PORT = Number(process.env['BENCH_PORT'] ?? 8098);
const MQTT_MESSAGES = Number(process.env['BENCH_MQTT_MESSAGES'] ?? 100_000);
const HTTP_OBSERVATIONS = Number(process.env['BENCH_HTTP_OBSERVATIONS'] ?? 100_000);
const ASSETS = Number(process.env['BENCH_ASSETS'] ?? 100_000);
const SENSORS = Number(process.env['BENCH_SENSORS'] ?? 5000);
const API_KEY = 'bench-key-0123456789abcdef';
const RUN = `b${Date.now().toString(36)}`;
const HTTP_BATCH = 5000;
/** Rounds of the MQTT and the HTTP/COPY measurements: a shared 2-core machine varies by ±20 % from one second to the next; the median round is reported, and every round. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);


const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** A fresh database each run: rows deleted by an earlier run would keep autovacuum busy during this one. */
async function recreateDatabase(): Promise<void> {
  await recreateDatabaseAt(DATABASE_URL);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function datastreams(prefix: string, count: number, placed: boolean, box = { lon: 9.7, lat: 52.35, size: 0.1 }): string {
  return Array.from({ length: count }, (_, i) => {
    const where = placed ? `, location: [${(box.lon + ((i * 7919) % 10007) / 10007 * box.size).toFixed(6)}, ${(box.lat + ((i * 104729) % 10009) / 10009 * box.size * 0.6).toFixed(6)}]` : '';
    return `  - { id: "${prefix}-${i}", resultType: number${where} }`;
  }).join('\n');
}

async function main(): Promise<void> {
  await recreateDatabase();
  const logger = createLogger('warn');
  const db = createDatabase({ connectionString: DATABASE_URL, poolSize: 4, statementTimeoutMs: 600_000 }, logger);
  await migrate(db, logger);
  const store = await createStore(db);
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const count = async (sourceId: string) =>
    Number((await pool.query<{ n: string }>('SELECT feature_count::text AS n FROM collection c JOIN sensor_source s ON s.collection_key = c.collection_key WHERE s.id = $1', [sourceId])).rows[0]?.n ?? 0);

  const directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-bench-'));
  await writeFile(
    path.join(directory, 'mqtt.yaml'),
    `id: ${RUN}-mqtt
source:
  type: mqtt
  url: ${MQTT_URL}
  clientId: placelink-bench-${RUN}
  sessionExpiry: 10m
  window: 65535
  batch: { size: 5000, maxWait: 20ms }
  topics:
    - pattern: bench/${RUN}/v1.1/+/Observations
target: { collection: ${RUN}-mqtt }
datastreams:
${datastreams(`${RUN}-m`, 100, false)}
`,
  );
  await writeFile(path.join(directory, 'http.yaml'), `id: ${RUN}-http\nsource: { type: http-push }\ntarget: { collection: ${RUN}-http }\ndatastreams:\n${datastreams(`${RUN}-h`, 100, false)}\n`);

  log('starting placelink (dist/cli.js serve)');
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve'], {
    env: { ...process.env, DATABASE_URL, PORT: String(PORT), PLACELINK_MAPPINGS: directory, PLACELINK_OBSERVATIONS_API_KEY: API_KEY, PLACELINK_DEMO: 'false', PLACELINK_HARVEST_SCHEDULE: 'false', LOG_LEVEL: 'warn', PLACELINK_POOL_SIZE: '4' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const results: Record<string, unknown> = {};
  try {
    await until('placelink to subscribe', async () => {
      const body = (await fetch(`http://127.0.0.1:${PORT}/admin/feeds`).then((r) => r.json()).catch(() => null)) as { feeds: { connected: boolean }[] } | null;
      return body?.feeds[0]?.connected === true;
    }, 120_000);

    // 1. MQTT: full speed, but never more than 40 000 messages ahead of what is stored, so
    // mosquitto's per-client queue (max_queued_messages) never overflows: a sustained rate.
    // Each round goes on in time where the last one ended.
    log(`MQTT: ${ROUNDS} rounds of ${MQTT_MESSAGES} messages, one observation each, QoS 1`);
    const publisher = await mqtt.connectAsync(MQTT_URL, { clientId: `placelink-bench-pub-${RUN}`, protocolVersion: 5 });
    const base = Date.UTC(2025, 0, 1);
    const mqttRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = round * MQTT_MESSAGES;
      const target = first + MQTT_MESSAGES;
      const startedMqtt = Date.now();
      for (let sent = first; sent < target; ) {
        const stored = await count(`${RUN}-mqtt`);
        if (sent - stored > 40_000) {
          await sleep(10);
          continue;
        }
        const until = Math.min(target, sent + 5000);
        for (; sent < until; sent++) {
          publisher.publish(`bench/${RUN}/v1.1/Datastreams(${RUN}-m-${sent % 100})/Observations`, `{"phenomenonTime":"${new Date(base + sent * 1000).toISOString()}","result":${sent}}`, { qos: 1 });
        }
        await sleep(0);
      }
      await until('MQTT observations to be stored', async () => (await count(`${RUN}-mqtt`)) >= target);
      mqttRates.push(rate(MQTT_MESSAGES, Date.now() - startedMqtt));
      log(`MQTT round ${round + 1}: ${mqttRates.at(-1)} obs/s`);
    }
    await sleep(500);
    const mqttStored = await count(`${RUN}-mqtt`);
    await publisher.endAsync();
    results['mqtt'] = { rounds: ROUNDS, messagesPerRound: MQTT_MESSAGES, stored: mqttStored, lost: ROUNDS * MQTT_MESSAGES - mqttStored, roundObsPerSecond: mqttRates, obsPerSecond: median(mqttRates) };
    log(`MQTT: ${JSON.stringify(results['mqtt'])}`);

    // 2. HTTP batches vs COPY of as many rows into the same table, round after round (each its own
    // stretch of time); the ratio of each round, and their median.
    log(`HTTP: ${ROUNDS} rounds of ${HTTP_OBSERVATIONS} observations in batches of ${HTTP_BATCH}, each followed by a COPY of as many rows`);
    const post = async (body: string) => {
      const response = await fetch(`http://127.0.0.1:${PORT}/observations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY }, body });
      const result = (await response.json()) as { inserted: number };
      if (response.status !== 202) throw new Error(`POST /observations answered ${response.status}: ${JSON.stringify(result)}`);
      return result.inserted;
    };
    const keys = (await pool.query<{ datastream_key: number }>(`SELECT d.datastream_key FROM datastream d JOIN sensor_source s USING (source_key) WHERE s.id = $1 ORDER BY d.datastream_key`, [`${RUN}-mqtt`])).rows.map((r) => r.datastream_key);
    const httpFrom = ROUNDS * MQTT_MESSAGES;
    const copyFromSecond = httpFrom + ROUNDS * HTTP_OBSERVATIONS;
    await store.sensors.ensurePartitions(new Date(base), new Date(base + (copyFromSecond + ROUNDS * HTTP_OBSERVATIONS) * 1000));
    const httpRounds: { obsPerSecond: number; copyRowsPerSecond: number; ratio: number }[] = [];
    let httpInserted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const bodies: string[] = [];
      for (let start = 0; start < HTTP_OBSERVATIONS; start += HTTP_BATCH) {
        const items = [];
        for (let i = start; i < Math.min(HTTP_OBSERVATIONS, start + HTTP_BATCH); i++) {
          items.push({ datastream: `${RUN}-h-${i % 100}`, phenomenonTime: new Date(base + (httpFrom + round * HTTP_OBSERVATIONS + i) * 1000).toISOString(), result: i / 10 });
        }
        bodies.push(JSON.stringify(items));
      }
      // Each side starts after a checkpoint, so neither pays for full-page images the other does not.
      await pool.query('CHECKPOINT');
      const startedHttp = Date.now();
      // Two gateways pushing at once: each sends its next batch as soon as its last one is answered.
      let next = 0;
      let inserted = 0;
      const gateway = async () => {
        while (next < bodies.length) {
          const stored = await post(bodies[next++]!);
          inserted += stored;
        }
      };
      await Promise.all([gateway(), gateway()]);
      const httpMs = Date.now() - startedHttp;
      httpInserted += inserted;

      // Rows go out in chunks of 1 000: one stream write per row would measure Node's stream
      // machinery (several times slower here) rather than COPY.
      const copyRows = (function* () {
        let chunk = '';
        for (let i = 0; i < HTTP_OBSERVATIONS; i++) {
          const t = new Date(base + (copyFromSecond + round * HTTP_OBSERVATIONS + i) * 1000).toISOString();
          chunk += `${keys[i % keys.length]}\t${t}\t${t}\t-infinity\t${i / 10}\n`;
          if (i % 1000 === 999) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      })();
      await pool.query('CHECKPOINT');
      const client = await pool.connect();
      const startedCopy = Date.now();
      await pipeline(Readable.from(copyRows), client.query(copyFrom('COPY observation (datastream_key, phenomenon_time, phenomenon_end, result_time, result_number) FROM STDIN')));
      const copyMs = Date.now() - startedCopy;
      client.release();
      httpRounds.push({ obsPerSecond: rate(inserted, httpMs), copyRowsPerSecond: rate(HTTP_OBSERVATIONS, copyMs), ratio: Number((copyMs / httpMs).toFixed(2)) });
      log(`HTTP round ${round + 1}: ${JSON.stringify(httpRounds.at(-1))}`);
    }
    const middle = [...httpRounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(httpRounds.length / 2)]!;
    results['http'] = {
      rounds: ROUNDS,
      observationsPerRound: HTTP_OBSERVATIONS,
      inserted: httpInserted,
      roundRatios: httpRounds.map((r) => r.ratio),
      // the round with the median ratio
      obsPerSecond: middle.obsPerSecond,
      copyRowsPerSecond: middle.copyRowsPerSecond,
      ratioToCopy: middle.ratio,
    };
    log(`HTTP: ${JSON.stringify(results['http'])}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }

  // 3 and 4: the join and latest values, in this process on the same database.
  log(`join: ${ASSETS} assets, ${SENSORS} sensors`);
  const assets = `${RUN}-assets`;
  const records = Array.from({ length: ASSETS }, (_, i) => ({
    id: `A-${i}`,
    namespace: 'bench',
    localId: `A-${i}`,
    versionId: null,
    geometry: { type: 'Point' as const, coordinates: [9.7 + (((i * 48271) % 100003) / 100003) * 0.1, 52.35 + (((i * 16807) % 99991) / 99991) * 0.06] },
    properties: { n: i },
    timeStart: null,
    timeEnd: null,
  }));
  await importFeatures(store, { id: assets, title: 'bench assets', sourceSrid: 4326 }, records, {});
  const sensorsFile = path.join(directory, 'join.yaml');
  await writeFile(
    sensorsFile,
    `id: ${RUN}-join\nsource: { type: http-push }\ntarget: { collection: ${RUN}-join }\nlinks:\n  - { rule: nearest, collection: ${assets}, maxDistance: 50 }\ndatastreams:\n${datastreams(`${RUN}-j`, SENSORS, true)}\n`,
  );
  const mapping = (await loadMappings(sensorsFile)).map((m) => m.mapping).find(isSensorMapping) as SensorMapping;
  const service = sensorService(store, [mapping], logger, { maxFutureMs: 300_000 });
  await service.prepare();
  const startedJoin = Date.now();
  const joined = await service.refreshLinks(mapping.id);
  const joinMs = Date.now() - startedJoin;
  const startedAgain = Date.now();
  const again = await service.refreshLinks(mapping.id);
  const againMs = Date.now() - startedAgain;
  results['join'] = { assets: ASSETS, sensors: SENSORS, links: joined.opened, ms: joinMs, unchangedRefreshMs: againMs, unchanged: again.unchanged };

  // Latest values: one observation per sensor, then the values of 10 000 assets (linked or not).
  const now = Date.now();
  const infos = await service.directory.byIds(Array.from({ length: SENSORS }, (_, i) => `${RUN}-j-${i}`));
  await service.record(Array.from(infos.values(), (info, i) => ({ index: i, datastream: info, datastreamRef: info.id, input: { phenomenonTime: new Date(now - 60_000).toISOString(), result: i } })));
  const linkedAssets = (await pool.query<{ asset_id: string }>(`SELECT DISTINCT l.asset_id FROM asset_link l JOIN collection c USING (collection_key) WHERE c.id = $1 AND l.valid_to IS NULL`, [assets])).rows.map((r) => r.asset_id);
  const ids = [...linkedAssets, ...records.map((r) => r.id).filter((id) => !linkedAssets.includes(id))].slice(0, 10_000);
  const collectionKey = (await store.collections.get(assets))!.key;
  const timings: number[] = [];
  let values = 0;
  for (let i = 0; i < 25; i++) {
    const started = process.hrtime.bigint();
    values = (await store.sensors.links.latestForAssets(collectionKey, ids)).length;
    timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  timings.sort((a, b) => a - b);
  results['latest'] = { assets: ids.length, linkedAssets: Math.min(linkedAssets.length, ids.length), values, p50Ms: Number(timings[Math.floor(timings.length / 2)]!.toFixed(2)), p95Ms: Number(timings[Math.floor(timings.length * 0.95)]!.toFixed(2)) };

  for (const id of [`${RUN}-mqtt`, `${RUN}-http`, `${RUN}-join`, assets]) await store.collections.remove(id);
  await pool.query('DELETE FROM sensor_source WHERE id LIKE $1', [`${RUN}-%`]);
  await pool.end();
  await db.close();

  const m = results['mqtt'] as { obsPerSecond: number; lost: number; messagesPerRound: number; roundObsPerSecond: number[] };
  const h = results['http'] as { obsPerSecond: number; copyRowsPerSecond: number; ratioToCopy: number; roundRatios: number[] };
  const j = results['join'] as { ms: number; unchangedRefreshMs: number; links: number };
  const l = results['latest'] as { p50Ms: number; p95Ms: number; assets: number };
  process.stdout.write(
    [
      '',
      '| measurement | result | goal |',
      '| --- | --- | --- |',
      `| MQTT ingest through mosquitto (QoS 1, 1 observation per message, median of ${ROUNDS} rounds of ${m.messagesPerRound} messages) | ${m.obsPerSecond} obs/s (rounds: ${m.roundObsPerSecond.join(', ')}), ${m.lost} lost | ≥ 20 000 obs/s, 0 lost |`,
      `| HTTP batch ingest (POST /observations, ${HTTP_BATCH} per batch, 2 gateways) ÷ raw COPY of as many rows, median of ${ROUNDS} rounds | ${h.obsPerSecond} obs/s ÷ ${h.copyRowsPerSecond} rows/s = ${h.ratioToCopy} (rounds: ${h.roundRatios.join(', ')}) | ≥ 0.5 |`,
      `| latest values of ${l.assets} assets (one query) | p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms | |`,
      `| join refresh, ${ASSETS} assets × ${SENSORS} sensors (nearest ≤ 50 m) | ${(j.ms / 1000).toFixed(2)} s (${j.links} links); unchanged re-run ${(j.unchangedRefreshMs / 1000).toFixed(2)} s | |`,
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
