import { createHash } from 'node:crypto';
import type { EntityRecord } from '../../domain/entity-writes.js';
import type { SqlQuery } from './sql-query.js';

/**
 * Statements of NGSI-LD entity writes. An entity written through NGSI-LD is a feature whose id,
 * local id and NGSI-LD id are the entity id, in its collection's INSPIRE namespace; the geometry is
 * its location (an invalid one repaired with ST_MakeValid for the spatial indexes and filters, the
 * reason kept, as harvests do; the stored location attribute keeps the value as written).
 */

/** The entity row as a write reads it (the columns of EntityRow). */
const ENTITY_COLUMNS = `f.collection_key AS "collectionKey", f.ngsi_ld_id AS id, ST_AsGeoJSON(f.geom, 9, 0)::json AS geometry, f.properties,
  f.ngsi_attributes AS attributes, placelink_rfc3339(f.created_at) AS "createdAt", placelink_rfc3339(f.updated_at) AS "modifiedAt", f.ngsi_scopes AS scopes`;

/** The geometry of $3 as stored: EPSG:4326, repaired when invalid, with the repair's reason. */
const STORED_GEOMETRY = `(SELECT CASE WHEN r.raw IS NULL OR ST_IsValid(r.raw) THEN r.raw ELSE ST_MakeValid(r.raw) END AS geom,
                                 CASE WHEN r.raw IS NULL OR ST_IsValid(r.raw) THEN NULL ELSE ST_IsValidReason(r.raw) END AS repair
                          FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4326) AS raw) r)`;

/** What a harvest would compare to decide "unchanged" (feature-sql.ts), here over everything the row holds of the entity. */
function contentHash(geometry: string, properties: string, attributes: string, scopes: string): string {
  return createHash('sha256').update(`${geometry}\u0000${properties}\u0000${attributes}\u0000${scopes}`).digest('hex');
}

/** $1 collection key, $2 id, $3 geometry, $4 properties, $5 attributes, $6 content hash, $7 scopes. */
function recordValues(collectionKey: number, entity: EntityRecord): unknown[] {
  const geometry = entity.geometry === null ? null : JSON.stringify(entity.geometry);
  const properties = JSON.stringify(entity.properties);
  const attributes = JSON.stringify(entity.attributes);
  return [collectionKey, entity.id, geometry, properties, attributes, contentHash(geometry ?? 'null', properties, attributes, JSON.stringify(entity.scopes)), entity.scopes];
}

export const entityWriteSql = {
  /** Transaction-level advisory locks on names (sorted by the caller), taken in the order given. */
  lock: (names: readonly string[]): SqlQuery => ({
    text: `SELECT count(pg_advisory_xact_lock(hashtextextended('placelink-ngsi-ld:' || n, 0)))::integer AS locked FROM unnest($1::text[]) AS n`,
    values: [names],
  }),

  find: (collectionKeys: readonly number[], id: string): SqlQuery => ({
    text: `SELECT ${ENTITY_COLUMNS} FROM feature f
           WHERE f.collection_key = ANY($1::integer[]) AND f.ngsi_ld_id = $2::text AND f.retired_at IS NULL
           ORDER BY f.collection_key LIMIT 1`,
    values: [collectionKeys, id],
  }),

  /** $8: the creation time to keep (an entity moved to another collection), or null for now. */
  insert: (collectionKey: number, entity: EntityRecord, createdAt: string | null): SqlQuery => ({
    text: `INSERT INTO feature (collection_key, id, namespace, local_id, ngsi_ld_id, geom, geometry_repair, properties, ngsi_attributes, content_hash, ngsi_scopes, created_at, updated_at)
           SELECT $1::integer, $2::text, c.inspire_namespace, $2::text, $2::text, g.geom, g.repair, $4::jsonb, $5::jsonb, decode($6::text, 'hex'), $7::text[],
                  coalesce($8::timestamptz, now()), now()
           FROM collection c, ${STORED_GEOMETRY} g
           WHERE c.collection_key = $1::integer`,
    values: [...recordValues(collectionKey, entity), createdAt],
  }),

  update: (collectionKey: number, entity: EntityRecord): SqlQuery => ({
    text: `UPDATE feature f SET geom = g.geom, geometry_repair = g.repair, properties = $4::jsonb, ngsi_attributes = $5::jsonb,
                  content_hash = decode($6::text, 'hex'), ngsi_scopes = $7::text[], updated_at = now()
           FROM ${STORED_GEOMETRY} g
           WHERE f.collection_key = $1::integer AND f.id = $2::text`,
    values: recordValues(collectionKey, entity),
  }),

  remove: (collectionKey: number, id: string): SqlQuery => ({
    text: 'DELETE FROM feature WHERE collection_key = $1::integer AND id = $2::text',
    values: [collectionKey, id],
  }),
};
