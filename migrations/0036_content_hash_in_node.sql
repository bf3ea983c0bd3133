-- The content hash a harvest compares is computed by placelink from the record it maps (see
-- feature-sql.ts contentHash); the SQL function that hashed the stored row goes. Rows stored before
-- keep their old hash until a harvest or import writes them again (once: their new hash differs).
DROP FUNCTION placelink_content_hash(geometry, jsonb, timestamptz, timestamptz, text);
