import { HarvestRunningError } from '../domain/errors.js';
import type { HarvestSession, Repositories } from '../services/ports/feature-ports.js';
import type { SqlExecutor } from './database.js';
import { harvestSql } from './sql/harvest-sql.js';

/** Takes the collection's harvest lock inside the transaction and prepares the table of ids read. */
export async function openHarvestSession(tx: SqlExecutor, collectionId: string, repositories: Repositories): Promise<HarvestSession> {
  const [lock] = await tx.query<{ locked: boolean }>(harvestSql.lockForTransaction(collectionId));
  if (!lock?.locked) throw new HarvestRunningError(collectionId);
  await tx.query(harvestSql.createSeen());
  const count = async (query: ReturnType<typeof harvestSql.seenCount>) => Number((await tx.query<{ n: string }>(query))[0]?.n ?? 0);
  return {
    ...repositories,
    async markSeen(ids) {
      if (ids.length === 0) return new Set();
      const rows = await tx.query<{ id: string }>(harvestSql.markSeen(ids));
      return new Set(rows.map((r) => r.id));
    },
    seenCount: () => count(harvestSql.seenCount()),
    async vanished(collectionKey) {
      const [row] = await tx.query<{ vanished: string; current: string }>(harvestSql.vanished(collectionKey));
      return { vanished: Number(row?.vanished ?? 0), current: Number(row?.current ?? 0) };
    },
    retireVanished: (collectionKey, at) => count(harvestSql.retireVanished(collectionKey, at)),
    purgeVanished: (collectionKey) => count(harvestSql.purgeVanished(collectionKey)),
    async isEmpty(collectionKey) {
      const [row] = await tx.query<{ empty: boolean }>(harvestSql.isEmpty(collectionKey));
      return row?.empty ?? true;
    },
  };
}
