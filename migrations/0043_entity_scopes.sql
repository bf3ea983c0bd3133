-- NGSI-LD entity scopes (clause 4.18) of entities written through the API: each a path such as
-- /Madrid/Gardens/ParqueNorte. Queries (scopeQ) match them by pattern, one entity type's collection
-- at a time, so no index: the collection and id conditions come first.
ALTER TABLE feature ADD COLUMN ngsi_scopes text[] CHECK (ngsi_scopes IS NULL OR cardinality(ngsi_scopes) > 0);
