/**
 * CQL2 filters through placelink's HTTP API against the equivalent hand-written SQL on the same
 * table, measured alternately in one run (used by `npm run bench` and `npm run bench:cql2`).
 *
 * Every case returns one page of up to `limit` features as GeoJSON. The SQL reads the same stored
 * Feature text placelink streams (the generated `geojson` column, migration 0012) in the same
 * order, and the client joins it into a FeatureCollection; the HTTP response is requested
 * uncompressed so that both sides move the same bytes. The ratio is thus placelink's own cost:
 * HTTP, filter translation, cursors, chunked output.
 */
import type pg from 'pg';

export interface Cql2Case {
  readonly name: string;
  readonly filter: string;
  /** The WHERE condition an expert would write for the same filter ($1 = collection key). */
  readonly sql: string;
}

export interface Cql2Result {
  readonly name: string;
  readonly features: number;
  readonly placelinkPerSecond: number;
  readonly sqlPerSecond: number;
  /** placelink features/s ÷ SQL features/s (goal ≥ 0.6). */
  readonly ratio: number;
}

export interface Cql2Target {
  /** placelink's base URL. */
  readonly baseUrl: string;
  readonly collectionId: string;
  readonly collectionKey: number;
  /** A connection to the database placelink serves. */
  readonly client: pg.Client;
  readonly limit: number;
  /** Timed runs per case (after two warm-up runs); the median counts. */
  readonly runs: number;
}

export const CQL2_GOAL = 0.6;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timePlacelink(target: Cql2Target, c: Cql2Case): Promise<{ ms: number; features: number }> {
  const url = `${target.baseUrl}/collections/${target.collectionId}/items?${new URLSearchParams({ filter: c.filter, limit: String(target.limit) }).toString()}`;
  const started = performance.now();
  // Uncompressed, like the SQL rows it is compared with.
  const response = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${response.status} for ${c.name}: ${text.slice(0, 300)}`);
  return { ms, features: (JSON.parse(text) as { features: unknown[] }).features.length };
}

async function timeSql(target: Cql2Target, c: Cql2Case): Promise<{ ms: number; features: number }> {
  const started = performance.now();
  const { rows } = await target.client.query<{ json: string }>(
    `SELECT geojson AS json FROM feature WHERE collection_key = $1 AND ${c.sql} ORDER BY seq LIMIT ${target.limit}`,
    [target.collectionKey],
  );
  const body = `{"type":"FeatureCollection","features":[${rows.map((r) => r.json).join(',')}]}`;
  const ms = performance.now() - started;
  if (body.length === 0) throw new Error('empty');
  return { ms, features: rows.length };
}

/** Runs every case through placelink and through SQL, alternately; both must return the same number of features. */
export async function measureCql2(target: Cql2Target, cases: readonly Cql2Case[]): Promise<Cql2Result[]> {
  const results: Cql2Result[] = [];
  for (const c of cases) {
    for (let i = 0; i < 2; i++) {
      await timePlacelink(target, c);
      await timeSql(target, c);
    }
    const ours: number[] = [];
    const theirs: number[] = [];
    let features = 0;
    for (let i = 0; i < target.runs; i++) {
      const a = await timePlacelink(target, c);
      const b = await timeSql(target, c);
      if (a.features !== b.features) throw new Error(`${c.name}: placelink returned ${a.features} features, SQL ${b.features}`);
      features = a.features;
      ours.push(a.ms);
      theirs.push(b.ms);
    }
    const placelinkPerSecond = features / (median(ours) / 1000);
    const sqlPerSecond = features / (median(theirs) / 1000);
    results.push({ name: c.name, features, placelinkPerSecond, sqlPerSecond, ratio: placelinkPerSecond / sqlPerSecond });
  }
  return results;
}

/** The results as a Markdown table. */
export function cql2Table(results: readonly Cql2Result[]): string {
  return [
    '| case | features | placelink features/s | SQL features/s | ratio |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.name} | ${r.features} | ${Math.round(r.placelinkPerSecond)} | ${Math.round(r.sqlPerSecond)} | ${r.ratio.toFixed(2)} |`),
  ].join('\n');
}
