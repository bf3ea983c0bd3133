import type { AggregateRow, InstanceRow } from '../domain/temporal.js';
import type { HistoryStore } from '../services/ports/history-ports.js';
import type { Database } from './database.js';
import { historyMaintenanceSql, instanceWriteSql, temporalSql } from './sql/temporal-sql.js';

const MONTH_MS = 31 * 86_400_000;

function isEmpty(query: Parameters<HistoryStore['instances']>[0]): boolean {
  const { devices, written, versioned } = query.sources;
  return devices.length + written.length + versioned.length === 0;
}

export function historyRepository(db: Database): HistoryStore {
  return {
    async instances(query) {
      if (isEmpty(query)) return { rows: [], truncated: [] };
      const rows = await db.query<InstanceRow & { time: string | null; cut: boolean }>(temporalSql.instances(query));
      const truncated = new Set<number>();
      for (const row of rows) if (row.cut) truncated.add(row.position);
      return { rows, truncated: [...truncated] };
    },

    async aggregated(query, aggregation) {
      if (isEmpty(query)) return [];
      const window = query.window;
      const start = window && window.relation !== 'before' ? window.timeAt : null;
      const end = window?.relation === 'between' ? window.endTimeAt : window?.relation === 'before' ? window.timeAt : null;
      const needed = start === null || (end === null && aggregation.period.months === 0 && aggregation.period.microseconds === 0);
      const bounds = needed ? await db.query<{ position: number; attribute: string; first: string; last: string }>(temporalSql.bounds(query)) : null;
      const positions = bounds
        ? bounds.map((b) => ({ position: b.position, attribute: b.attribute, origin: start ?? b.first, finish: end ?? b.last }))
        : [...query.sources.devices, ...query.sources.written, ...query.sources.versioned].map((s) => ({ position: s.position, attribute: null, origin: start!, finish: end ?? start! }));
      if (positions.length === 0) return [];
      return db.query<AggregateRow>(temporalSql.aggregated(query, aggregation, positions));
    },

    async removeAttribute(owner, which) {
      const [row] = await db.query<{ n: number }>(instanceWriteSql.removeAttribute(owner, which === 'all' ? null : which.datasetId, which === 'all'));
      return row!.n;
    },

    async removeInstance(owner, instanceId) {
      return (await db.query(instanceWriteSql.removeInstance(owner, instanceId))).length > 0;
    },

    async patchInstance(owner, instanceId, members) {
      return (await db.query(instanceWriteSql.patchInstance(owner, instanceId, members))).length > 0;
    },

    async maintain(now, retentionMs) {
      await db.query(historyMaintenanceSql.ensurePartition(now.toISOString()));
      await db.query(historyMaintenanceSql.ensurePartition(new Date(now.getTime() + MONTH_MS).toISOString()));
      if (retentionMs === null) return { dropped: [], expired: 0 };
      const cutoff = new Date(now.getTime() - retentionMs).toISOString();
      const dropped: string[] = [];
      for (const { name } of await db.query<{ name: string }>(historyMaintenanceSql.partitionsBefore(cutoff))) {
        await db.transaction(async (tx) => {
          await tx.query(historyMaintenanceSql.dropPartition(name));
          await tx.query(historyMaintenanceSql.forgetPartition(name));
        });
        dropped.push(name);
      }
      const [versions] = await db.query<{ n: number }>(historyMaintenanceSql.expireDefaultVersions(cutoff));
      const [instances] = await db.query<{ n: number }>(historyMaintenanceSql.expireInstances(cutoff));
      return { dropped, expired: versions!.n + instances!.n };
    },
  };
}
