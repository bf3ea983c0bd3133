-- Links follow the places of a moving sensor in time: each place of a datastream's location
-- history (newer than the one its links were last computed for) is linked in turn, and the links
-- it closes and opens carry that place's time instead of the time of the refresh.
ALTER TABLE datastream ADD COLUMN linked_place_time timestamptz;

-- Time series read a datastream's links of one asset, current and closed.
CREATE INDEX asset_link_asset_history_idx ON asset_link (collection_key, asset_id, valid_from);
