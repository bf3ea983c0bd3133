import { hostname } from 'node:os';
import type { HarvestRun } from '../domain/harvest-run.js';
import type { RunRepository } from '../services/ports/run-ports.js';
import type { SqlExecutor } from './database.js';
import { runSql, type RunRow } from './sql/run-sql.js';

const n = (text: string) => Number(text);

function toRun(row: RunRow): HarvestRun {
  return {
    runId: n(row.run_id),
    mappingId: row.mapping_id,
    collectionId: row.collection_id,
    sourceType: row.source_type,
    sourceUrl: row.source_url,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: {
      pages: row.pages,
      read: n(row.read),
      inserted: n(row.inserted),
      updated: n(row.updated),
      unchanged: n(row.unchanged),
      retired: n(row.retired),
      purged: n(row.purged),
      rejected: n(row.rejected),
      repaired: n(row.repaired),
      duplicates: n(row.duplicates),
    },
    expected: row.expected === null ? null : n(row.expected),
    error: row.error,
    rejections: row.rejections,
    warnings: row.warnings,
  };
}

export function runRepository(db: SqlExecutor): RunRepository {
  return {
    async start(run) {
      const [row] = await db.query<{ run_id: string }>(runSql.start({ ...run, host: hostname(), pid: process.pid }));
      return n(row!.run_id);
    },
    async failAbandoned(collectionId) {
      return (await db.query<{ run_id: string }>(runSql.failAbandoned(collectionId))).map((r) => n(r.run_id));
    },
    async progress(runId, counts, expected) {
      await db.query(runSql.progress(runId, counts, expected));
    },
    async finish(runId, outcome) {
      await db.query(runSql.finish(runId, outcome));
    },
    async list(filter) {
      return (await db.query<RunRow>(runSql.list(filter))).map(toRun);
    },
    async get(runId) {
      const [row] = await db.query<RunRow>(runSql.byId(runId));
      return row ? toRun(row) : null;
    },
    async lastFinished() {
      const rows = await db.query<{ mapping_id: string; status: HarvestRun['status']; started_at: string }>(runSql.latestPerMapping());
      return new Map(rows.map((r) => [r.mapping_id, { status: r.status, startedAt: r.started_at }]));
    },
  };
}
