import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { FeatureOutput, LinkedValuesOutput } from '../domain/query.js';
import type { FeatureRepository, FeatureRow } from '../services/ports.js';
import type { SqlExecutor } from './database.js';
import { featureSql } from './sql/feature-sql.js';

export function featureRepository(db: SqlExecutor): FeatureRepository {
  return {
    async upsertBatch(collectionKey: number, records: readonly FeatureRecord[], options: { repairInvalid?: boolean } = {}): Promise<WriteSummary> {
      const summary: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, repaired: [], rejected: [] };
      if (records.length === 0) return summary;
      const rows = await db.query<{ id: string; outcome: 'inserted' | 'updated' | 'unchanged' | 'invalid' | 'clash' | 'ngsi-clash'; detail: string | null }>(
        featureSql.upsertBatch(collectionKey, records, options.repairInvalid ?? true),
      );
      for (const row of rows) {
        switch (row.outcome) {
          case 'inserted':
          case 'updated':
            summary[row.outcome]++;
            if (row.detail) summary.repaired.push({ id: row.id, reason: row.detail });
            break;
          case 'unchanged':
            summary.unchanged++;
            break;
          case 'invalid':
            summary.rejected.push({ id: row.id, reason: `invalid geometry: ${row.detail ?? 'ST_IsValid is false'}` });
            break;
          case 'clash':
            summary.rejected.push({ id: row.id, reason: `its inspireId (namespace + localId) is already used by feature ${row.detail}` });
            break;
          case 'ngsi-clash':
            summary.rejected.push({ id: row.id, reason: `its NGSI-LD entity id (identifiers.ngsiLdId) is already used by feature ${row.detail}` });
            break;
        }
      }
      return summary;
    },

    async byId(collectionKey: number, id: string, output: FeatureOutput, linked?: LinkedValuesOutput) {
      const [row] = await db.query<FeatureRow>(featureSql.byId(collectionKey, id, output, linked));
      return row ?? null;
    },

    async writeTime() {
      const [row] = await db.query<{ t: string }>(featureSql.writeTime());
      return row!.t;
    },
  };
}
