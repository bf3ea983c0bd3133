import type { FeatureRecord, WriteSummary } from '../domain/feature.js';
import type { FeatureRepository } from '../services/ports/feature-ports.js';
import { isUniqueViolation, type SqlExecutor, type TransactionExecutor } from './database.js';
import { featureSql } from './sql/feature-sql.js';
import { sessionSql } from './sql/session-sql.js';

type OutcomeRow = { id: string; outcome: 'inserted' | 'updated' | 'unchanged' | 'invalid' | 'clash' | 'ngsi-clash'; detail: string | null };

const FRESH_BATCH = 'fresh_batch';

/**
 * `copyFrom` where the executor is a transaction's connection that carries COPY. `freshInsert`: first
 * fills take the insert that lets a unique index refuse a clash (an error undone to a savepoint); off
 * on PGlite, where a failed statement costs the connection, so they take the checking upsert.
 */
export function featureRepository(db: SqlExecutor & Partial<Pick<TransactionExecutor, 'copyFrom'>>, options: { freshInsert?: boolean } = {}): FeatureRepository {
  const freshInsert = options.freshInsert ?? true;
  /**
   * The cheap insert for a fresh collection, undone to its savepoint when an inspireId or NGSI-LD id
   * clashes (null then); its rows are the records that were not simply inserted. Points are bulk
   * loaded with COPY where the connection carries it.
   */
  async function insertFresh(collectionKey: number, records: readonly FeatureRecord[], repairInvalid: boolean): Promise<OutcomeRow[] | null> {
    const copyRows = db.copyFrom ? featureSql.copyFreshRows(collectionKey, records) : null;
    await db.query(sessionSql.savepoint(FRESH_BATCH));
    try {
      let rows: OutcomeRow[] = [];
      if (copyRows !== null) await db.copyFrom!(featureSql.copyFreshBatch(), copyRows);
      else rows = await db.query<OutcomeRow>(featureSql.insertFreshBatch(collectionKey, records, repairInvalid));
      await db.query(sessionSql.releaseSavepoint(FRESH_BATCH));
      return rows;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await db.query(sessionSql.rollbackToSavepoint(FRESH_BATCH));
      return null;
    }
  }

  return {
    async upsertBatch(collectionKey: number, records: readonly FeatureRecord[], options: { repairInvalid?: boolean; fresh?: boolean } = {}): Promise<WriteSummary> {
      const summary: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, repaired: [], rejected: [] };
      if (records.length === 0) return summary;
      const repairInvalid = options.repairInvalid ?? true;
      const exceptions = options.fresh && freshInsert ? await insertFresh(collectionKey, records, repairInvalid) : null;
      const rows = exceptions ?? (await db.query<OutcomeRow>(featureSql.upsertBatch(collectionKey, records, repairInvalid)));
      // The fresh insert lists only the rows that need a word: the others were inserted.
      if (exceptions) summary.inserted = records.length - exceptions.length;
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

    async writeTime() {
      const [row] = await db.query<{ t: string }>(featureSql.writeTime());
      return row!.t;
    },
  };
}
