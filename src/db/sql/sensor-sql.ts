import type { DatastreamRecord, FeatureOfInterestRecord, LocationEntry } from '../../domain/datastream.js';
import type { SqlQuery } from './sql-query.js';

export interface SourceRow {
  source_key: number;
  id: string;
  type: 'sensorthings' | 'mqtt' | 'http-push';
  collection_key: number | null;
  retention_ms: string | null;
}

export interface DatastreamInfoRow {
  datastream_key: number;
  id: string;
  upstream_id: string;
  source_key: number;
  source_id: string;
  result_type: DatastreamRecord['resultType'];
  unit: Record<string, unknown> | null;
}

const INFO_COLUMNS = `d.datastream_key, d.id, d.upstream_id, d.source_key, s.id AS source_id, d.result_type, d.unit`;

const geometryFromJson = (expression: string) => `CASE WHEN ${expression} IS NULL THEN NULL ELSE ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(${expression}::text), 4326)) END`;

export const sensorSql = {
  upsertSource: (id: string, type: SourceRow['type'], collectionKey: number, retentionMs: number | null): SqlQuery => ({
    text: `INSERT INTO sensor_source (id, type, collection_key, retention_ms) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, collection_key = EXCLUDED.collection_key,
             retention_ms = EXCLUDED.retention_ms, updated_at = now()
           RETURNING source_key, id, type, collection_key, retention_ms::text`,
    values: [id, type, collectionKey, retentionMs],
  }),

  listSources: (): SqlQuery => ({ name: 'sensor-source-list', text: 'SELECT source_key, id, type, collection_key, retention_ms::text FROM sensor_source ORDER BY id', values: [] }),

  /**
   * Inserts or updates a source's datastreams. A datastream whose public id another source already
   * uses is left out (the caller reports it); locations are written separately.
   */
  upsertDatastreams: (sourceKey: number, records: readonly DatastreamRecord[]): SqlQuery => ({
    text: `WITH input AS (
             SELECT * FROM jsonb_to_recordset($2::jsonb) AS i(id text, upstream_id text, name text, description text, unit jsonb,
               observation_type text, result_type text, observed_property jsonb, sensor jsonb, thing jsonb, properties jsonb)
           ), free AS (
             SELECT i.* FROM input i WHERE NOT EXISTS (SELECT 1 FROM datastream o WHERE o.id = i.id AND o.source_key <> $1::integer)
           )
           INSERT INTO datastream AS d (source_key, id, upstream_id, name, description, unit, observation_type, result_type,
                                        observed_property, sensor, thing, properties)
           SELECT $1::integer, id, upstream_id, name, description, unit, observation_type, result_type, observed_property, sensor, thing,
                  coalesce(properties, '{}')
           FROM free
           ON CONFLICT (source_key, upstream_id) DO UPDATE SET
             id = EXCLUDED.id, name = EXCLUDED.name, description = EXCLUDED.description, unit = EXCLUDED.unit,
             observation_type = EXCLUDED.observation_type, result_type = EXCLUDED.result_type,
             observed_property = EXCLUDED.observed_property, sensor = EXCLUDED.sensor, thing = EXCLUDED.thing,
             properties = EXCLUDED.properties, updated_at = now()
           WHERE (d.id, d.name, d.description, d.unit, d.observation_type, d.result_type, d.observed_property, d.sensor, d.thing, d.properties)
                 IS DISTINCT FROM (EXCLUDED.id, EXCLUDED.name, EXCLUDED.description, EXCLUDED.unit, EXCLUDED.observation_type,
                                   EXCLUDED.result_type, EXCLUDED.observed_property, EXCLUDED.sensor, EXCLUDED.thing, EXCLUDED.properties)`,
    values: [
      sourceKey,
      JSON.stringify(
        records.map((r) => ({
          id: r.id,
          upstream_id: r.upstreamId,
          name: r.name,
          description: r.description,
          unit: r.unit,
          observation_type: r.observationType,
          result_type: r.resultType,
          observed_property: r.observedProperty,
          sensor: r.sensor,
          thing: r.thing,
          properties: r.properties,
        })),
      ),
    ],
  }),

  /** Ids among `ids` that another source's datastream already has. */
  takenIds: (sourceKey: number, ids: readonly string[]): SqlQuery => ({
    text: `SELECT d.id, s.id AS source_id FROM datastream d JOIN sensor_source s USING (source_key) WHERE d.id = ANY($2::text[]) AND d.source_key <> $1::integer`,
    values: [sourceKey, ids],
  }),

  infoByIds: (ids: readonly string[]): SqlQuery => ({
    text: `SELECT ${INFO_COLUMNS} FROM datastream d JOIN sensor_source s USING (source_key) WHERE d.id = ANY($1::text[])`,
    values: [ids],
  }),

  infoByUpstreamIds: (sourceKey: number, upstreamIds: readonly string[]): SqlQuery => ({
    text: `SELECT ${INFO_COLUMNS} FROM datastream d JOIN sensor_source s USING (source_key) WHERE d.source_key = $1::integer AND d.upstream_id = ANY($2::text[])`,
    values: [sourceKey, upstreamIds],
  }),

  infoForSource: (sourceKey: number): SqlQuery => ({
    text: `SELECT ${INFO_COLUMNS}, placelink_rfc3339(d.harvested_until) AS harvested_until
           FROM datastream d JOIN sensor_source s USING (source_key) WHERE d.source_key = $1::integer ORDER BY d.datastream_key`,
    values: [sourceKey],
  }),

  detail: (id: string): SqlQuery => ({
    text: `SELECT ${INFO_COLUMNS}, d.name, d.properties, d.thing, ST_AsGeoJSON(d.geom)::jsonb AS geometry,
                  placelink_rfc3339(d.location_time) AS location_time, placelink_rfc3339(d.harvested_until) AS harvested_until
           FROM datastream d JOIN sensor_source s USING (source_key) WHERE d.id = $1`,
    values: [id],
  }),

  /**
   * Moves datastreams to new places: for each, the entry is the latest known location. A location
   * that differs from the current one closes the current history row and opens a new one; older or
   * equal ones change nothing. Returns the keys of datastreams that moved.
   */
  move: (entries: readonly { key: number; location: LocationEntry }[]): SqlQuery => ({
    text: `WITH input AS (
             SELECT DISTINCT ON (i.datastream_key) i.datastream_key, i.valid_from, ${geometryFromJson('i.geometry')} AS geom
             FROM jsonb_to_recordset($1::jsonb) AS i(datastream_key integer, valid_from timestamptz, geometry jsonb)
             ORDER BY i.datastream_key, i.valid_from DESC
           ), changed AS (
             SELECT i.* FROM input i JOIN datastream d USING (datastream_key)
             WHERE (d.geom IS NULL OR ST_AsEWKB(d.geom) <> ST_AsEWKB(i.geom)) AND (d.location_time IS NULL OR i.valid_from > d.location_time)
           ), closed AS (
             UPDATE datastream_location l SET valid_to = c.valid_from FROM changed c
             WHERE l.datastream_key = c.datastream_key AND l.valid_to IS NULL AND l.valid_from < c.valid_from RETURNING l.datastream_key
           ), opened AS (
             INSERT INTO datastream_location (datastream_key, valid_from, geom) SELECT datastream_key, valid_from, geom FROM changed
             ON CONFLICT (datastream_key, valid_from) DO UPDATE SET geom = EXCLUDED.geom RETURNING datastream_key
           )
           UPDATE datastream d SET geom = c.geom, location_time = c.valid_from, updated_at = now()
           FROM changed c WHERE d.datastream_key = c.datastream_key
           RETURNING d.datastream_key`,
    values: [JSON.stringify(entries.map((e) => ({ datastream_key: e.key, valid_from: e.location.time, geometry: e.location.geometry })))],
  }),

  /** Removes the location history of datastreams whose history is rewritten (SensorThings HistoricalLocations). */
  clearHistory: (keys: readonly number[]): SqlQuery => ({
    text: 'DELETE FROM datastream_location WHERE datastream_key = ANY($1::integer[])',
    values: [keys],
  }),

  /**
   * Writes whole location histories: each entry holds from its time until the next entry of the
   * same datastream. The datastream's current place becomes its last entry.
   */
  writeHistory: (entries: readonly { key: number; location: LocationEntry }[]): SqlQuery => ({
    text: `WITH input AS (
             SELECT DISTINCT ON (i.datastream_key, i.valid_from) i.datastream_key, i.valid_from, ${geometryFromJson('i.geometry')} AS geom
             FROM jsonb_to_recordset($1::jsonb) AS i(datastream_key integer, valid_from timestamptz, geometry jsonb)
             ORDER BY i.datastream_key, i.valid_from
           ), spans AS (
             SELECT datastream_key, valid_from, lead(valid_from) OVER (PARTITION BY datastream_key ORDER BY valid_from) AS valid_to, geom FROM input
           ), written AS (
             INSERT INTO datastream_location (datastream_key, valid_from, valid_to, geom) SELECT datastream_key, valid_from, valid_to, geom FROM spans
             RETURNING datastream_key
           ), current AS (
             SELECT datastream_key, valid_from, geom FROM spans WHERE valid_to IS NULL
           )
           UPDATE datastream d SET geom = c.geom, location_time = c.valid_from, updated_at = now()
           FROM current c WHERE d.datastream_key = c.datastream_key
             AND (d.geom IS NULL OR ST_AsEWKB(d.geom) <> ST_AsEWKB(c.geom) OR d.location_time IS DISTINCT FROM c.valid_from)`,
    values: [JSON.stringify(entries.map((e) => ({ datastream_key: e.key, valid_from: e.location.time, geometry: e.location.geometry })))],
  }),

  /**
   * Stores a source's FeaturesOfInterest (changed ones are updated) and returns the key of each,
   * new, changed or as it was.
   */
  upsertFeaturesOfInterest: (sourceKey: number, records: readonly FeatureOfInterestRecord[]): SqlQuery => ({
    text: `WITH input AS (
             SELECT DISTINCT ON (i.upstream_id) i.upstream_id, i.name, i.description, i.encoding_type, coalesce(i.properties, '{}') AS properties,
                    ${geometryFromJson('i.geometry')} AS geom
             FROM jsonb_to_recordset($2::jsonb) AS i(upstream_id text, name text, description text, encoding_type text, properties jsonb, geometry jsonb)
           ), written AS (
             INSERT INTO feature_of_interest AS f (source_key, upstream_id, name, description, encoding_type, properties, geom)
             SELECT $1::integer, upstream_id, name, description, encoding_type, properties, geom FROM input
             ON CONFLICT (source_key, upstream_id) DO UPDATE SET
               name = EXCLUDED.name, description = EXCLUDED.description, encoding_type = EXCLUDED.encoding_type,
               properties = EXCLUDED.properties, geom = EXCLUDED.geom, updated_at = now()
             WHERE (f.name, f.description, f.encoding_type, f.properties) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.encoding_type, EXCLUDED.properties)
                OR ST_AsEWKB(f.geom) IS DISTINCT FROM ST_AsEWKB(EXCLUDED.geom)
             RETURNING f.foi_key, f.upstream_id
           )
           SELECT foi_key, upstream_id FROM written
           UNION ALL
           SELECT f.foi_key, f.upstream_id FROM feature_of_interest f JOIN input i USING (upstream_id)
           WHERE f.source_key = $1::integer AND NOT EXISTS (SELECT 1 FROM written w WHERE w.upstream_id = f.upstream_id)`,
    values: [
      sourceKey,
      JSON.stringify(records.map((r) => ({ upstream_id: r.upstreamId, name: r.name, description: r.description, encoding_type: r.encodingType, properties: r.properties, geometry: r.geometry }))),
    ],
  }),

  /** Datastreams of a source as collections of their own (one by upstream id, or a page in id order). */
  datastreamSummaries(sourceKey: number, which: { upstreamId: string } | { limit: number; offset: number }): SqlQuery {
    const one = 'upstreamId' in which;
    return {
      text: `SELECT d.datastream_key, d.id, d.upstream_id, d.name, d.description, d.observed_property->>'name' AS observed_property,
                    coalesce(d.unit->>'symbol', d.unit->>'name') AS unit, coalesce(t.observation_count, 0)::text AS observation_count,
                    CASE WHEN e.box IS NULL THEN NULL ELSE ARRAY[ST_XMin(e.box), ST_YMin(e.box), ST_XMax(e.box), ST_YMax(e.box)] END AS spatial_extent,
                    coalesce(e.types, '{}') AS geometry_types,
                    placelink_rfc3339((SELECT o.phenomenon_time FROM observation o WHERE o.datastream_key = d.datastream_key ORDER BY o.phenomenon_time LIMIT 1)) AS first_time,
                    placelink_rfc3339(ol.phenomenon_end) AS last_time
             FROM datastream d
             LEFT JOIN observation_latest ol USING (datastream_key)
             LEFT JOIN datastream_tally t USING (datastream_key)
             LEFT JOIN LATERAL (
               SELECT ST_Extent(g.geom) AS box, array_agg(DISTINCT ST_GeometryType(g.geom) ORDER BY ST_GeometryType(g.geom)) AS types
               FROM (SELECT l.geom FROM datastream_location l WHERE l.datastream_key = d.datastream_key
                     UNION ALL SELECT f.geom FROM datastream_feature_of_interest x JOIN feature_of_interest f USING (foi_key) WHERE x.datastream_key = d.datastream_key AND f.geom IS NOT NULL) g
             ) e ON true
             WHERE d.source_key = $1::integer AND ${one ? 'd.upstream_id = $2' : 'true'}
             ORDER BY d.id ${one ? '' : 'LIMIT $2::integer OFFSET $3::bigint'}`,
      values: one ? [sourceKey, which.upstreamId] : [sourceKey, which.limit, which.offset],
    };
  },

  datastreamCount: (sourceKey: number): SqlQuery => ({ text: 'SELECT count(*)::integer AS n FROM datastream WHERE source_key = $1::integer', values: [sourceKey] }),

  /** Notes which FeaturesOfInterest a datastream's observations refer to. */
  observedFeatures: (datastreamKey: number, foiKeys: readonly number[]): SqlQuery => ({
    text: `INSERT INTO datastream_feature_of_interest (datastream_key, foi_key) SELECT $1::integer, unnest($2::integer[]) ON CONFLICT DO NOTHING`,
    values: [datastreamKey, foiKeys],
  }),

  setHarvestedUntil: (entries: readonly { key: number; until: string }[]): SqlQuery => ({
    text: `UPDATE datastream d SET harvested_until = greatest(d.harvested_until, i.until)
           FROM jsonb_to_recordset($1::jsonb) AS i(datastream_key integer, until timestamptz) WHERE d.datastream_key = i.datastream_key`,
    values: [JSON.stringify(entries.map((e) => ({ datastream_key: e.key, until: e.until })))],
  }),

  /** The observation collection's spatial extent: the box around its datastreams' places and its FeaturesOfInterest. */
  refreshSourceExtent: (sourceKey: number): SqlQuery => ({
    text: `UPDATE collection c SET
             spatial_extent = CASE WHEN e.box IS NULL THEN NULL ELSE ARRAY[ST_XMin(e.box), ST_YMin(e.box), ST_XMax(e.box), ST_YMax(e.box)] END,
             geometry_types = coalesce(e.types, '{}'),
             updated_at = now()
           FROM (SELECT ST_Extent(g.geom) AS box, array_agg(DISTINCT ST_GeometryType(g.geom) ORDER BY ST_GeometryType(g.geom)) FILTER (WHERE g.geom IS NOT NULL) AS types
                 FROM (SELECT l.geom FROM datastream d JOIN datastream_location l USING (datastream_key) WHERE d.source_key = $1::integer
                       UNION ALL SELECT f.geom FROM feature_of_interest f WHERE f.source_key = $1::integer) g) e,
                sensor_source s
           WHERE s.source_key = $1::integer AND c.collection_key = s.collection_key`,
    values: [sourceKey],
  }),
};
