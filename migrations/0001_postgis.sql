-- PostGIS for geometry storage, reprojection (ST_Transform) and GeoJSON encoding.
CREATE EXTENSION IF NOT EXISTS postgis;
