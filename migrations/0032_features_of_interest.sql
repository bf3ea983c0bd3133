-- SensorThings FeaturesOfInterest: what an observation observed (a station, a stretch of river, a
-- sample), with its own geometry. Observations refer to theirs by key; an observation item's
-- geometry is its FeatureOfInterest's when it has one, else the sensor's place at that time.
--
-- Distribution later (Citus): a small table shared by a source's datastreams, so a reference table
-- (like datastream); observation.foi_key carries no foreign key, as observation has none.
CREATE TABLE feature_of_interest (
  foi_key        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_key     integer NOT NULL REFERENCES sensor_source (source_key) ON DELETE CASCADE,
  -- the source's own identifier (SensorThings @iot.id as text)
  upstream_id    text NOT NULL,
  name           text,
  description    text,
  encoding_type  text,
  properties     jsonb NOT NULL DEFAULT '{}',
  -- EPSG:4326 lon/lat; null when the feature has no geometry placelink can read
  geom           geometry CHECK (geom IS NULL OR ST_SRID(geom) = 4326),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_key, upstream_id)
);
CREATE INDEX feature_of_interest_geom_idx ON feature_of_interest USING gist (geom);

ALTER TABLE observation ADD COLUMN foi_key integer;
