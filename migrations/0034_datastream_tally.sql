-- Observation counts per datastream move to a narrow table of their own. Every batch of observations
-- updates the counts of its datastreams; on the wide datastream rows (several indexes, jsonb) each
-- such update cost over 0.1 ms and bloated the table, here it is a heap-only update of a small row.
CREATE TABLE datastream_tally (
  datastream_key    integer PRIMARY KEY REFERENCES datastream (datastream_key) ON DELETE CASCADE,
  observation_count bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

INSERT INTO datastream_tally (datastream_key, observation_count) SELECT datastream_key, observation_count FROM datastream;

ALTER TABLE datastream DROP COLUMN observation_count;
