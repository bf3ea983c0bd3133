-- Migration 0010 added feature.retired_at, on which every read filters (retired_at IS NULL). Until
-- the planner has statistics for it, it assumes that filter keeps 0.5 % of the rows and picks plans
-- that read whole collections; adding a column does not trigger autovacuum's analyze.
ANALYZE feature;
