-- The history the NGSI-LD temporal API answers from (observations already are history).
--
-- feature_version: the previous state of a harvested or imported feature, kept by the statement that
-- changes it (row triggers below), so harvests, imports and every later write path keep history with
-- no code of their own. A version was current from valid_from to valid_to. Partitioned by month of
-- valid_to (placelink_version_partition, run by the maintenance job ahead of time) so retention drops
-- whole partitions; the DEFAULT partition takes what arrives before its month exists.
CREATE TABLE feature_version (
  collection_key  integer NOT NULL,
  id              text NOT NULL,
  geom            geometry,
  properties      jsonb NOT NULL,
  valid_from      timestamptz NOT NULL,
  valid_to        timestamptz NOT NULL
) PARTITION BY RANGE (valid_to);
CREATE TABLE feature_version_default PARTITION OF feature_version DEFAULT;
CREATE INDEX feature_version_feature_idx ON feature_version (collection_key, id, valid_from);

CREATE TABLE feature_version_partition (
  name         text PRIMARY KEY,
  lower_bound  timestamptz NOT NULL UNIQUE,
  upper_bound  timestamptz NOT NULL,
  CHECK (upper_bound > lower_bound)
);

-- The month partition holding instant t, created when missing; versions the DEFAULT partition took
-- for that month move into it. Run in its own short transaction (DDL waits for readers).
CREATE FUNCTION placelink_version_partition(t timestamptz) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  lo timestamptz := date_trunc('month', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  hi timestamptz := (date_trunc('month', t AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  created text := 'feature_version_' || to_char(t AT TIME ZONE 'UTC', 'YYYYMM');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('placelink_version_partition'));
  IF EXISTS (SELECT 1 FROM feature_version_partition WHERE name = created) THEN RETURN created; END IF;
  CREATE TEMP TABLE placelink_moved_versions ON COMMIT DROP AS
    WITH moved AS (DELETE FROM feature_version_default WHERE valid_to >= lo AND valid_to < hi RETURNING *) SELECT * FROM moved;
  EXECUTE format('CREATE TABLE %I PARTITION OF feature_version FOR VALUES FROM (%L) TO (%L)', created, lo, hi);
  INSERT INTO feature_version SELECT * FROM placelink_moved_versions;
  DROP TABLE placelink_moved_versions;
  INSERT INTO feature_version_partition (name, lower_bound, upper_bound) VALUES (created, lo, hi);
  RETURN created;
END
$$;

-- Only features whose attributes are values (harvests, imports): entities written through NGSI-LD
-- keep their whole attribute instances in attribute_instance instead.
CREATE FUNCTION placelink_keep_feature_version() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO feature_version (collection_key, id, geom, properties, valid_from, valid_to)
  VALUES (OLD.collection_key, OLD.id, OLD.geom, OLD.properties, OLD.updated_at, greatest(now(), OLD.updated_at + interval '1 microsecond'));
  RETURN NULL;
END
$$;
CREATE TRIGGER feature_version_keep AFTER UPDATE ON feature
  FOR EACH ROW
  WHEN (OLD.retired_at IS NULL AND OLD.ngsi_attributes IS NULL
        AND (OLD.content_hash <> NEW.content_hash OR NEW.retired_at IS NOT NULL OR NEW.ngsi_attributes IS NOT NULL))
  EXECUTE FUNCTION placelink_keep_feature_version();

-- attribute_instance: every instance an entity written through NGSI-LD has had (the temporal
-- representation of clause 4.5.7), by the feature it is. Instances get their instanceId when
-- stored (placelink_identify_instances); an instance the row keeps unchanged keeps its id, so a
-- write appends only the instances it changed. The temporal API also writes instances here directly.
CREATE TABLE attribute_instance (
  collection_key  integer NOT NULL,
  id              text NOT NULL,
  attribute       text NOT NULL,
  instance_id     text NOT NULL,
  observed_at     timestamptz,
  created_at      timestamptz NOT NULL,
  modified_at     timestamptz NOT NULL,
  instance        jsonb NOT NULL,
  PRIMARY KEY (collection_key, id, attribute, instance_id)
);
CREATE INDEX attribute_instance_time_idx ON attribute_instance (collection_key, id, attribute, (coalesce(observed_at, modified_at)));
CREATE INDEX attribute_instance_modified_idx ON attribute_instance (modified_at);

-- An attribute's instances: one object, or an array of them (several datasetIds).
CREATE FUNCTION placelink_instances(attribute jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE jsonb_typeof(attribute) WHEN 'array' THEN e ELSE attribute END
  FROM jsonb_array_elements(CASE jsonb_typeof(attribute) WHEN 'array' THEN attribute ELSE '[null]'::jsonb END) AS a(e)
$$;

CREATE FUNCTION placelink_identify_instances() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.ngsi_attributes := (
    SELECT coalesce(jsonb_object_agg(a.key, CASE jsonb_typeof(a.value) WHEN 'array' THEN
             (SELECT jsonb_agg(CASE WHEN i ? 'instanceId' THEN i ELSE i || jsonb_build_object('instanceId', 'urn:ngsi-ld:instance:' || gen_random_uuid()) END ORDER BY n)
              FROM jsonb_array_elements(a.value) WITH ORDINALITY AS e(i, n))
           ELSE CASE WHEN a.value ? 'instanceId' OR jsonb_typeof(a.value) <> 'object' THEN a.value
                     ELSE a.value || jsonb_build_object('instanceId', 'urn:ngsi-ld:instance:' || gen_random_uuid()) END
           END), '{}'::jsonb)
    FROM jsonb_each(NEW.ngsi_attributes) AS a);
  RETURN NEW;
END
$$;
CREATE TRIGGER feature_instances_identify BEFORE INSERT OR UPDATE OF ngsi_attributes ON feature
  FOR EACH ROW WHEN (NEW.ngsi_attributes IS NOT NULL)
  EXECUTE FUNCTION placelink_identify_instances();

CREATE FUNCTION placelink_keep_instances() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO attribute_instance (collection_key, id, attribute, instance_id, observed_at, created_at, modified_at, instance)
  SELECT NEW.collection_key, NEW.id, a.key, i ->> 'instanceId', placelink_timestamp(i -> 'observedAt'),
         coalesce(placelink_timestamp(i -> 'createdAt'), NEW.updated_at), coalesce(placelink_timestamp(i -> 'modifiedAt'), NEW.updated_at), i
  FROM jsonb_each(NEW.ngsi_attributes) AS a CROSS JOIN LATERAL placelink_instances(a.value) AS i
  WHERE i ? 'instanceId'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER feature_instances_keep AFTER INSERT OR UPDATE OF ngsi_attributes ON feature
  FOR EACH ROW WHEN (NEW.ngsi_attributes IS NOT NULL)
  EXECUTE FUNCTION placelink_keep_instances();

-- A removed collection takes its history along (its feature partition is dropped, so no row trigger fires).
CREATE FUNCTION placelink_forget_history() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM feature_version WHERE collection_key = OLD.collection_key;
  DELETE FROM attribute_instance WHERE collection_key = OLD.collection_key;
  RETURN OLD;
END
$$;
CREATE TRIGGER collection_history_forget AFTER DELETE ON collection
  FOR EACH ROW EXECUTE FUNCTION placelink_forget_history();

-- A deleted entity (NGSI-LD DELETE; harvests retire, they do not delete) takes its instances along.
CREATE FUNCTION placelink_forget_instances() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM attribute_instance WHERE collection_key = OLD.collection_key AND id = OLD.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER feature_instances_forget AFTER DELETE ON feature
  FOR EACH ROW WHEN (OLD.ngsi_attributes IS NOT NULL)
  EXECUTE FUNCTION placelink_forget_instances();
