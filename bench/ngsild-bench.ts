/**
 * `npm run bench:ngsild`: placelink's NGSI-LD API (/ngsi-ld/v1) against the raw database and MapServer
 * 8.0, measured in one run on the local PostgreSQL (issue 11, "Benchmark", items 1–3):
 *   1. near: GET /entities?type=Streetlight&georel=near;maxDistance==200&geometry=Point&coordinates=[lon,lat]
 *      at random points inside the extent of BENCH_ENTITIES (1 000 000) Streetlight entities, req/s ÷
 *      the same selection as hand-written SQL emitting the same JSON (pgbench), goal ≥ 0.5;
 *   2. item: GET /entities/{id} for random ids, req/s ÷ SQL by primary key emitting the same entity
 *      (goal ≥ 0.5), and ÷ MapServer 8.0's OGC API `c_item` measured in the same round by
 *      ../shared/peers/bench.sh (goal ≥ 2; skipped with a message when MapServer is not reachable on
 *      127.0.0.1:8081 — ../shared/peers/setup.sh starts it);
 *   3. temporal: GET /temporal/entities/{id}?aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&options=aggregatedValues
 *      for a random one of BENCH_TEMPORAL_DEVICES (100) Devices, each with BENCH_TEMPORAL_DAYS (365) of
 *      per-minute observations (52.6 M rows at full size), ÷ the same hourly aggregation as SQL, goal ≥ 0.5.
 * Item 4 of the issue (notifications) is `npm run bench:ngsild-notify`.
 *
 * The SQL side is written here, not taken from placelink: the same filter on the same indexes (near:
 * geography ST_DWithin behind a box on the GiST index) and json_build_object of the entity in its
 * normalized form with the same members. Before measuring, the bench compares, for one sample of each
 * case, placelink's answer with the SQL's (the same entity ids, the same JSON once parsed) and stops on a
 * difference. pgbench runs with the session settings placelink's pool uses (no parallel workers, no
 * JIT), so the ratio is placelink's cost, not a difference of planner settings.
 *
 * Every case runs BENCH_ROUNDS rounds; in each round wrk on placelink and pgbench on the SQL run one right
 * after the other (each after its own warm-up), with the same threads and connections; every round is
 * printed, the final block gives the medians and each ratio with its goal.
 *
 * The data is generated in SQL into the bench's own database and kept between runs while it has the size
 * asked for (the full set takes a long while: see the log's rows/s): the Streetlights straight into
 * placelink's feature table (a collection whose harvest information names the NGSI-LD type Streetlight
 * and the Smart Data Models Streetlighting context), the Devices from an http-push sensor mapping the
 * bench writes (placelink registers its datastreams), their observations inserted with generate_series
 * into month partitions made by placelink_observation_partition, then VACUUM ANALYZE.
 *
 * Knobs: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/placelink_bench_ngsild), BENCH_PORT
 * (8096), BENCH_PARTS (any of near,item,temporal; default all), BENCH_ROUNDS (3), BENCH_ENTITIES
 * (1000000), BENCH_TEMPORAL_DEVICES (100), BENCH_TEMPORAL_DAYS (365), DURATION (15 s per measured
 * run) / WARMUP (3 s) / THREADS (2) / CONNS (2) as ../shared/peers/bench.sh, SKIP_PEERS=1 (no MapServer),
 * BENCH_OUT (results JSON, default .bench/ngsild-results.json). A check that everything runs, not a
 * measurement: BENCH_ENTITIES=20000 BENCH_TEMPORAL_DEVICES=3 BENCH_TEMPORAL_DAYS=2 BENCH_ROUNDS=1 DURATION=3 WARMUP=1 npm run bench:ngsild
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadMappings } from '../src/config/mappings-loader.js';
import { createDatabase } from '../src/db/database.js';
import { createStore } from '../src/db/store.js';
import { createLogger } from '../src/logger.js';
import { isSensorMapping, type SensorMapping } from '../src/services/sensors/sensor-registry.js';
import { sensorService } from '../src/services/sensors/sensor-service.js';
import { ensureDatabase, log, median, reachable } from './bench-support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = process.env['PLACELINK_SHARED'] ?? path.resolve(ROOT, '../shared');
const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/placelink_bench_ngsild';
const PORT = Number(process.env['BENCH_PORT'] ?? 8096);
const BASE = `http://127.0.0.1:${PORT}`;
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'near,item,temporal').split(',').map((p) => p.trim()));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const ENTITIES = Number(process.env['BENCH_ENTITIES'] ?? 1_000_000);
const DEVICES = Number(process.env['BENCH_TEMPORAL_DEVICES'] ?? 100);
const DAYS = Number(process.env['BENCH_TEMPORAL_DAYS'] ?? 365);
const DURATION = Number(process.env['DURATION'] ?? 15);
const WARMUP = Number(process.env['WARMUP'] ?? 3);
const THREADS = Number(process.env['THREADS'] ?? 2);
const CONNS = Number(process.env['CONNS'] ?? 2);
const OUT = process.env['BENCH_OUT'] ?? path.join(ROOT, '.bench', 'ngsild-results.json');
const MAPSERVER = 'http://127.0.0.1:8081/mapserv/peers/ogcapi';

/** What placelink's pool sets on every connection (src/db/database.ts); pgbench gets the same. */
const SESSION_OPTIONS = '-c max_parallel_workers_per_gather=0 -c jit=off';

const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';
const DEVICE_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld';
const LINK = (url: string) => `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

/** The Streetlights: a grid 0.001° apart from (9, 52), about 70 m × 111 m, so a 200 m circle holds some 16 (fewer than a page of 20). */
const LIGHTS = 'bench-ngsild-streetlights';
const GRID = { lon: 9, lat: 52, step: 0.001, columns: Math.ceil(Math.sqrt(ENTITIES)) };
const GRID_ROWS = Math.ceil(ENTITIES / GRID.columns);
const EXTENT = { lon: GRID.lon, lat: GRID.lat, lonSpan: (GRID.columns - 1) * GRID.step, latSpan: (GRID_ROWS - 1) * GRID.step };
const NEAR_METRES = 200;
/** placelink's default page size (LIMIT.fallback in src/ngsild/entities/entity-parameters.ts). */
const PAGE = 20;

/** The Devices: one http-push datastream each, observing air temperature every minute from START. */
const SOURCE = 'bench-ngsild-devices';
const OBSERVATIONS = 'bench-ngsild-observations';
const DEVICE_PREFIX = 'bench-dev-';
const START = Date.UTC(2025, 0, 1);
const PER_DEVICE = DAYS * 1440;

const fmt = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '–' : n.toFixed(digits));



function cli(args: string[]): string {
  return execFileSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { env: { ...process.env, DATABASE_URL }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

// ---------------------------------------------------------------- data

/**
 * BENCH_ENTITIES Streetlights written straight into placelink's schema (the import path is measured
 * elsewhere). The collection carries what a mapping's `ngsiLd` section gives: type, context, and what
 * is known of the attributes (wattage in W, refStreetlightGroup a Relationship).
 */
/** What a run generated and how long it took; null when the data of an earlier run was kept. */
type Generated = { rows: number; seconds: number } | null;

async function createStreetlights(client: pg.Client): Promise<{ key: number; generated: Generated }> {
  const { rows: existing } = await client.query<{ key: number; n: string }>(
    "SELECT collection_key AS key, feature_count::text AS n FROM collection WHERE id = $1 AND ngsi_ld_type = 'Streetlight'",
    [LIGHTS],
  );
  if (existing[0] && Number(existing[0].n) === ENTITIES) {
    log(`keeping the ${ENTITIES} Streetlights of an earlier run`);
    return { key: existing[0].key, generated: null };
  }
  log(`generating ${ENTITIES} Streetlight entities`);
  const started = Date.now();
  await client.query('BEGIN');
  const { rows: removed } = await client.query<{ key: number }>('DELETE FROM collection WHERE id = $1 RETURNING collection_key AS key', [LIGHTS]);
  for (const { key } of removed) await client.query(`DROP TABLE IF EXISTS feature_c${key}`);
  const { rows } = await client.query<{ key: number }>(
    `INSERT INTO collection (id, title, source_srid, inspire_namespace, ngsi_ld_type, ngsi_ld_context, ngsi_ld_attributes, queryables)
     VALUES ($1, 'Streetlights (NGSI-LD bench)', 4326, 'bench', 'Streetlight', $2::jsonb, $3::jsonb, $4::jsonb) RETURNING collection_key AS key`,
    [
      LIGHTS,
      JSON.stringify([STREETLIGHTING]),
      JSON.stringify({ wattage: { unitCode: 'WTT' }, refStreetlightGroup: { relationship: true } }),
      JSON.stringify({ powerState: { type: 'string' }, status: { type: 'string' }, wattage: { type: 'integer' }, refStreetlightGroup: { type: 'string' } }),
    ],
  );
  const key = rows[0]!.key;
  await client.query(`CREATE TABLE feature_c${key} PARTITION OF feature FOR VALUES IN (${key})`);
  await client.query(
    `INSERT INTO feature (collection_key, id, namespace, local_id, ngsi_ld_id, geom, properties, content_hash)
     SELECT $1, 'SL-' || n, 'bench', 'SL-' || n, 'urn:ngsi-ld:Streetlight:' || n, g, p, sha256(convert_to(ST_AsText(g) || p::text, 'UTF8'))
     FROM (SELECT n, ST_SetSRID(ST_MakePoint($3::float8 + ((n - 1) % $5) * $6::float8, $4::float8 + ((n - 1) / $5) * $6::float8), 4326) AS g,
                  jsonb_build_object('powerState', CASE WHEN n % 4 = 0 THEN 'off' ELSE 'on' END,
                                     'status', (ARRAY['ok', 'defectiveLamp', 'columnIssue'])[1 + n % 3],
                                     'wattage', 30 + (n % 5) * 10,
                                     'refStreetlightGroup', 'urn:ngsi-ld:StreetlightGroup:G' || (n % 1000)) AS p
           FROM generate_series(1, $2::integer) AS n) s`,
    [key, ENTITIES, GRID.lon, GRID.lat, GRID.columns, GRID.step],
  );
  await client.query(
    `UPDATE collection SET feature_count = $2, data_version = data_version + 1, geometry_types = '{ST_Point}',
       spatial_extent = ARRAY[$3::float8, $4::float8, $3::float8 + $5::float8, $4::float8 + $6::float8], updated_at = now() WHERE collection_key = $1`,
    [key, ENTITIES, EXTENT.lon, EXTENT.lat, EXTENT.lonSpan, EXTENT.latSpan],
  );
  await client.query('COMMIT');
  // VACUUM too: the hint bits and visibility map are set once here, not by whichever side reads first.
  await client.query(`VACUUM (ANALYZE) feature_c${key}`);
  const seconds = (Date.now() - started) / 1000;
  log(`${ENTITIES} Streetlights in ${seconds.toFixed(1)} s (${Math.round(ENTITIES / seconds)} entities/s; 1 000 000 would take about ${Math.ceil((1_000_000 / ENTITIES) * seconds)} s)`);
  return { key, generated: { rows: ENTITIES, seconds } };
}

/** The http-push mapping of the Devices: "air temperature" gives the measured attribute airTemperature. */
function writeDeviceMapping(directory: string): string {
  const datastreams = Array.from({ length: DEVICES }, (_, i) => {
    const lon = (9.5 + ((i * 7919) % 1000) * 0.0004).toFixed(6);
    const lat = (52.3 + ((i * 104729) % 1000) * 0.0002).toFixed(6);
    return `  - { id: "${DEVICE_PREFIX}${i}", name: "Air temperature ${i}", unit: { name: degree Celsius, symbol: Cel }, observedProperty: { name: air temperature }, resultType: number, location: [${lon}, ${lat}] }`;
  });
  const file = path.join(directory, 'devices.yaml');
  writeFileSync(file, `id: ${SOURCE}\ntitle: NGSI-LD bench Devices\nsource: { type: http-push }\ntarget: { collection: ${OBSERVATIONS} }\ndatastreams:\n${datastreams.join('\n')}\n`);
  return file;
}

/**
 * BENCH_TEMPORAL_DEVICES Devices with BENCH_TEMPORAL_DAYS of per-minute observations. placelink
 * registers the datastreams (their source, collection and places) from the mapping; the observations
 * go in by SQL, one statement per datastream in time order (each appends to the right of the identity
 * index), with the bookkeeping placelink's own writes keep (latest value, tally, collection count).
 */
async function createDevices(client: pg.Client, mappingFile: string): Promise<Generated> {
  const { rows: state } = await client.query<{ n: number; lo: string | null; hi: string | null; all: number }>(
    `SELECT count(*)::integer AS n, min(coalesce(t.observation_count, 0))::text AS lo, max(coalesce(t.observation_count, 0))::text AS hi,
            (SELECT count(*)::integer FROM datastream) AS all
     FROM datastream d JOIN sensor_source s USING (source_key) LEFT JOIN datastream_tally t USING (datastream_key) WHERE s.id = $1`,
    [SOURCE],
  );
  const s = state[0]!;
  if (s.n === DEVICES && s.all === DEVICES && Number(s.lo) === PER_DEVICE && Number(s.hi) === PER_DEVICE) {
    log(`keeping the ${DEVICES} Devices × ${DAYS} days of observations of an earlier run`);
    return null;
  }
  log(`generating ${DEVICES} Devices × ${DAYS} days of per-minute observations (${(DEVICES * PER_DEVICE).toLocaleString('en')} rows)`);
  // The bench's own database: every observation goes, and the Devices of an earlier size with them.
  await client.query('TRUNCATE observation, observation_latest, datastream_tally');
  await client.query('DELETE FROM datastream');
  await client.query('DELETE FROM sensor_source');
  const { rows: removed } = await client.query<{ key: number }>('DELETE FROM collection WHERE id = $1 RETURNING collection_key AS key', [OBSERVATIONS]);
  for (const { key } of removed) await client.query(`DROP TABLE IF EXISTS feature_c${key}`);

  const logger = createLogger('warn');
  const db = createDatabase({ connectionString: DATABASE_URL, poolSize: 2, statementTimeoutMs: 600_000 }, logger);
  try {
    const store = await createStore(db);
    const mapping = (await loadMappings(mappingFile)).map((m) => m.mapping).find(isSensorMapping) as SensorMapping;
    await sensorService(store, [mapping], logger, { maxFutureMs: 300_000 }).prepare();
  } finally {
    await db.close();
  }
  const { rows: streams } = await client.query<{ key: number }>(
    'SELECT d.datastream_key AS key FROM datastream d JOIN sensor_source s USING (source_key) WHERE s.id = $1 ORDER BY d.datastream_key',
    [SOURCE],
  );
  if (streams.length !== DEVICES) throw new Error(`placelink registered ${streams.length} datastreams of the ${DEVICES} in ${mappingFile}`);

  const end = START + DAYS * 86_400_000;
  for (let month = new Date(START); month.getTime() < end; month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1))) {
    await client.query("SELECT * FROM placelink_observation_partition($1::timestamptz, 'month')", [month.toISOString()]);
  }
  const started = Date.now();
  for (const [i, { key }] of streams.entries()) {
    // A year's swing, a day's swing, an offset per Device and a little deterministic noise.
    await client.query(
      `INSERT INTO observation (datastream_key, phenomenon_time, phenomenon_end, result_time, result_number, received_at)
       SELECT $1::integer, t, t, '-infinity', round((9 - 8 * cos(2 * pi() * extract(doy FROM t) / 365.25) - 4 * cos(2 * pi() * extract(epoch FROM t) / 86400)
                                                     + ($1::integer % 7) * 0.3 + ((extract(epoch FROM t)::bigint / 60 * 2654435761 + $1::integer) % 1000) / 1000.0 - 0.5)::numeric, 2)::float8, t
       FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 minute', interval '1 minute') AS t`,
      [key, new Date(START).toISOString(), new Date(end).toISOString()],
    );
    if ((i + 1) % 10 === 0 || i + 1 === streams.length) {
      const seconds = (Date.now() - started) / 1000;
      log(`  ${i + 1}/${DEVICES} Devices, ${Math.round(((i + 1) * PER_DEVICE) / seconds)} rows/s`);
    }
  }
  const insertSeconds = (Date.now() - started) / 1000;
  await client.query(
    `INSERT INTO observation_latest (datastream_key, phenomenon_time, phenomenon_end, result_time, result_number, result, received_at)
     SELECT d.datastream_key, o.phenomenon_time, o.phenomenon_end, o.result_time, o.result_number, o.result, o.received_at
     FROM datastream d CROSS JOIN LATERAL (SELECT * FROM observation o WHERE o.datastream_key = d.datastream_key
                                           ORDER BY o.phenomenon_time DESC, o.phenomenon_end DESC, o.result_time DESC LIMIT 1) o
     ON CONFLICT (datastream_key) DO UPDATE SET phenomenon_time = EXCLUDED.phenomenon_time, phenomenon_end = EXCLUDED.phenomenon_end,
       result_time = EXCLUDED.result_time, result_number = EXCLUDED.result_number, result = EXCLUDED.result, received_at = EXCLUDED.received_at`,
  );
  await client.query(
    `INSERT INTO datastream_tally (datastream_key, observation_count) SELECT datastream_key, $1::bigint FROM datastream
     ON CONFLICT (datastream_key) DO UPDATE SET observation_count = EXCLUDED.observation_count`,
    [PER_DEVICE],
  );
  await client.query(
    `UPDATE collection c SET feature_count = $2::bigint, temporal_start = $3::timestamptz, temporal_end = $4::timestamptz - interval '1 minute',
       data_version = c.data_version + 1, updated_at = now()
     FROM sensor_source s WHERE s.id = $1 AND c.collection_key = s.collection_key`,
    [SOURCE, DEVICES * PER_DEVICE, new Date(START).toISOString(), new Date(end).toISOString()],
  );
  log('VACUUM ANALYZE of the observations');
  const vacuumStarted = Date.now();
  await client.query('VACUUM (ANALYZE) observation');
  await client.query('ANALYZE datastream, datastream_location, observation_latest, datastream_tally');
  const seconds = (Date.now() - started) / 1000;
  const full = (100 * 365 * 1440) / (DEVICES * PER_DEVICE);
  const estimate = full > 1.5 ? `; at this rate the full 100 × 365 days would take about ${Math.ceil((full * seconds) / 60)} min` : '';
  log(`${(DEVICES * PER_DEVICE).toLocaleString('en')} observations: insert ${insertSeconds.toFixed(1)} s, VACUUM ANALYZE ${((Date.now() - vacuumStarted) / 1000).toFixed(1)} s${estimate}`);
  return { rows: DEVICES * PER_DEVICE, seconds };
}

// ---------------------------------------------------------------- the SQL side

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** An entity in its normalized form with the members placelink writes (describedBy: its OGC API item). */
function entityJson(): string {
  return `json_build_object('id', f.ngsi_ld_id, 'type', 'Streetlight',
            'powerState', json_build_object('type', 'Property', 'value', f.properties -> 'powerState'),
            'status', json_build_object('type', 'Property', 'value', f.properties -> 'status'),
            'wattage', json_build_object('type', 'Property', 'value', f.properties -> 'wattage', 'unitCode', 'WTT'),
            'refStreetlightGroup', json_build_object('type', 'Relationship', 'object', f.properties -> 'refStreetlightGroup'),
            'location', json_build_object('type', 'GeoProperty', 'value', ST_AsGeoJSON(f.geom, 9, 0)::json),
            'describedBy', json_build_object('type', 'Property', 'value', ${quote(`${BASE}/collections/${LIGHTS}/items/`)} || f.id))`;
}

/** The page of entities within NEAR_METRES of (lon, lat): geography distance behind a box of degrees on the GiST index. */
function nearSql(key: number, lon: string, lat: string): string {
  return `SELECT coalesce(json_agg(e.entity ORDER BY e.seq), '[]')::text AS json
FROM (SELECT f.seq, ${entityJson()} AS entity
      FROM feature f, (SELECT ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326) AS r) q
      WHERE f.collection_key = ${key} AND f.retired_at IS NULL AND f.ngsi_ld_id IS NOT NULL
        AND ST_DWithin(f.geom, q.r, ${NEAR_METRES} / 111132.0 / greatest(cos(radians(least(abs(ST_Y(q.r)), 85))), 0.0872))
        AND ST_DWithin(f.geom::geography, q.r::geography, ${NEAR_METRES})
      ORDER BY f.seq LIMIT ${PAGE}) e`;
}

/** One entity by the feature's primary key (collection, id). */
function itemSql(key: number, n: string): string {
  return `SELECT ${entityJson()}::text AS json FROM feature f WHERE f.collection_key = ${key} AND f.id = 'SL-' || ${n} AND f.retired_at IS NULL`;
}

/**
 * The Device's hourly avg/min/max of result_number, periods laid from its first observation, as
 * placelink writes the entity (geometries are aggregated only when attrs names them).
 * The URN is cut where a colon meets a letter: pgbench reads `:name` as a variable even in a literal.
 */
function temporalSql(n: string): string {
  const periods = (value: (method: string) => string) =>
    ['avg', 'min', 'max'].map((m) => `'${m}', json_agg(json_build_array(${value(m)}, placelink_rfc3339(p.b), placelink_rfc3339(p.b + interval '1 hour')) ORDER BY p.b)`).join(', ');
  return `WITH d AS (SELECT s.datastream_key, s.id, (SELECT min(x.phenomenon_time) FROM observation x WHERE x.datastream_key = s.datastream_key) AS origin
               FROM datastream s WHERE s.id = '${DEVICE_PREFIX}' || ${n}),
     o AS (SELECT date_bin(interval '1 hour', o.phenomenon_time, d.origin) AS b, o.result_number FROM d JOIN observation o USING (datastream_key)),
     g AS (SELECT b, avg(result_number) AS avg, min(result_number) AS min, max(result_number) AS max FROM o GROUP BY b)
SELECT json_build_object('id', 'urn:' || 'ngsi-ld:' || 'Device:' || (SELECT id FROM d), 'type', 'Device',
         'airTemperature', (SELECT json_build_object('type', 'Property', ${periods((m) => `p.${m}`)}) FROM g p))::text AS json`;
}

// ---------------------------------------------------------------- load generators

/** A wrk script: a request per call of `path` (Lua returning the path), with the Link header of `context`. */
function wrkScript(directory: string, name: string, context: string, pathLua: string): string {
  const file = path.join(directory, `${name}.lua`);
  writeFileSync(
    file,
    `-- written by bench/ngsild-bench.ts; deterministic per thread (seeded with 42 + thread number)
local threads_seen = 0
function setup(thread)
  thread:set("tid", threads_seen)
  threads_seen = threads_seen + 1
end
function init(args)
  math.randomseed(42 + (tonumber(tid) or 0))
end
local headers = { ["Link"] = ${JSON.stringify(LINK(context))}, ["Accept"] = "application/json" }
function request()
  return wrk.format("GET", ${pathLua}, headers)
end
`,
  );
  return file;
}

function pgbenchScript(directory: string, name: string, sets: readonly string[], sql: string): string {
  const file = path.join(directory, `${name}.sql`);
  writeFileSync(file, `-- written by bench/ngsild-bench.ts\n${sets.map((s) => `\\set ${s}`).join('\n')}\n${sql.replaceAll('\n', ' ')};\n`);
  return file;
}

/** wrk with bench.sh's threads and connections after a warm-up; req/s. Slow answers (the temporal case) get a long timeout. */
function wrk(script: string): number {
  const run = (seconds: number) =>
    execFileSync('wrk', [`-t${THREADS}`, `-c${CONNS}`, `-d${seconds}s`, '--timeout', '60s', '-s', script, BASE], { encoding: 'utf8', timeout: (seconds + 120) * 1000 });
  run(WARMUP);
  const out = run(DURATION);
  const failed = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (failed) throw new Error(`wrk ${path.basename(script)}: ${failed[1]} responses were not 2xx`);
  const errors = /Socket errors: .*/.exec(out);
  if (errors) throw new Error(`wrk ${path.basename(script)}: ${errors[0]}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
}

/** pgbench with the same threads and connections, prepared statements and placelink's session settings; transactions/s. */
function pgbench(script: string): number {
  const run = (seconds: number) =>
    execFileSync('pgbench', ['-n', `-c${CONNS}`, `-j${Math.min(THREADS, CONNS)}`, `-T${seconds}`, '-M', 'prepared', '-f', script, DATABASE_URL], {
      encoding: 'utf8',
      env: { ...process.env, PGOPTIONS: SESSION_OPTIONS },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: (seconds + 120) * 1000,
    });
  run(WARMUP);
  const out = run(DURATION);
  const tps = /^tps = ([\d.]+)/m.exec(out);
  if (!tps) throw new Error(`pgbench ${path.basename(script)} printed no tps:\n${out}`);
  return Number(tps[1]);
}

/** MapServer 8.0's `c_item` through ../shared/peers/bench.sh (random street light ids, as placelink's bench uses). */
function mapserverItem(): number | null {
  const tsv = path.join(os.tmpdir(), 'placelink-ngsild-bench-ms80.tsv');
  execFileSync('bash', [path.join(SHARED, 'peers/bench.sh'), 'ms80'], {
    env: { ...process.env, OUT: tsv, CASES: 'c_item', DURATION: String(DURATION), WARMUP: String(WARMUP), THREADS: String(THREADS), CONNS: String(CONNS) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const row = readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')).find(([target, name]) => target === 'ms80' && name === 'c_item');
  const rps = Number(row?.[2]);
  return Number.isFinite(rps) && rps > 0 ? rps : null;
}

// ---------------------------------------------------------------- placelink

function startServer(mappings: string): Promise<ChildProcess> {
  const env = { DATABASE_URL, PORT: String(PORT), LOG_LEVEL: 'warn', PLACELINK_DEMO: 'false', PLACELINK_HARVEST_SCHEDULE: 'false', PLACELINK_MAPPINGS: mappings };
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 120_000;
    const poll = async () => {
      if (await reachable(`${BASE}/readyz`)) return resolve(child);
      if (Date.now() > deadline || child.exitCode !== null) return reject(new Error('placelink did not become ready'));
      setTimeout(poll, 300);
    };
    void poll();
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function getJson(pathAndQuery: string, context: string): Promise<unknown> {
  const response = await fetch(`${BASE}${pathAndQuery}`, { headers: { Link: LINK(context), Accept: 'application/json' } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${pathAndQuery} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

/** Where two JSON values differ (numbers within a relative 1e-9: sums in another order); null when they do not. */
function difference(a: unknown, b: unknown, at = '$'): string | null {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? null : `${at}: ${a} ≠ ${b}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b ? null : `${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array and object`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const found = difference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
    if (found) return found;
  }
  return null;
}

/** Fails the bench unless placelink and the SQL answer the sample alike. */
async function checkSample(name: string, client: pg.Client, http: unknown, sql: string, values: unknown[]): Promise<void> {
  const { rows } = await client.query<{ json: string }>(sql, values);
  const raw = JSON.parse(rows[0]!.json) as unknown;
  if (name === 'near') {
    const ids = (list: unknown) => (list as { id: string }[]).map((e) => e.id);
    const [ours, theirs] = [ids(http), ids(raw)];
    if (ours.join(' ') !== theirs.join(' ')) throw new Error(`near: placelink answered the entities ${ours.join(', ')}, the SQL ${theirs.join(', ')}`);
    if (ours.length === 0) throw new Error('near: the sample point selects no entity; the check would prove nothing');
    log(`near: placelink and the SQL select the same ${ours.length} entities`);
  }
  const found = difference(http, raw);
  if (found) throw new Error(`${name}: placelink's answer and the SQL's differ at ${found}; the SQL side would not measure the same work`);
  log(`${name}: placelink's answer and the SQL's are the same JSON`);
}

// ---------------------------------------------------------------- the run

interface Round {
  placelink: number;
  sql: number;
  ratio: number;
  mapserver?: number | null;
  vsMapserver?: number | null;
}

interface Case {
  name: 'near' | 'item' | 'temporal';
  what: string;
  lua: string;
  sql: string;
  rounds: Round[];
}

interface Goal {
  goal: string;
  value: number | null;
  target: number;
  met: boolean | null;
  note?: string;
}

function roundLine(c: Case, round: Round, index: number): string {
  const base = `round ${index + 1}/${ROUNDS} ${c.name.padEnd(8)} placelink ${fmt(round.placelink)} req/s | SQL ${fmt(round.sql)} tx/s → ×${fmt(round.ratio, 2)}`;
  return round.mapserver === undefined ? base : `${base} | MapServer 8.0 c_item ${fmt(round.mapserver)} req/s → ×${fmt(round.vsMapserver, 2)}`;
}

function report(cases: readonly Case[], mapserverNote: string | null): Goal[] {
  const lines: string[] = [];
  const goals: Goal[] = [];
  for (const c of cases) {
    const list = (values: readonly number[], digits = 1) => values.map((v) => fmt(v, digits)).join(', ');
    const ratio = median(c.rounds.map((r) => r.ratio));
    lines.push(
      `${c.name.padEnd(8)} ${c.what}`,
      `         placelink ${fmt(median(c.rounds.map((r) => r.placelink)))} req/s (rounds ${list(c.rounds.map((r) => r.placelink))}) ÷ SQL ${fmt(median(c.rounds.map((r) => r.sql)))} tx/s (rounds ${list(c.rounds.map((r) => r.sql))})` +
        ` → ×${fmt(ratio, 2)} (rounds ${list(c.rounds.map((r) => r.ratio), 2)}; goal ≥ 0.5)`,
    );
    goals.push({ goal: `${c.name} ÷ SQL ≥ 0.5`, value: ratio, target: 0.5, met: ratio >= 0.5 });
    if (c.name === 'item') {
      const measured = c.rounds.map((r) => r.vsMapserver).filter((v): v is number => typeof v === 'number');
      if (measured.length) {
        const vs = median(measured);
        lines.push(`         ÷ MapServer 8.0 OGC API c_item ${fmt(median(c.rounds.map((r) => r.mapserver ?? 0)))} req/s (rounds ${list(c.rounds.map((r) => r.mapserver ?? 0))}) → ×${fmt(vs, 2)} (rounds ${list(measured, 2)}; goal ≥ 2)`);
        goals.push({ goal: 'item ÷ MapServer 8.0 c_item ≥ 2', value: vs, target: 2, met: vs >= 2 });
      } else {
        lines.push(`         ÷ MapServer 8.0 c_item: skipped (${mapserverNote ?? 'no figure'})`);
        goals.push({ goal: 'item ÷ MapServer 8.0 c_item ≥ 2', value: null, target: 2, met: null, note: mapserverNote ?? 'no figure' });
      }
    }
  }
  const sizes = `${ENTITIES} Streetlights, ${DEVICES} Devices × ${DAYS} days per minute; wrk/pgbench -t${THREADS} -c${CONNS}, ${DURATION} s per run after ${WARMUP} s warm-up, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}`;
  process.stdout.write(`\nplacelink NGSI-LD benchmark (${new Date().toISOString()}, ${os.cpus().length} cores; ${sizes})\n${lines.join('\n')}\n\n`);
  for (const g of goals) process.stdout.write(`${g.met === null ? 'n/a ' : g.met ? 'MET ' : 'MISS'} ${g.goal}: ${g.value === null ? `– (${g.note})` : g.value.toFixed(2)}\n`);
  return goals;
}

async function main(): Promise<void> {
  for (const part of PARTS) if (!['near', 'item', 'temporal'].includes(part)) throw new Error(`BENCH_PARTS: no part ${part} (near, item, temporal)`);
  if (!existsSync(path.join(ROOT, 'dist/cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  for (const tool of ['wrk', 'pgbench']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is missing (bash ../shared/peers/setup.sh installs it)`);
    }
  }
  await ensureDatabase(DATABASE_URL);
  cli(['migrate']);
  const work = mkdtempSync(path.join(os.tmpdir(), 'placelink-ngsild-bench-'));
  const mappings = path.join(work, 'mappings');
  mkdirSync(mappings);
  const mappingFile = writeDeviceMapping(mappings);
  const client = new pg.Client(DATABASE_URL);
  await client.connect();
  try {
    const lights = PARTS.has('near') || PARTS.has('item') ? await createStreetlights(client) : null;
    const lightsKey = lights?.key ?? null;
    const devices = PARTS.has('temporal') ? await createDevices(client, mappingFile) : undefined;

    let mapserverNote: string | null = null;
    if (PARTS.has('item') && process.env['SKIP_PEERS']) mapserverNote = 'SKIP_PEERS is set';
    else if (PARTS.has('item') && !(await reachable(MAPSERVER))) mapserverNote = `MapServer 8.0 is not reachable at ${MAPSERVER} (bash ../shared/peers/setup.sh starts it)`;
    if (mapserverNote) log(`the item ÷ MapServer ratio is skipped: ${mapserverNote}`);

    const cases: Case[] = [];
    const lon = `${EXTENT.lon} + math.random() * ${EXTENT.lonSpan}`;
    const lat = `${EXTENT.lat} + math.random() * ${EXTENT.latSpan}`;
    if (lightsKey !== null && PARTS.has('near')) {
      cases.push({
        name: 'near',
        what: `GET /ngsi-ld/v1/entities?type=Streetlight&georel=near;maxDistance==${NEAR_METRES}&geometry=Point&coordinates=[lon,lat] at random points, ${ENTITIES} entities`,
        lua: wrkScript(work, 'near', STREETLIGHTING, `string.format("/ngsi-ld/v1/entities?type=Streetlight&georel=near;maxDistance==${NEAR_METRES}&geometry=Point&coordinates=[%.6f,%.6f]", ${lon}, ${lat})`),
        // pgbench draws integers; a millionth of the extent is finer than the 6 decimals wrk sends.
        sql: pgbenchScript(work, 'near', [`x random(0, 1000000)`, `y random(0, 1000000)`], nearSql(lightsKey, `${EXTENT.lon} + :x::integer * ${EXTENT.lonSpan / 1e6}`, `${EXTENT.lat} + :y::integer * ${EXTENT.latSpan / 1e6}`)),
        rounds: [],
      });
    }
    if (lightsKey !== null && PARTS.has('item')) {
      cases.push({
        name: 'item',
        what: `GET /ngsi-ld/v1/entities/{id} at random ids of ${ENTITIES}`,
        lua: wrkScript(work, 'item', STREETLIGHTING, `"/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:" .. math.random(1, ${ENTITIES})`),
        sql: pgbenchScript(work, 'item', [`n random(1, ${ENTITIES})`], itemSql(lightsKey, ':n::text')),
        rounds: [],
      });
    }
    if (devices !== undefined) {
      cases.push({
        name: 'temporal',
        what: `GET /ngsi-ld/v1/temporal/entities/{id}?aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&options=aggregatedValues, a random one of ${DEVICES} Devices × ${PER_DEVICE} observations`,
        lua: wrkScript(work, 'temporal', DEVICE_CONTEXT, `"/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Device:${DEVICE_PREFIX}" .. math.random(0, ${DEVICES - 1}) .. "?aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&options=aggregatedValues"`),
        sql: pgbenchScript(work, 'temporal', [`n random(0, ${DEVICES - 1})`], temporalSql(':n::text')),
        rounds: [],
      });
    }

    log('starting placelink (dist/cli.js serve)');
    const server = await startServer(mappings);
    try {
      for (const c of cases) {
        if (c.name === 'near' && lightsKey !== null) {
          const [x, y] = [EXTENT.lon + EXTENT.lonSpan * 0.37, EXTENT.lat + EXTENT.latSpan * 0.61];
          const http = await getJson(`/ngsi-ld/v1/entities?type=Streetlight&georel=near;maxDistance==${NEAR_METRES}&geometry=Point&coordinates=[${x.toFixed(6)},${y.toFixed(6)}]`, STREETLIGHTING);
          await checkSample('near', client, http, nearSql(lightsKey, '$1::float8', '$2::float8'), [x.toFixed(6), y.toFixed(6)]);
        } else if (c.name === 'item' && lightsKey !== null) {
          const n = Math.ceil(ENTITIES / 3);
          await checkSample('item', client, await getJson(`/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:${n}`, STREETLIGHTING), itemSql(lightsKey, '$1::text'), [String(n)]);
        } else if (c.name === 'temporal') {
          const http = await getJson(`/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Device:${DEVICE_PREFIX}0?aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&options=aggregatedValues`, DEVICE_CONTEXT);
          await checkSample('temporal', client, http, temporalSql('$1::text'), ['0']);
        }
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of cases) {
          log(`round ${round + 1}/${ROUNDS}: ${c.name}, placelink then SQL${c.name === 'item' && !mapserverNote ? ' then MapServer 8.0' : ''}`);
          const placelink = wrk(c.lua);
          const sql = pgbench(c.sql);
          const result: Round = { placelink, sql, ratio: placelink / sql };
          if (c.name === 'item') {
            result.mapserver = mapserverNote ? null : mapserverItem();
            result.vsMapserver = result.mapserver ? placelink / result.mapserver : null;
          }
          c.rounds.push(result);
          process.stdout.write(`${roundLine(c, result, round)}\n`);
        }
      }
    } finally {
      await stopServer(server);
    }

    const goals = report(cases, mapserverNote);
    mkdirSync(path.dirname(OUT), { recursive: true });
    const results = {
      at: new Date().toISOString(),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
      sizes: { entities: ENTITIES, devices: DEVICES, days: DAYS, observations: DEVICES * PER_DEVICE },
      load: { threads: THREADS, connections: CONNS, duration: DURATION, warmup: WARMUP, rounds: ROUNDS },
      generated: { streetlights: lights?.generated ?? null, observations: devices ?? null },
      cases: cases.map(({ name, what, rounds }) => ({ name, what, rounds })),
      goals,
    };
    writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${OUT}`);
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
