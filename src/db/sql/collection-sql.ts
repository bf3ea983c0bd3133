import { InvariantError } from '../../domain/errors.js';
import type { CollectionDefinition, Queryable } from '../../domain/collection.js';
import type { AttributeInfo } from '../../domain/entity.js';
import type { SqlQuery } from './sql-query.js';

const COLLECTION_COLUMNS = `collection_key, id, title, description, keywords, license, attribution, item_type,
  source_srid, storage_srid, inspire_namespace, feature_count::text AS feature_count, spatial_extent,
  to_char(temporal_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS temporal_start,
  to_char(temporal_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS temporal_end,
  geometry_types, queryables, data_version::text AS data_version,
  mapping_id, inspire_theme, metadata_url, ngsi_ld_type, ngsi_ld_context, ngsi_ld_id_template, ngsi_ld_writable, ngsi_ld_attributes,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at`;

export interface CollectionRow {
  collection_key: number;
  id: string;
  title: string;
  description: string | null;
  keywords: string[];
  license: string | null;
  attribution: string | null;
  item_type: 'feature';
  source_srid: number;
  storage_srid: number;
  inspire_namespace: string;
  feature_count: string;
  spatial_extent: number[] | null;
  temporal_start: string | null;
  temporal_end: string | null;
  geometry_types: string[];
  queryables: Record<string, Queryable>;
  data_version: string;
  mapping_id: string | null;
  inspire_theme: string | null;
  metadata_url: string | null;
  ngsi_ld_type: string | null;
  ngsi_ld_context: unknown[];
  ngsi_ld_id_template: string | null;
  ngsi_ld_writable: boolean;
  ngsi_ld_attributes: Record<string, AttributeInfo>;
  created_at: string;
  updated_at: string;
}

export const collectionSql = {
  list: (): SqlQuery => ({ name: 'collection-list', text: `SELECT ${COLLECTION_COLUMNS} FROM collection ORDER BY id`, values: [] }),

  byId: (id: string): SqlQuery => ({ name: 'collection-by-id', text: `SELECT ${COLLECTION_COLUMNS} FROM collection WHERE id = $1`, values: [id] }),

  /** Inserts the catalog row, or updates its descriptive fields when it exists (harvest fields only when given). */
  upsert: (definition: CollectionDefinition, namespace: string): SqlQuery => {
    const harvest = definition.harvest;
    return {
      text: `INSERT INTO collection (id, title, description, keywords, license, attribution, source_srid, inspire_namespace,
                                     mapping_id, inspire_theme, metadata_url, ngsi_ld_type, ngsi_ld_context, ngsi_ld_id_template,
                                     ngsi_ld_writable, ngsi_ld_attributes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $11, $12, $13, coalesce($14::jsonb, '[]'), $15, coalesce($16::boolean, false), coalesce($17::jsonb, '{}'))
             ON CONFLICT (id) DO UPDATE SET
               title = EXCLUDED.title, description = EXCLUDED.description, keywords = EXCLUDED.keywords,
               license = EXCLUDED.license, attribution = EXCLUDED.attribution, source_srid = EXCLUDED.source_srid,
               inspire_namespace = EXCLUDED.inspire_namespace, updated_at = now(),
               mapping_id = CASE WHEN $9::boolean THEN EXCLUDED.mapping_id ELSE collection.mapping_id END,
               inspire_theme = CASE WHEN $9::boolean THEN EXCLUDED.inspire_theme ELSE collection.inspire_theme END,
               metadata_url = CASE WHEN $9::boolean THEN EXCLUDED.metadata_url ELSE collection.metadata_url END,
               ngsi_ld_type = CASE WHEN $9::boolean THEN EXCLUDED.ngsi_ld_type ELSE collection.ngsi_ld_type END,
               ngsi_ld_context = CASE WHEN $9::boolean THEN EXCLUDED.ngsi_ld_context ELSE collection.ngsi_ld_context END,
               ngsi_ld_id_template = CASE WHEN $9::boolean THEN EXCLUDED.ngsi_ld_id_template ELSE collection.ngsi_ld_id_template END,
               ngsi_ld_writable = CASE WHEN $9::boolean THEN EXCLUDED.ngsi_ld_writable ELSE collection.ngsi_ld_writable END,
               ngsi_ld_attributes = CASE WHEN $9::boolean THEN EXCLUDED.ngsi_ld_attributes ELSE collection.ngsi_ld_attributes END
             RETURNING collection_key, (xmax = 0) AS created`,
      values: [
        definition.id,
        definition.title,
        definition.description ?? null,
        definition.keywords ?? [],
        definition.license ?? null,
        definition.attribution ?? null,
        definition.sourceSrid,
        namespace,
        harvest !== undefined,
        harvest?.mappingId ?? null,
        harvest?.inspireTheme ?? null,
        harvest?.metadataUrl ?? null,
        harvest?.ngsiLdType ?? null,
        harvest ? JSON.stringify(harvest.ngsiLdContext) : null,
        harvest?.ngsiLdIdTemplate ?? null,
        harvest?.ngsiLdWritable ?? null,
        harvest ? JSON.stringify(harvest.ngsiLdAttributes) : null,
      ],
    };
  },

  /** The collection's own partition of `feature`; `key` is the integer the database assigned. */
  createPartition: (key: number): SqlQuery => {
    if (!Number.isSafeInteger(key) || key <= 0) throw new InvariantError(`invalid collection key ${key}`);
    return { text: `CREATE TABLE IF NOT EXISTS feature_c${key} PARTITION OF feature FOR VALUES IN (${key})`, values: [] };
  },

  /** Fresh planner statistics for the collection's partition (after bulk writes). */
  analyzePartition: (key: number): SqlQuery => {
    if (!Number.isSafeInteger(key) || key <= 0) throw new InvariantError(`invalid collection key ${key}`);
    return { text: `ANALYZE feature_c${key}`, values: [] };
  },

  remove: (id: string): SqlQuery => ({ text: 'DELETE FROM collection WHERE id = $1 RETURNING collection_key', values: [id] }),

  dropPartition: (key: number): SqlQuery => {
    if (!Number.isSafeInteger(key) || key <= 0) throw new InvariantError(`invalid collection key ${key}`);
    return { text: `DROP TABLE IF EXISTS feature_c${key}`, values: [] };
  },

  setQueryables: (key: number, queryables: Record<string, Queryable>): SqlQuery => ({
    text: 'UPDATE collection SET queryables = $2::jsonb, updated_at = now() WHERE collection_key = $1',
    values: [key, JSON.stringify(queryables)],
  }),

  /** Recomputes count, extents and geometry types from the stored features and bumps the data version. */
  refreshStats: (key: number): SqlQuery => ({
    text: `UPDATE collection c SET
             feature_count = s.n,
             spatial_extent = CASE WHEN s.box IS NULL THEN NULL
                                   ELSE ARRAY[ST_XMin(s.box), ST_YMin(s.box), ST_XMax(s.box), ST_YMax(s.box)] END,
             temporal_start = s.t0,
             temporal_end = s.t1,
             geometry_types = s.types,
             data_version = c.data_version + 1,
             updated_at = now()
           FROM (SELECT count(*) AS n, ST_Extent(geom) AS box, min(time_start) AS t0,
                        max(coalesce(time_end, time_start)) AS t1,
                        coalesce(array_agg(DISTINCT ST_GeometryType(geom)) FILTER (WHERE geom IS NOT NULL), '{}') AS types
                 FROM feature WHERE collection_key = $1 AND retired_at IS NULL) s
           WHERE c.collection_key = $1`,
    values: [key],
  }),
};
