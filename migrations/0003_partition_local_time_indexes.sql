-- Within a partition collection_key is constant, so the time indexes need no collection_key prefix.
DROP INDEX feature_time_start_idx;
DROP INDEX feature_time_end_idx;
CREATE INDEX feature_time_start_idx ON feature (time_start);
CREATE INDEX feature_time_end_idx ON feature (time_end);
