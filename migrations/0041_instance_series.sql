-- An instance written for a time an attribute instance series already has (same attribute, datasetId
-- and observedAt) replaces that instance in the history: writing a temporal representation again
-- updates it (clause 5.6.11) instead of repeating every instance.
CREATE OR REPLACE FUNCTION placelink_keep_instances() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  WITH fresh AS (
    SELECT a.key AS attribute, i ->> 'instanceId' AS instance_id, placelink_timestamp(i -> 'observedAt') AS observed_at, i ->> 'datasetId' AS dataset_id, i AS instance
    FROM jsonb_each(NEW.ngsi_attributes) AS a CROSS JOIN LATERAL placelink_instances(a.value) AS i
    WHERE i ? 'instanceId'
      AND NOT EXISTS (SELECT 1 FROM attribute_instance s
                      WHERE s.collection_key = NEW.collection_key AND s.id = NEW.id AND s.attribute = a.key AND s.instance_id = i ->> 'instanceId')
  ), replaced AS (
    DELETE FROM attribute_instance s USING fresh n
    WHERE s.collection_key = NEW.collection_key AND s.id = NEW.id AND s.attribute = n.attribute
      AND n.observed_at IS NOT NULL AND s.observed_at = n.observed_at AND (s.instance ->> 'datasetId') IS NOT DISTINCT FROM n.dataset_id
  )
  INSERT INTO attribute_instance (collection_key, id, attribute, instance_id, observed_at, created_at, modified_at, instance)
  SELECT NEW.collection_key, NEW.id, n.attribute, n.instance_id, n.observed_at,
         coalesce(placelink_timestamp(n.instance -> 'createdAt'), NEW.updated_at), coalesce(placelink_timestamp(n.instance -> 'modifiedAt'), NEW.updated_at), n.instance
  FROM fresh n
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
