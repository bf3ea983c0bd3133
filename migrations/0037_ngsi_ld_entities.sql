-- NGSI-LD entities in the feature rows (one row per thing, whichever API reads it).
-- properties keep each attribute's value (keyValues); ngsi_attributes keeps, for entities written
-- through NGSI-LD, the whole normalized attributes (sub-attributes, observedAt, unitCode, datasetIds,
-- Relationship objects) by the same names. Harvested features leave it null: their attributes are
-- derived from the values and what the mapping says (collection.ngsi_ld_attributes).
ALTER TABLE feature ADD COLUMN ngsi_attributes jsonb;

-- Collections created by NGSI-LD writes (a type no mapping declares) accept further writes;
-- harvested ones are read-only through NGSI-LD. ngsi_ld_attributes: per property, what the mapping
-- knows of it ({"unitCode": "WTT"}, {"relationship": true}).
ALTER TABLE collection
  ADD COLUMN ngsi_ld_writable boolean NOT NULL DEFAULT false,
  ADD COLUMN ngsi_ld_attributes jsonb NOT NULL DEFAULT '{}';
