import type { Collection, CollectionDefinition, Queryable } from '../domain/collection.js';
import type { CollectionRepository } from '../services/ports/feature-ports.js';
import type { SqlExecutor } from './database.js';
import { collectionSql, type CollectionRow } from './sql/collection-sql.js';

const GEOMETRY_TYPE_NAMES: Record<string, string> = {
  ST_Point: 'Point',
  ST_LineString: 'LineString',
  ST_Polygon: 'Polygon',
  ST_MultiPoint: 'MultiPoint',
  ST_MultiLineString: 'MultiLineString',
  ST_MultiPolygon: 'MultiPolygon',
  ST_GeometryCollection: 'GeometryCollection',
};

function toCollection(row: CollectionRow): Collection {
  const extent = row.spatial_extent;
  return {
    key: row.collection_key,
    id: row.id,
    title: row.title,
    description: row.description,
    keywords: row.keywords,
    license: row.license,
    attribution: row.attribution,
    itemType: row.item_type,
    sourceSrid: row.source_srid,
    storageSrid: row.storage_srid,
    inspireNamespace: row.inspire_namespace,
    featureCount: Number(row.feature_count),
    spatialExtent: extent && extent.length === 4 ? [extent[0]!, extent[1]!, extent[2]!, extent[3]!] : null,
    temporalExtent: row.temporal_start || row.temporal_end ? [row.temporal_start, row.temporal_end] : null,
    geometryTypes: row.geometry_types.map((t) => GEOMETRY_TYPE_NAMES[t] ?? t),
    queryables: row.queryables,
    harvest: {
      mappingId: row.mapping_id,
      inspireTheme: row.inspire_theme,
      metadataUrl: row.metadata_url,
      ngsiLdType: row.ngsi_ld_type,
      ngsiLdContext: row.ngsi_ld_context,
      ngsiLdIdTemplate: row.ngsi_ld_id_template,
      ngsiLdWritable: row.ngsi_ld_writable,
      ngsiLdAttributes: row.ngsi_ld_attributes,
    },
    dataVersion: Number(row.data_version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The default INSPIRE namespace of a collection that declares none. */
export function defaultNamespace(collectionId: string): string {
  return `placelink.${collectionId}`;
}

export function collectionRepository(db: SqlExecutor): CollectionRepository {
  return {
    async list() {
      return (await db.query<CollectionRow>(collectionSql.list())).map(toCollection);
    },

    async get(id: string) {
      const [row] = await db.query<CollectionRow>(collectionSql.byId(id));
      return row ? toCollection(row) : null;
    },

    async save(definition: CollectionDefinition) {
      const namespace = definition.inspireNamespace ?? defaultNamespace(definition.id);
      const [row] = await db.query<{ collection_key: number; created: boolean }>(collectionSql.upsert(definition, namespace));
      await db.query(collectionSql.createPartition(row!.collection_key));
      return { key: row!.collection_key, created: row!.created };
    },

    async remove(id: string) {
      const [row] = await db.query<{ collection_key: number }>(collectionSql.remove(id));
      if (!row) return false;
      await db.query(collectionSql.dropPartition(row.collection_key));
      return true;
    },

    async setQueryables(key: number, queryables: Record<string, Queryable>) {
      await db.query(collectionSql.setQueryables(key, queryables));
    },

    async refreshStats(key: number) {
      await db.query(collectionSql.refreshStats(key));
    },

    async analyze(key: number) {
      await db.query(collectionSql.analyzePartition(key));
    },
  };
}
