import type { LdContextUse, StoredLdContextKind } from '../../domain/ld-context.js';
import type { SqlQuery } from './sql-query.js';

/** The @contexts placelink hosts (migration 0038). */

const COLUMNS = `id::text AS id, kind, placelink_rfc3339(created_at) AS created_at, placelink_rfc3339(last_used_at) AS last_used_at, hits::text AS hits`;

export interface LdContextRow {
  id: string;
  kind: StoredLdContextKind;
  created_at: string;
  last_used_at: string | null;
  hits: string;
}

export const ldContextSql = {
  insert: (id: string, kind: StoredLdContextKind, document: unknown): SqlQuery => ({
    text: `INSERT INTO ngsi_ld_context (id, kind, document) VALUES ($1::uuid, $2, $3::jsonb) RETURNING ${COLUMNS}`,
    values: [id, kind, JSON.stringify(document)],
  }),

  byId: (id: string): SqlQuery => ({ text: `SELECT ${COLUMNS} FROM ngsi_ld_context WHERE id = $1::uuid`, values: [id] }),

  document: (id: string): SqlQuery => ({ text: `SELECT document FROM ngsi_ld_context WHERE id = $1::uuid`, values: [id] }),

  list: (kind: StoredLdContextKind | null): SqlQuery => ({
    text: `SELECT ${COLUMNS} FROM ngsi_ld_context WHERE $1::text IS NULL OR kind = $1 ORDER BY created_at, id`,
    values: [kind],
  }),

  remove: (id: string): SqlQuery => ({ text: `DELETE FROM ngsi_ld_context WHERE id = $1::uuid RETURNING id::text AS id`, values: [id] }),

  /** One statement for a batch of uses, each context's counter raised by its own count. */
  recordUses: (uses: readonly LdContextUse[]): SqlQuery => ({
    text: `UPDATE ngsi_ld_context c SET hits = c.hits + u.hits, last_used_at = greatest(c.last_used_at, u.at)
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS u(id, hits, at)
           WHERE c.id = u.id`,
    values: [uses.map((u) => u.id), uses.map((u) => u.hits), uses.map((u) => u.at)],
  }),
};
