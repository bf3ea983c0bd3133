import type { Geometry } from 'geojson';

/** A geometry property of a source record, already in EPSG:4326 longitude/latitude (Z kept). */
export type SourceGeometry =
  | {
      /** Property name the geometry came from: `geometry` for GeoJSON, e.g. `representativePoint` or `position_geometry` (flattened) in GML. */
      readonly name: string;
      readonly geometry: Geometry;
    }
  | {
      readonly name: string;
      readonly geometry: null;
      /** Why this geometry could not be read; the record is rejected if the mapping uses it. */
      readonly problem: string;
    };

/**
 * One feature as an ingest adapter read it, before the mapping: its own identifier (gml:id, fid,
 * GeoJSON id), its properties (GML already flattened with the INSPIRE GeoJSON conventions, JSON as
 * given) and its geometries. `location` says where it was for messages (`feature 12, line 340`).
 */
export interface SourceRecord {
  readonly id: string | null;
  /** The feature type's local name when the format says it (GML element name). */
  readonly type?: string;
  readonly properties: Readonly<Record<string, unknown>>;
  /** In document order. */
  readonly geometries: readonly SourceGeometry[];
  readonly location: string;
  /** Set when the adapter could read the record but not use it (e.g. an unreadable geometry): it is rejected with this reason. */
  readonly problem?: string;
}

/** A record the ingest could not use, with the reason; `id` when it was known. */
export interface Rejection {
  readonly id: string | null;
  readonly location: string;
  readonly reason: string;
}
