import type { SqlQuery } from './sql-query.js';

/** The advisory lock key of harvests into a collection (one at a time, across processes). */
const LOCK_KEY = `hashtextextended('placelink-harvest:' || $1, 0)`;

export const harvestSql = {
  /** Held until the harvest's transaction ends; a killed process releases it with its connection. */
  lockForTransaction: (collectionId: string): SqlQuery => ({ text: `SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS locked`, values: [collectionId] }),

  /** Whether a harvest (of any process) holds the lock right now. */
  lockHeld: (collectionId: string): SqlQuery => ({
    text: `SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
             AND ((l.classid::bigint << 32) | l.objid::bigint) = ${LOCK_KEY}) AS held`,
    values: [collectionId],
  }),

  /** Ids read in this run, in the database rather than in memory; dropped with the transaction. */
  createSeen: (): SqlQuery => ({ text: 'CREATE TEMP TABLE IF NOT EXISTS harvest_seen (id text PRIMARY KEY) ON COMMIT DROP', values: [] }),

  /** Records ids as read; returns the ones this run had not read before. */
  markSeen: (ids: readonly string[]): SqlQuery => ({
    name: 'harvest-mark-seen',
    text: 'INSERT INTO harvest_seen (id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING id',
    values: [ids],
  }),

  seenCount: (): SqlQuery => ({ text: 'SELECT count(*)::bigint::text AS n FROM harvest_seen', values: [] }),

  /** Current features of the collection this run did not read, and all current features. */
  vanished: (collectionKey: number): SqlQuery => ({
    text: `SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM harvest_seen s WHERE s.id = f.id))::bigint::text AS vanished,
                  count(*)::bigint::text AS current
           FROM feature f WHERE f.collection_key = $1::integer AND f.retired_at IS NULL`,
    values: [collectionKey],
  }),

  retireVanished: (collectionKey: number, at: string): SqlQuery => ({
    text: `WITH retired AS (
             UPDATE feature f SET retired_at = $2::timestamptz, updated_at = now()
             WHERE f.collection_key = $1::integer AND f.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM harvest_seen s WHERE s.id = f.id)
             RETURNING 1)
           SELECT count(*)::bigint::text AS n FROM retired`,
    values: [collectionKey, at],
  }),

  /** Deletes what this run did not read, features retired by earlier runs included. */
  isEmpty: (collectionKey: number): SqlQuery => ({
    text: 'SELECT NOT EXISTS (SELECT 1 FROM feature f WHERE f.collection_key = $1::integer) AS empty',
    values: [collectionKey],
  }),

  purgeVanished: (collectionKey: number): SqlQuery => ({
    text: `WITH purged AS (
             DELETE FROM feature f
             WHERE f.collection_key = $1::integer AND NOT EXISTS (SELECT 1 FROM harvest_seen s WHERE s.id = f.id)
             RETURNING 1)
           SELECT count(*)::bigint::text AS n FROM purged`,
    values: [collectionKey],
  }),
};
