-- Each datastream's observations are also a collection of their own (/collections/{source
-- collection}:{datastream}): its size is kept as a counter like a collection's feature count, and
-- the FeaturesOfInterest its observations refer to are noted per datastream for its extent.
ALTER TABLE datastream ADD COLUMN observation_count bigint NOT NULL DEFAULT 0;
UPDATE datastream d SET observation_count = c.n
FROM (SELECT datastream_key, count(*) AS n FROM observation GROUP BY datastream_key) c
WHERE d.datastream_key = c.datastream_key;

CREATE TABLE datastream_feature_of_interest (
  datastream_key  integer NOT NULL REFERENCES datastream (datastream_key) ON DELETE CASCADE,
  foi_key         integer NOT NULL REFERENCES feature_of_interest (foi_key) ON DELETE CASCADE,
  PRIMARY KEY (datastream_key, foi_key)
);
