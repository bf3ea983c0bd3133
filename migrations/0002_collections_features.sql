-- Catalog of feature collections and the features themselves.
--
-- Identifiers: every feature has a stable `id` within its collection (the OGC API featureId) and an
-- INSPIRE inspireId (namespace + local_id + version_id). The NGSI-LD entity URN is derived from
-- the inspireId, so one thing keeps one identity across both APIs.
--
-- Geometry is stored once, in EPSG:4326 with longitude/latitude order (the canonical CRS for joins);
-- the CRS the data arrived in is recorded per collection and offered as an output CRS.

CREATE TABLE collection (
  collection_key     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                 text NOT NULL UNIQUE CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
  title              text NOT NULL,
  description        text,
  keywords           text[] NOT NULL DEFAULT '{}',
  license            text,
  attribution        text,
  item_type          text NOT NULL DEFAULT 'feature',
  source_srid        integer NOT NULL DEFAULT 4326,
  storage_srid       integer NOT NULL DEFAULT 4326 CHECK (storage_srid = 4326),
  inspire_namespace  text NOT NULL,
  -- kept current by every write (see refreshCollectionStats)
  feature_count      bigint NOT NULL DEFAULT 0,
  spatial_extent     double precision[] CHECK (spatial_extent IS NULL OR cardinality(spatial_extent) = 4),
  temporal_start     timestamptz,
  temporal_end       timestamptz,
  geometry_types     text[] NOT NULL DEFAULT '{}',
  -- property name -> {"type": "string" | "integer" | "number" | "boolean"}
  queryables         jsonb NOT NULL DEFAULT '{}',
  data_version       bigint NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Feature order for keyset paging; one sequence across collections, so a position never repeats.
CREATE SEQUENCE feature_seq AS bigint;

-- One partition per collection (created with the collection): its own GiST index, statistics
-- and cheap purge.
CREATE TABLE feature (
  collection_key  integer NOT NULL REFERENCES collection (collection_key) ON DELETE CASCADE,
  seq             bigint NOT NULL DEFAULT nextval('feature_seq'),
  id              text NOT NULL,
  namespace       text NOT NULL,
  local_id        text NOT NULL,
  version_id      text,
  -- any geometry type, 2D or 3D, always EPSG:4326 (x = longitude, y = latitude)
  geom            geometry CHECK (ST_SRID(geom) = 4326),
  properties      jsonb NOT NULL DEFAULT '{}',
  time_start      timestamptz,
  time_end        timestamptz,
  -- why ST_MakeValid had to repair the geometry on write (ST_IsValidReason), null when it was valid
  geometry_repair text,
  content_hash    bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection_key, id),
  CHECK (time_end IS NULL OR time_start IS NULL OR time_end >= time_start)
) PARTITION BY LIST (collection_key);

CREATE UNIQUE INDEX feature_seq_idx ON feature (collection_key, seq);
CREATE INDEX feature_geom_idx ON feature USING gist (geom);
CREATE INDEX feature_time_start_idx ON feature (collection_key, time_start);
CREATE INDEX feature_time_end_idx ON feature (collection_key, time_end);
CREATE INDEX feature_properties_idx ON feature USING gin (properties jsonb_path_ops);
CREATE UNIQUE INDEX feature_inspire_id_idx ON feature (collection_key, namespace, local_id);

-- Hash of everything a harvest compares to decide "unchanged"; immutable so it can be computed in
-- INSERT … ON CONFLICT and compared with the stored value.
CREATE FUNCTION placelink_content_hash(geom geometry, properties jsonb, time_start timestamptz, time_end timestamptz, version_id text)
RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT sha256(
    coalesce(ST_AsEWKB(geom), '\x'::bytea) || '\x00'::bytea ||
    convert_to(properties::text, 'UTF8') || '\x00'::bytea ||
    convert_to(coalesce(extract(epoch FROM time_start)::text, '') || '/' || coalesce(extract(epoch FROM time_end)::text, '') || '/' || coalesce(version_id, ''), 'UTF8'))
$$;
