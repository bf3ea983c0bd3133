import type { RunCounts, RunRejection, RunTrigger, RunWarning } from '../../domain/harvest-run.js';
import { SqlParams, type SqlQuery } from './sql-query.js';

const TIME = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const RUN_COLUMNS = `run_id::text AS run_id, mapping_id, collection_id, source_type, source_url, trigger, status,
  ${TIME('started_at')} AS started_at, ${TIME('finished_at')} AS finished_at,
  pages, expected::text AS expected, read::text AS read, inserted::text AS inserted, updated::text AS updated,
  unchanged::text AS unchanged, retired::text AS retired, purged::text AS purged, rejected::text AS rejected,
  repaired::text AS repaired, duplicates::text AS duplicates, error, rejections, warnings`;

export interface RunRow {
  run_id: string;
  mapping_id: string;
  collection_id: string;
  source_type: string;
  source_url: string;
  trigger: RunTrigger;
  status: 'running' | 'succeeded' | 'failed';
  started_at: string;
  finished_at: string | null;
  pages: number;
  expected: string | null;
  read: string;
  inserted: string;
  updated: string;
  unchanged: string;
  retired: string;
  purged: string;
  rejected: string;
  repaired: string;
  duplicates: string;
  error: string | null;
  rejections: RunRejection[];
  warnings: RunWarning[];
}

export interface RunStart {
  readonly mappingId: string;
  readonly collectionId: string;
  readonly sourceType: string;
  readonly sourceUrl: string;
  readonly trigger: RunTrigger;
  readonly host: string;
  readonly pid: number;
}

export interface RunFilter {
  readonly mappingId?: string;
  readonly status?: 'running' | 'succeeded' | 'failed';
  readonly limit: number;
  /** Runs with a smaller id (paging back in time). */
  readonly beforeRunId?: number;
}

const countValues = (counts: RunCounts) => [counts.pages, counts.read, counts.inserted, counts.updated, counts.unchanged, counts.retired, counts.purged, counts.rejected, counts.repaired, counts.duplicates];

export const runSql = {
  start: (run: RunStart): SqlQuery => ({
    text: `INSERT INTO harvest_run (mapping_id, collection_id, source_type, source_url, trigger, host, pid)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING run_id::text AS run_id`,
    values: [run.mappingId, run.collectionId, run.sourceType, run.sourceUrl, run.trigger, run.host, run.pid],
  }),

  /** Runs of a collection left 'running' by a process that died (no one holds the harvest lock). */
  failAbandoned: (collectionId: string): SqlQuery => ({
    text: `UPDATE harvest_run SET status = 'failed', finished_at = coalesce(finished_at, now()),
             error = 'interrupted: the process ended before the run finished (nothing it read was stored)'
           WHERE collection_id = $1 AND status = 'running'
             AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
                               AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('placelink-harvest:' || $1, 0))
           RETURNING run_id::text AS run_id`,
    values: [collectionId],
  }),

  progress: (runId: number, counts: RunCounts, expected: number | null): SqlQuery => ({
    text: `UPDATE harvest_run SET pages = $2, read = $3, inserted = $4, updated = $5, unchanged = $6, retired = $7, purged = $8,
             rejected = $9, repaired = $10, duplicates = $11, expected = $12 WHERE run_id = $1 AND status = 'running'`,
    values: [runId, ...countValues(counts), expected],
  }),

  finish: (runId: number, outcome: { status: 'succeeded' | 'failed'; counts: RunCounts; expected: number | null; error: string | null; rejections: readonly RunRejection[]; warnings: readonly RunWarning[] }): SqlQuery => ({
    text: `UPDATE harvest_run SET status = $13, finished_at = now(), pages = $2, read = $3, inserted = $4, updated = $5, unchanged = $6,
             retired = $7, purged = $8, rejected = $9, repaired = $10, duplicates = $11, expected = $12, error = $14,
             rejections = $15::jsonb, warnings = $16::jsonb
           WHERE run_id = $1`,
    values: [runId, ...countValues(outcome.counts), outcome.expected, outcome.status, outcome.error, JSON.stringify(outcome.rejections), JSON.stringify(outcome.warnings)],
  }),

  list: (filter: RunFilter): SqlQuery => {
    const params = new SqlParams();
    const where: string[] = [];
    if (filter.mappingId) where.push(`mapping_id = ${params.bind(filter.mappingId)}`);
    if (filter.status) where.push(`status = ${params.bind(filter.status)}`);
    if (filter.beforeRunId) where.push(`run_id < ${params.bind(filter.beforeRunId)}::bigint`);
    return {
      text: `SELECT ${RUN_COLUMNS} FROM harvest_run ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY run_id DESC LIMIT ${params.bind(filter.limit)}::integer`,
      values: params.values,
    };
  },

  byId: (runId: number): SqlQuery => ({ text: `SELECT ${RUN_COLUMNS} FROM harvest_run WHERE run_id = $1::bigint`, values: [runId] }),

  /** The latest finished run per mapping (the scheduler's "when was this last harvested"). */
  latestPerMapping: (): SqlQuery => ({
    text: `SELECT DISTINCT ON (mapping_id) mapping_id, status, ${TIME('started_at')} AS started_at, ${TIME('finished_at')} AS finished_at
           FROM harvest_run WHERE status <> 'running' ORDER BY mapping_id, run_id DESC`,
    values: [],
  }),
};
