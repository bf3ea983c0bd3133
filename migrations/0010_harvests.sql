-- Harvests from mapped sources: what a collection's mapping says about it, features that vanished
-- upstream (retired with an end-of-life time, hidden from the APIs), and a record of every run.

ALTER TABLE collection
  ADD COLUMN mapping_id          text,
  ADD COLUMN inspire_theme       text,
  ADD COLUMN metadata_url        text,
  ADD COLUMN ngsi_ld_type        text,
  ADD COLUMN ngsi_ld_context     jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN ngsi_ld_id_template text;

-- End of life of a feature the source no longer has (delete policy "retire"); null while current.
ALTER TABLE feature ADD COLUMN retired_at timestamptz;

-- Only current features hold their inspireId: a feature retired under one id does not block the
-- same inspireId arriving under another.
DROP INDEX feature_inspire_id_idx;
CREATE UNIQUE INDEX feature_inspire_id_idx ON feature (collection_key, namespace, local_id) WHERE retired_at IS NULL;

CREATE TABLE harvest_run (
  run_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mapping_id    text NOT NULL,
  collection_id text NOT NULL,
  source_type   text NOT NULL,
  -- with secrets from ${VAR}s replaced by the reference
  source_url    text NOT NULL,
  trigger       text NOT NULL CHECK (trigger IN ('cli', 'schedule', 'api')),
  -- 'running' rows whose process died are turned into 'failed' by the next run of the mapping
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  pages         integer NOT NULL DEFAULT 0,
  -- the total the source announced (numberMatched, hits), when it did
  expected      bigint,
  read          bigint NOT NULL DEFAULT 0,
  inserted      bigint NOT NULL DEFAULT 0,
  updated       bigint NOT NULL DEFAULT 0,
  unchanged     bigint NOT NULL DEFAULT 0,
  retired       bigint NOT NULL DEFAULT 0,
  purged        bigint NOT NULL DEFAULT 0,
  rejected      bigint NOT NULL DEFAULT 0,
  repaired      bigint NOT NULL DEFAULT 0,
  duplicates    bigint NOT NULL DEFAULT 0,
  error         text,
  -- the first 100 of each: {"id", "location", "reason"} / {"location", "message"}
  rejections    jsonb NOT NULL DEFAULT '[]',
  warnings      jsonb NOT NULL DEFAULT '[]',
  host          text,
  pid           integer
);

CREATE INDEX harvest_run_mapping_idx ON harvest_run (mapping_id, run_id DESC);
CREATE INDEX harvest_run_started_idx ON harvest_run (started_at DESC);
