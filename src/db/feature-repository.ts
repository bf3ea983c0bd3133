import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { FeatureOutput, FeatureSelection } from '../domain/query.js';
import type { FeatureRepository, FeatureRow } from '../services/ports.js';
import type { SqlExecutor } from './database.js';
import { featureSql } from './sql/feature-sql.js';

export function featureRepository(db: SqlExecutor): FeatureRepository {
  return {
    async upsertBatch(collectionKey: number, records: readonly FeatureRecord[]): Promise<WriteSummary> {
      const summary: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, repaired: [] };
      if (records.length === 0) return summary;
      const rows = await db.query<{ id: string; inserted: boolean; geometry_repair: string | null }>(featureSql.upsertBatch(collectionKey, records));
      for (const row of rows) {
        if (row.inserted) summary.inserted++;
        else summary.updated++;
        if (row.geometry_repair) summary.repaired.push({ id: row.id, reason: row.geometry_repair });
      }
      summary.unchanged = records.length - rows.length;
      return summary;
    },

    async byId(collectionKey: number, id: string, output: FeatureOutput) {
      const [row] = await db.query<FeatureRow>(featureSql.byId(collectionKey, id, output));
      return row ?? null;
    },

    async countMatches(selection: FeatureSelection, cap: number) {
      const [row] = await db.query<{ n: number }>(featureSql.cappedCount(selection, cap));
      const n = row?.n ?? 0;
      return n > cap ? null : n;
    },
  };
}
