import type { FeaturePageQuery } from '../domain/query.js';
import type { PageSource } from '../services/ports/feature-ports.js';
import type { FeatureRow, PageChunk } from '../services/ports/rows.js';
import type { Database } from './database.js';
import { featureSql } from './sql/feature-sql.js';

/** Chunks per fetch when streaming a page (about 0.5 MB of point features). */
const PAGE_BATCH = 8;

/** Pages and single features of feature collections. */
export function featurePages(db: Database): PageSource {
  return {
    // Pages of up to one batch are read in a single round trip; longer ones stream batch by batch.
    streamPage: (query: FeaturePageQuery) => db.stream<PageChunk>(featureSql.page(query), PAGE_BATCH, featureSql.pageChunkCount(query.limit)),
    async countFeatures(selection, cap, budgetMs) {
      const rows = await db.queryWithin<{ n: number }>(featureSql.cappedCount(selection, cap), budgetMs);
      const n = rows?.[0]?.n ?? 0;
      return rows === null || n > cap ? null : n;
    },
    async snapshot(collectionKey: number) {
      const [row] = await db.query<{ total: string; version: string }>(featureSql.snapshot(collectionKey));
      return row ? { total: Number(row.total), version: Number(row.version) } : null;
    },
    async byId(collectionKey, id, output, links) {
      const [row] = await db.query<FeatureRow>(featureSql.byId(collectionKey, id, output, links));
      return row ?? null;
    },
  };
}
