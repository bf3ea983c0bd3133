-- The NGSI-LD entity id of each harvested feature, from its mapping's identifiers.ngsiLdId template
-- (e.g. urn:ngsi-ld:Streetlight:{namespace}:{localId}): one persistent identifier per real-world
-- thing, shown with the OGC API item and used as the entity id in NGSI-LD. Like the inspireId, only
-- current features hold it; features written without a mapping (placelink import) have none.
ALTER TABLE feature ADD COLUMN ngsi_ld_id text;
CREATE UNIQUE INDEX feature_ngsi_ld_id_idx ON feature (collection_key, ngsi_ld_id) WHERE retired_at IS NULL AND ngsi_ld_id IS NOT NULL;
