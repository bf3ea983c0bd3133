-- NGSI-LD subscriptions (ETSI GS CIM 009 clause 5.8) and their durable delivery.
--
-- Every write path changes entities through the same tables (feature rows; datastreams and their
-- latest values for the Devices), so statement-level triggers there write one change row per
-- changed entity and statement into ngsild_change, in the transaction of the change: harvests,
-- imports, observation batches and NGSI-LD writes need no code of their own, and a change commits
-- with its change row or not at all. While no subscription that reacts to changes is active the
-- triggers stop after one look at ngsild_subscription.
--
-- The triggers send no NOTIFY: PostgreSQL serializes the commits of transactions that notify (a lock
-- held through the commit's WAL flush), which would serialize concurrent ingestion. The dispatcher
-- (src/ngsild/subscriptions) is woken by its own process's committed-change events and polls for
-- changes other processes wrote. It claims change rows (FOR UPDATE SKIP LOCKED, with a lease so a
-- dead process's claim runs out), matches them against the subscriptions and writes notifications into
-- the outbox ngsild_notification in one transaction with the deletion of the change rows; that
-- transaction notifies, so the deliveries of every process wake; they claim outbox rows the same way
-- and delete them once delivered.

CREATE TABLE ngsild_subscription (
  subscription_id      text PRIMARY KEY,
  -- the subscription as placelink keeps it (src/domain/subscription.ts): names expanded to IRIs,
  -- q and geoQ with the @context they were written in
  definition           jsonb NOT NULL,
  -- the @context of the request that created it (names in notifications, unless jsonldContext)
  context              jsonb NOT NULL DEFAULT '[]',
  is_active            boolean NOT NULL DEFAULT true,
  expires_at           timestamptz,
  throttling_s         double precision CHECK (throttling_s > 0),
  time_interval_s      double precision CHECK (time_interval_s > 0),
  -- periodic subscriptions: when the next notification is due, and the claim on producing it
  next_periodic_at     timestamptz,
  periodic_lease_until timestamptz,
  -- delivery state: counters of clause 5.2.14, the backoff after failures, the throttling window
  times_sent           bigint NOT NULL DEFAULT 0,
  times_failed         bigint NOT NULL DEFAULT 0,
  last_notification    timestamptz,
  last_success         timestamptz,
  last_failure         timestamptz,
  last_status          text CHECK (last_status IN ('ok', 'failed')),
  consecutive_failures integer NOT NULL DEFAULT 0,
  retry_at             timestamptz,
  throttle_until       timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  modified_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (throttling_s IS NULL OR time_interval_s IS NULL)
);
CREATE INDEX ngsild_subscription_created_idx ON ngsild_subscription (created_at, subscription_id);

-- One row per changed entity and statement. event: created, updated or deleted (a feature retired by
-- a harvest is deleted, one brought back is created). created/updated/deleted name the attributes (as
-- the entity's collection stores them); previous holds what they were, for showChanges and for the
-- notification of a deletion: {"p": values, "a": whole attributes, "g": GeoJSON location, "cr", "mo"}.
CREATE TABLE ngsild_change (
  change_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_key  integer NOT NULL,
  entity_id       text NOT NULL,
  event           text NOT NULL CHECK (event IN ('created', 'updated', 'deleted')),
  created         text[] NOT NULL DEFAULT '{}',
  updated         text[] NOT NULL DEFAULT '{}',
  deleted         text[] NOT NULL DEFAULT '{}',
  previous        jsonb,
  changed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  claimed_until   timestamptz,
  claim_token     uuid
);

-- The outbox: each row one notification (its id is the Notification's, urn:ngsi-ld:Notification:<uuid>,
-- the same on every attempt), delivered to its subscription's endpoint and deleted once delivered.
CREATE TABLE ngsild_notification (
  notification_id  uuid PRIMARY KEY,
  subscription_id  text NOT NULL REFERENCES ngsild_subscription (subscription_id) ON DELETE CASCADE,
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  -- the entities, encoded as the subscription asks (an array, or a FeatureCollection for GeoJSON);
  -- json keeps the members in the order they were written
  data             json NOT NULL,
  -- when the oldest change it reports was written (delivery lag is measured from here)
  changed_at       timestamptz NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  lease_until      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ngsild_notification_subscription_idx ON ngsild_notification (subscription_id, seq);

-- The entities of two notifications of a throttled subscription in one: those of `later` replace
-- the same entities of `earlier` (an array of entities, or the features of a FeatureCollection).
CREATE FUNCTION placelink_ngsild_merge_entities(earlier json, later json) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(json_agg(u.e ORDER BY u.part, u.i), '[]'::json)
  FROM (SELECT x.e, 0 AS part, x.i FROM json_array_elements(earlier) WITH ORDINALITY AS x(e, i)
        WHERE x.e ->> 'id' IS NULL OR NOT EXISTS (SELECT 1 FROM json_array_elements(later) m WHERE m ->> 'id' = x.e ->> 'id')
        UNION ALL
        SELECT y.e, 1, y.i FROM json_array_elements(later) WITH ORDINALITY AS y(e, i)) u
$$;

CREATE FUNCTION placelink_ngsild_merge(earlier json, later json) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN json_typeof(later) = 'array' THEN placelink_ngsild_merge_entities(earlier, later)
              ELSE json_build_object('type', 'FeatureCollection', 'features', placelink_ngsild_merge_entities(earlier -> 'features', later -> 'features')) END
$$;

-- Whether any subscription reacts to changes now: the triggers below do nothing otherwise.
CREATE FUNCTION placelink_ngsild_watched() RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (SELECT 1 FROM ngsild_subscription
                 WHERE is_active AND time_interval_s IS NULL AND (expires_at IS NULL OR expires_at > now()))
$$;

-- A Device's measured attribute: its observed property's name in lower camel case ("air
-- temperature" → airTemperature), or measurement. The entity SQL names it with this function too.
CREATE FUNCTION placelink_device_attribute(observed_property jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(nullif(lower(left(c, 1)) || substr(c, 2), ''), 'measurement')
  FROM (SELECT regexp_replace(initcap(coalesce(observed_property ->> 'name', '')), '[^A-Za-z0-9]|^[0-9]+', '', 'g') AS c) m
$$;

-- The attributes of an entity row: its whole attributes where it keeps them (NGSI-LD writes), else
-- its values; attributes whose value is null are not there.
CREATE FUNCTION placelink_ngsild_attributes(properties jsonb, attributes jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN attributes IS NOT NULL THEN attributes ELSE jsonb_strip_nulls(properties) END
$$;

-- What an update changed in an entity row: attribute names created, updated and deleted (location
-- from the geometry, unless the row keeps a location attribute), and the previous values of the
-- updated and deleted ones.
CREATE FUNCTION placelink_ngsild_diff(op jsonb, np jsonb, oa jsonb, na jsonb, og geometry, ng geometry,
                                      OUT created text[], OUT updated text[], OUT deleted text[], OUT previous jsonb)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
  o jsonb := placelink_ngsild_attributes(op, oa);
  n jsonb := placelink_ngsild_attributes(np, na);
  moved boolean := NOT (o ? 'location' OR n ? 'location') AND ST_AsEWKB(og) IS DISTINCT FROM ST_AsEWKB(ng);
  touched text[];
BEGIN
  created := array(SELECT k FROM jsonb_object_keys(n) k WHERE NOT o ? k);
  updated := array(SELECT k FROM jsonb_each(n) e(k, v) WHERE o ? k AND o -> k IS DISTINCT FROM v);
  deleted := array(SELECT k FROM jsonb_object_keys(o) k WHERE NOT n ? k);
  IF moved THEN
    IF og IS NULL THEN created := created || 'location'::text;
    ELSIF ng IS NULL THEN deleted := deleted || 'location'::text;
    ELSE updated := updated || 'location'::text;
    END IF;
  END IF;
  touched := updated || deleted;
  previous := jsonb_strip_nulls(jsonb_build_object(
    'p', (SELECT jsonb_object_agg(k, op -> k) FROM unnest(touched) k WHERE op ? k),
    'a', (SELECT jsonb_object_agg(k, oa -> k) FROM unnest(touched) k WHERE oa ? k),
    'g', CASE WHEN moved AND og IS NOT NULL THEN ST_AsGeoJSON(og, 9, 0)::jsonb END));
END
$$;

-- Everything a deleted entity row was, for the notification of its deletion.
CREATE FUNCTION placelink_ngsild_last_state(p jsonb, a jsonb, g geometry, created_at timestamptz, updated_at timestamptz) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('p', p, 'a', a, 'g', ST_AsGeoJSON(g, 9, 0)::jsonb,
                                              'cr', placelink_rfc3339(created_at), 'mo', placelink_rfc3339(updated_at)))
$$;

-- Features of entity collections (collection.ngsi_ld_type) with an NGSI-LD id are entities.
CREATE FUNCTION placelink_ngsild_feature_inserted() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  INSERT INTO ngsild_change (collection_key, entity_id, event)
  SELECT n.collection_key, n.ngsi_ld_id, 'created'
  FROM placelink_new_features n JOIN collection c ON c.collection_key = n.collection_key AND c.ngsi_ld_type IS NOT NULL
  WHERE n.ngsi_ld_id IS NOT NULL AND n.retired_at IS NULL;
  RETURN NULL;
END
$$;

CREATE FUNCTION placelink_ngsild_feature_updated() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  WITH pairs AS (
    SELECT o.collection_key, o.ngsi_ld_id AS old_id, n.ngsi_ld_id AS new_id,
           o.retired_at IS NULL AND o.ngsi_ld_id IS NOT NULL AS was, n.retired_at IS NULL AND n.ngsi_ld_id IS NOT NULL AS is_now,
           o.properties AS op, n.properties AS np, o.ngsi_attributes AS oa, n.ngsi_attributes AS na, o.geom AS og, n.geom AS ng,
           o.created_at, o.updated_at
    FROM placelink_old_features o
    JOIN placelink_new_features n ON n.collection_key = o.collection_key AND n.id = o.id
    JOIN collection c ON c.collection_key = o.collection_key AND c.ngsi_ld_type IS NOT NULL
  )
  INSERT INTO ngsild_change (collection_key, entity_id, event, created, updated, deleted, previous)
  -- gone: retired, or known by another id from now on
  SELECT collection_key, old_id, 'deleted', '{}'::text[], '{}'::text[], '{}'::text[], placelink_ngsild_last_state(op, oa, og, created_at, updated_at)
  FROM pairs WHERE was AND (NOT is_now OR old_id <> new_id)
  UNION ALL
  SELECT collection_key, new_id, 'created', '{}', '{}', '{}', NULL
  FROM pairs WHERE is_now AND (NOT was OR old_id <> new_id)
  UNION ALL
  SELECT p.collection_key, p.new_id, 'updated', d.created, d.updated, d.deleted, d.previous
  FROM pairs p CROSS JOIN LATERAL placelink_ngsild_diff(p.op, p.np, p.oa, p.na, p.og, p.ng) d
  WHERE p.was AND p.is_now AND p.old_id = p.new_id AND cardinality(d.created) + cardinality(d.updated) + cardinality(d.deleted) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION placelink_ngsild_feature_deleted() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  INSERT INTO ngsild_change (collection_key, entity_id, event, previous)
  SELECT o.collection_key, o.ngsi_ld_id, 'deleted', placelink_ngsild_last_state(o.properties, o.ngsi_attributes, o.geom, o.created_at, o.updated_at)
  FROM placelink_old_features o JOIN collection c ON c.collection_key = o.collection_key AND c.ngsi_ld_type IS NOT NULL
  WHERE o.ngsi_ld_id IS NOT NULL AND o.retired_at IS NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER feature_ngsild_inserted AFTER INSERT ON feature
  REFERENCING NEW TABLE AS placelink_new_features FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_feature_inserted();
CREATE TRIGGER feature_ngsild_updated AFTER UPDATE ON feature
  REFERENCING OLD TABLE AS placelink_old_features NEW TABLE AS placelink_new_features FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_feature_updated();
CREATE TRIGGER feature_ngsild_deleted AFTER DELETE ON feature
  REFERENCING OLD TABLE AS placelink_old_features FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_feature_deleted();

-- Devices (one per datastream, collection key 0): created and deleted with their datastream; their
-- name, description, observed property and place change with it; the measured attribute with the
-- latest value (observation_latest, which the observation batch statement keeps current: an
-- observation older than the latest one changes no Device).
CREATE FUNCTION placelink_ngsild_device_values(name text, description text, observed_property jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('name', name, 'description', description, 'category', 'sensor',
                                              'controlledProperty', observed_property ->> 'name'))
$$;

CREATE FUNCTION placelink_ngsild_datastream_inserted() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  INSERT INTO ngsild_change (collection_key, entity_id, event)
  SELECT 0, 'urn:ngsi-ld:Device:' || n.id, 'created' FROM placelink_new_datastreams n;
  RETURN NULL;
END
$$;

CREATE FUNCTION placelink_ngsild_datastream_updated() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  INSERT INTO ngsild_change (collection_key, entity_id, event, created, updated, deleted, previous)
  SELECT 0, 'urn:ngsi-ld:Device:' || n.id, 'updated', d.created, d.updated, d.deleted, d.previous
  FROM placelink_old_datastreams o
  JOIN placelink_new_datastreams n USING (datastream_key)
  CROSS JOIN LATERAL placelink_ngsild_diff(placelink_ngsild_device_values(o.name, o.description, o.observed_property), placelink_ngsild_device_values(n.name, n.description, n.observed_property), NULL, NULL, o.geom, n.geom) d
  WHERE cardinality(d.created) + cardinality(d.updated) + cardinality(d.deleted) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION placelink_ngsild_datastream_deleted() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  INSERT INTO ngsild_change (collection_key, entity_id, event, previous)
  SELECT 0, 'urn:ngsi-ld:Device:' || o.id, 'deleted', placelink_ngsild_last_state(placelink_ngsild_device_values(o.name, o.description, o.observed_property), NULL, o.geom, o.created_at, o.updated_at)
  FROM placelink_old_datastreams o;
  RETURN NULL;
END
$$;

CREATE TRIGGER datastream_ngsild_inserted AFTER INSERT ON datastream
  REFERENCING NEW TABLE AS placelink_new_datastreams FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_datastream_inserted();
CREATE TRIGGER datastream_ngsild_updated AFTER UPDATE ON datastream
  REFERENCING OLD TABLE AS placelink_old_datastreams NEW TABLE AS placelink_new_datastreams FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_datastream_updated();
CREATE TRIGGER datastream_ngsild_deleted AFTER DELETE ON datastream
  REFERENCING OLD TABLE AS placelink_old_datastreams FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_datastream_deleted();

CREATE FUNCTION placelink_ngsild_latest_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT placelink_ngsild_watched() THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ngsild_change (collection_key, entity_id, event, created)
    SELECT 0, 'urn:ngsi-ld:Device:' || d.id, 'updated', ARRAY[placelink_device_attribute(d.observed_property)]
    FROM placelink_new_latest n JOIN datastream d USING (datastream_key);
  ELSE
    INSERT INTO ngsild_change (collection_key, entity_id, event, updated, previous)
    SELECT 0, 'urn:ngsi-ld:Device:' || d.id, 'updated', ARRAY[a.name],
           jsonb_build_object('p', jsonb_build_object(a.name, v.value),
                              'a', jsonb_build_object(a.name, jsonb_build_object('type', 'Property', 'value', v.value, 'observedAt', placelink_rfc3339(o.phenomenon_time))))
    FROM placelink_old_latest o JOIN datastream d USING (datastream_key)
    CROSS JOIN LATERAL (SELECT placelink_device_attribute(d.observed_property) AS name) a
    CROSS JOIN LATERAL (SELECT coalesce(to_jsonb(o.result_number), o.result) AS value) v;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER observation_latest_ngsild_inserted AFTER INSERT ON observation_latest
  REFERENCING NEW TABLE AS placelink_new_latest FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_latest_changed();
CREATE TRIGGER observation_latest_ngsild_updated AFTER UPDATE ON observation_latest
  REFERENCING OLD TABLE AS placelink_old_latest FOR EACH STATEMENT EXECUTE FUNCTION placelink_ngsild_latest_changed();
