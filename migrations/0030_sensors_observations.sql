-- Sensor sources, their datastreams (with current location and location history), observations
-- partitioned by time, the latest value of each datastream, and links between assets (features)
-- and datastreams.
--
-- Distribution later (Citus): every observation-side table carries datastream_key and every unique
-- key on them starts with it, so observation, observation_latest and datastream_location can be
-- distributed by datastream_key and co-located without changing a statement (see docs-notes).

-- One row per sensor mapping (SensorThings pull, MQTT, HTTP push).
CREATE TABLE sensor_source (
  source_key      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              text NOT NULL UNIQUE,
  type            text NOT NULL CHECK (type IN ('sensorthings', 'mqtt', 'http-push')),
  -- the OGC API collection whose items are this source's observations (as point features)
  collection_key  integer REFERENCES collection (collection_key) ON DELETE SET NULL,
  -- observations older than this are deleted by the maintenance job; null keeps them
  retention_ms    bigint CHECK (retention_ms IS NULL OR retention_ms > 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE datastream (
  datastream_key     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_key         integer NOT NULL REFERENCES sensor_source (source_key) ON DELETE CASCADE,
  -- public identifier (HTTP push, MQTT mappings, API links); unique across sources
  id                 text NOT NULL UNIQUE,
  -- the source's own identifier (SensorThings @iot.id as text)
  upstream_id        text NOT NULL,
  name               text NOT NULL,
  description        text,
  -- {name, symbol, definition} as the source gave it
  unit               jsonb,
  observation_type   text,
  -- what results must be; 'any' stores every JSON type as given
  result_type        text NOT NULL DEFAULT 'any' CHECK (result_type IN ('any', 'number', 'integer', 'boolean', 'string', 'object', 'array')),
  observed_property  jsonb,
  sensor             jsonb,
  thing              jsonb,
  properties         jsonb NOT NULL DEFAULT '{}',
  -- current location, EPSG:4326 lon/lat; history in datastream_location
  geom               geometry CHECK (geom IS NULL OR ST_SRID(geom) = 4326),
  location_time      timestamptz,
  -- newest phenomenon time harvested (incremental SensorThings pulls continue after it)
  harvested_until    timestamptz,
  -- longest phenomenon interval stored (datetime queries widen their partition bound by it)
  phenomenon_span    interval NOT NULL DEFAULT '0',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_key, upstream_id)
);
CREATE INDEX datastream_geom_idx ON datastream USING gist (geom);

-- Where a datastream (its Thing) was: [valid_from, valid_to), valid_to null for the current place.
CREATE TABLE datastream_location (
  datastream_key  integer NOT NULL REFERENCES datastream (datastream_key) ON DELETE CASCADE,
  valid_from      timestamptz NOT NULL,
  valid_to        timestamptz,
  geom            geometry NOT NULL CHECK (ST_SRID(geom) = 4326),
  PRIMARY KEY (datastream_key, valid_from),
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);

-- Observations, partitioned by phenomenon time (partitions created ahead by
-- placelink_observation_partition). An instant has phenomenon_end = phenomenon_time; a missing
-- resultTime is stored as -infinity so the identity below needs no NULL semantics. Numbers go to
-- result_number (aggregates, numeric filters), every other JSON value to result.
CREATE TABLE observation (
  datastream_key   integer NOT NULL,
  phenomenon_time  timestamptz NOT NULL,
  phenomenon_end   timestamptz NOT NULL,
  result_time      timestamptz NOT NULL,
  result_number    double precision,
  result           jsonb,
  result_quality   jsonb,
  valid_start      timestamptz,
  valid_end        timestamptz,
  parameters       jsonb,
  upstream_id      text,
  received_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (phenomenon_end >= phenomenon_time),
  CHECK (result_number IS NULL OR result IS NULL)
) PARTITION BY RANGE (phenomenon_time);

-- The identity of an observation; it includes the partition key, as unique keys on partitioned
-- tables must, and is the (datastream, time) btree every per-datastream read uses.
CREATE UNIQUE INDEX observation_identity_idx ON observation (datastream_key, phenomenon_time, phenomenon_end, result_time);
CREATE INDEX observation_time_brin_idx ON observation USING brin (phenomenon_time);

-- No foreign key from observation (a per-row check on the hottest insert path, and a constraint
-- Citus would need co-located tables for): deleting a datastream deletes its observations here.
CREATE FUNCTION placelink_delete_observations() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM observation WHERE datastream_key = OLD.datastream_key;
  RETURN OLD;
END
$$;
CREATE TRIGGER datastream_observations_delete AFTER DELETE ON datastream
  FOR EACH ROW EXECUTE FUNCTION placelink_delete_observations();

-- The partitions that exist, with their bounds (cheaper and exacter than parsing relpartbound).
CREATE TABLE observation_partition (
  name         text PRIMARY KEY,
  lower_bound  timestamptz NOT NULL UNIQUE,
  upper_bound  timestamptz NOT NULL,
  CHECK (upper_bound > lower_bound)
);

-- The partition holding instant `t`, created when missing. A new partition covers the `grain`
-- (day, week or month, UTC) around t, shrunk to the gap between existing partitions, so changing
-- the grain later never overlaps. Callers run it in its own short transaction, never inside a
-- write transaction (the DDL waits for readers of the parent).
CREATE FUNCTION placelink_observation_partition(t timestamptz, grain text)
RETURNS TABLE (partition_name text, lower_bound timestamptz, upper_bound timestamptz)
LANGUAGE plpgsql
AS $$
DECLARE
  lo timestamptz;
  hi timestamptz;
  neighbour timestamptz;
  created text;
BEGIN
  IF grain NOT IN ('day', 'week', 'month') THEN
    RAISE EXCEPTION 'observation partition grain must be day, week or month, not %', grain;
  END IF;
  RETURN QUERY SELECT p.name, p.lower_bound, p.upper_bound FROM observation_partition p WHERE t >= p.lower_bound AND t < p.upper_bound;
  IF FOUND THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('placelink_observation_partition'));
  RETURN QUERY SELECT p.name, p.lower_bound, p.upper_bound FROM observation_partition p WHERE t >= p.lower_bound AND t < p.upper_bound;
  IF FOUND THEN RETURN; END IF;
  lo := date_trunc(grain, t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  hi := (date_trunc(grain, t AT TIME ZONE 'UTC') + ('1 ' || grain)::interval) AT TIME ZONE 'UTC';
  SELECT max(p.upper_bound) INTO neighbour FROM observation_partition p WHERE p.upper_bound <= t AND p.upper_bound > lo;
  IF neighbour IS NOT NULL THEN lo := neighbour; END IF;
  SELECT min(p.lower_bound) INTO neighbour FROM observation_partition p WHERE p.lower_bound > t AND p.lower_bound < hi;
  IF neighbour IS NOT NULL THEN hi := neighbour; END IF;
  created := 'observation_' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MISS');
  EXECUTE format('CREATE TABLE %I PARTITION OF observation FOR VALUES FROM (%L) TO (%L)', created, lo, hi);
  INSERT INTO observation_partition (name, lower_bound, upper_bound) VALUES (created, lo, hi);
  RETURN QUERY SELECT created, lo, hi;
END
$$;

-- The newest observation of each datastream (by phenomenon time, then result time), kept current
-- by the statement that stores observations.
CREATE TABLE observation_latest (
  datastream_key   integer PRIMARY KEY REFERENCES datastream (datastream_key) ON DELETE CASCADE,
  phenomenon_time  timestamptz NOT NULL,
  phenomenon_end   timestamptz NOT NULL,
  result_time      timestamptz NOT NULL,
  result_number    double precision,
  result           jsonb,
  received_at      timestamptz NOT NULL
);

-- Asset ↔ datastream links made by the link rules of sensor mappings. A link is current while
-- valid_to is null; a link that no longer holds (the sensor moved, the asset changed or vanished)
-- is closed, not deleted, so the history says what was linked when.
CREATE TABLE asset_link (
  link_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  datastream_key  integer NOT NULL REFERENCES datastream (datastream_key) ON DELETE CASCADE,
  collection_key  integer NOT NULL REFERENCES collection (collection_key) ON DELETE CASCADE,
  asset_id        text NOT NULL,
  rule            text NOT NULL,
  rule_kind       text NOT NULL CHECK (rule_kind IN ('nearest', 'contains', 'buffer', 'property')),
  priority        integer NOT NULL,
  distance_m      double precision,
  valid_from      timestamptz NOT NULL DEFAULT now(),
  valid_to        timestamptz,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX asset_link_current_idx ON asset_link (datastream_key, collection_key, asset_id) WHERE valid_to IS NULL;
CREATE INDEX asset_link_asset_idx ON asset_link (collection_key, asset_id) WHERE valid_to IS NULL;
CREATE INDEX asset_link_history_idx ON asset_link (datastream_key, valid_from);

-- Which state (data_version) of each asset collection the links of a source were computed from,
-- so a change of the assets is noticed by comparing versions.
CREATE TABLE link_state (
  source_key      integer NOT NULL REFERENCES sensor_source (source_key) ON DELETE CASCADE,
  collection_key  integer NOT NULL REFERENCES collection (collection_key) ON DELETE CASCADE,
  data_version    bigint NOT NULL,
  refreshed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_key, collection_key)
);

-- RFC 3339 text of an instant in UTC, with as many fraction digits as it has; null for ±infinity.
CREATE FUNCTION placelink_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN isfinite(t) THEN regexp_replace(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\.?0+$', '') || 'Z' END
$$;

-- Position of an observation in its collection's stable order, as text: datastream key and the
-- epoch microseconds of phenomenon start, end and result time ('n' for a missing result time).
CREATE FUNCTION placelink_observation_seq(datastream_key integer, phenomenon_time timestamptz, phenomenon_end timestamptz, result_time timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT datastream_key::text || '.' || (extract(epoch FROM phenomenon_time) * 1000000)::bigint::text || '.' ||
         (extract(epoch FROM phenomenon_end) * 1000000)::bigint::text || '.' ||
         CASE WHEN isfinite(result_time) THEN (extract(epoch FROM result_time) * 1000000)::bigint::text ELSE 'n' END
$$;
