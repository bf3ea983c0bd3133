/**
 * `npm run bench:cql2`: CQL2 filters through placelink's HTTP API against the equivalent
 * hand-written SQL on the same table, measured in one run (bench/cql2-measure.ts), on a million
 * points generated into a bench database of its own. Prints features/s of both and the ratio
 * (goal: placelink ≥ 0.6 × SQL). `npm run bench` measures two of these cases on its own million
 * points beside the other goals.
 *
 * Cases: a selective attribute filter (1 % of the rows, answered by the GIN index) and
 * S_INTERSECTS with a polygon and with a BBOX (about 10 000 points, answered by the GiST index),
 * each one page of up to 10 000 features.
 *
 * Knobs: BENCH_CQL2_DATABASE_URL (default postgres://root@127.0.0.1:5432/placelink_bench_cql2),
 * BENCH_CQL2_PORT (8097), BENCH_CQL2_RUNS (timed runs per case, default 7).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CQL2_GOAL, cql2Table, measureCql2, type Cql2Case } from './cql2-measure.js';
import { ensureDatabase, reachable } from './bench-support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DATABASE_URL = process.env['BENCH_CQL2_DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/placelink_bench_cql2';
const PORT = Number(process.env['BENCH_CQL2_PORT'] ?? 8097);
const RUNS = Number(process.env['BENCH_CQL2_RUNS'] ?? 7);
const BASE = `http://127.0.0.1:${PORT}`;
const COLLECTION = 'points-1m';
const SIZE = 1_000_000;
const LIMIT = 10_000;

function log(message: string): void {
  process.stderr.write(`bench:cql2: ${message}\n`);
}


function cli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { env: { ...process.env, DATABASE_URL }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`placelink ${args.join(' ')} exited with ${code}`))));
  });
}

/**
 * A million points on a 1000 × 1000 grid over 5–15°E, 47–55°N, with a category of 100 values,
 * written straight into the schema with SQL (the import path is not what is measured here).
 */
async function ensurePoints(client: pg.Client): Promise<number> {
  const existing = await client.query<{ key: number; n: string }>('SELECT collection_key AS key, feature_count::text AS n FROM collection WHERE id = $1', [COLLECTION]);
  if (existing.rows[0] && Number(existing.rows[0].n) === SIZE) return existing.rows[0].key;
  log(`generating ${SIZE} points (once; the bench database keeps them)`);
  await client.query('BEGIN');
  const { rows: removed } = await client.query<{ key: number }>('DELETE FROM collection WHERE id = $1 RETURNING collection_key AS key', [COLLECTION]);
  for (const { key } of removed) await client.query(`DROP TABLE IF EXISTS feature_c${key}`);
  const { rows } = await client.query<{ key: number }>(
    "INSERT INTO collection (id, title, source_srid, inspire_namespace) VALUES ($1, 'A million points', 4326, 'bench') RETURNING collection_key AS key",
    [COLLECTION],
  );
  const key = rows[0]!.key;
  await client.query(`CREATE TABLE feature_c${key} PARTITION OF feature FOR VALUES IN (${key})`);
  await client.query(
    `INSERT INTO feature (collection_key, id, namespace, local_id, geom, properties, content_hash)
     SELECT $1, 'P-' || n, 'bench', 'P-' || n, g, p, sha256(convert_to(ST_AsText(g) || p::text, 'UTF8'))
     FROM (SELECT n, ST_SetSRID(ST_MakePoint(5 + (n % 1000) * 0.01, 47 + (n / 1000) * 0.008), 4326) AS g,
                  jsonb_build_object('n', n, 'category', 'c' || (n % 100), 'value', (n * 37) % 1000 / 10.0) AS p
           FROM generate_series(0, $2::integer - 1) AS n) s`,
    [key, SIZE],
  );
  await client.query(
    `UPDATE collection SET queryables = '{"n":{"type":"integer"},"category":{"type":"string"},"value":{"type":"number"}}'::jsonb WHERE collection_key = $1`,
    [key],
  );
  await client.query('COMMIT');
  await client.query(
    `UPDATE collection c SET feature_count = s.n, spatial_extent = ARRAY[ST_XMin(s.box), ST_YMin(s.box), ST_XMax(s.box), ST_YMax(s.box)],
       geometry_types = '{ST_Point}', data_version = c.data_version + 1, updated_at = now()
     FROM (SELECT count(*) AS n, ST_Extent(geom) AS box FROM feature WHERE collection_key = $1) s WHERE c.collection_key = $1`,
    [key],
  );
  await client.query(`VACUUM ANALYZE feature_c${key}`);
  return key;
}


function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve'], {
    env: { ...process.env, DATABASE_URL, PORT: String(PORT), LOG_LEVEL: 'warn', PLACELINK_DEMO: 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = async () => {
      if (await reachable(`${BASE}/readyz`)) return resolve(child);
      if (Date.now() > deadline || child.exitCode !== null) return reject(new Error('placelink did not become ready'));
      setTimeout(poll, 300);
    };
    void poll();
  });
}

const POLYGON = 'POLYGON((6 48, 6.995 48.05, 6.9 48.79, 6.05 48.7, 6 48))';
const CASES: readonly Cql2Case[] = [
  { name: "attribute: category = 'c17'", filter: "category = 'c17'", sql: `properties @> '{"category":"c17"}'` },
  { name: 'S_INTERSECTS(geometry, POLYGON(…))', filter: `S_INTERSECTS(geometry, ${POLYGON})`, sql: `ST_Intersects(geom, ST_GeomFromText('${POLYGON}', 4326))` },
  { name: 'S_INTERSECTS(geometry, BBOX(…))', filter: 'S_INTERSECTS(geometry, BBOX(10, 50, 10.995, 50.792))', sql: 'ST_Intersects(geom, ST_MakeEnvelope(10, 50, 10.995, 50.792, 4326))' },
];

async function main(): Promise<void> {
  await ensureDatabase(DATABASE_URL);
  await cli(['migrate']);
  const client = new pg.Client(DATABASE_URL);
  await client.connect();
  const key = await ensurePoints(client);
  const server = await startServer();
  try {
    const results = await measureCql2({ baseUrl: BASE, collectionId: COLLECTION, collectionKey: key, client, limit: LIMIT, runs: RUNS }, CASES);
    process.stdout.write(`CQL2 on ${SIZE} points, one page of up to ${LIMIT} features, median of ${RUNS} runs (goal: ratio ≥ ${CQL2_GOAL})\n${cql2Table(results)}\n`);
  } finally {
    server.kill('SIGTERM');
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cql2 failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
