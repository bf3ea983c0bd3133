import { InvariantError } from '../../domain/errors.js';
import type { Geometry } from 'geojson';
import type { LinkRule } from '../../domain/mapping.js';
import type { LinkCandidate, PlaceRef } from '../../services/ports/sensor-ports.js';
import { SqlParams, type SqlQuery } from './sql-query.js';

/** Nearest-rule candidates read per datastream before ties are decided. */
const NEAREST_CANDIDATES = 8;

/** Columns of a datastream a property rule may read, by the first segment of its path. */
const DATASTREAM_PATHS: Record<string, { column: string; json: boolean }> = {
  id: { column: 'd.id', json: false },
  name: { column: 'd.name', json: false },
  upstreamId: { column: 'd.upstream_id', json: false },
  properties: { column: 'd.properties', json: true },
  thing: { column: 'd.thing', json: true },
  sensor: { column: 'd.sensor', json: true },
  observedProperty: { column: 'd.observed_property', json: true },
};

/** SQL text of a datastream value at `path`, or null when the path does not start with a known part. */
export function datastreamValue(params: SqlParams, path: readonly string[]): string | null {
  const [head, ...rest] = path;
  const part = head === undefined ? undefined : DATASTREAM_PATHS[head];
  if (!part) return null;
  if (!part.json) return rest.length ? null : part.column;
  return rest.length ? `(${part.column} #>> ${params.bind(rest)}::text[])` : `(${part.column})::text`;
}

function assetValue(params: SqlParams, property: string): string {
  return property === '$id' ? 'f.id' : `(f.properties #>> ${params.bind(property.split('.'))}::text[])`;
}

const geography = (expression: string) => `${expression}::geography`;

function datastreamScope(params: SqlParams, sourceKey: number, keys: readonly number[] | null): string {
  const conditions = [`d.source_key = ${params.bind(sourceKey)}::integer`];
  if (keys) conditions.push(`d.datastream_key = ANY(${params.bind(keys)}::integer[])`);
  return conditions.join(' AND ');
}

export interface CandidateRow {
  datastream_key: number;
  asset_id: string;
  distance_m: number | null;
}

export interface LinkRow {
  link_id: string;
  datastream_key: number;
  collection_key: number;
  asset_id: string;
  rule: string;
  rule_kind: LinkRule['kind'];
  priority: number;
  distance_m: number | null;
  valid_from: string;
  valid_to: string | null;
}

const LINK_COLUMNS = `l.link_id::text, l.datastream_key, l.collection_key, l.asset_id, l.rule, l.rule_kind, l.priority, l.distance_m,
  placelink_rfc3339(l.valid_from) AS valid_from, placelink_rfc3339(l.valid_to) AS valid_to`;

const CURRENT_ASSET = `f.retired_at IS NULL`;

/**
 * Where the sensors are for a rule: their current places, or the given places of their location
 * history (a moving sensor is linked place by place). Returns the join to add after `datastream d`
 * and the geometry expression.
 */
function sensorPlaces(params: SqlParams, places: readonly PlaceRef[] | null): { join: string; geom: string } {
  if (!places) return { join: '', geom: 'd.geom' };
  const keys = params.bind(places.map((p) => p.datastreamKey));
  const times = params.bind(places.map((p) => p.time));
  return {
    join: `JOIN (SELECT l.datastream_key, l.geom FROM unnest(${keys}::integer[], ${times}::timestamptz[]) AS i(datastream_key, valid_from)
                 JOIN datastream_location l USING (datastream_key, valid_from)) p ON p.datastream_key = d.datastream_key`,
    geom: 'p.geom',
  };
}

export const linkSql = {
  /**
   * What one rule links, for the source's datastreams that have a place (property rules need none):
   * at their current places, or at the given places of their history.
   */
  candidates(sourceKey: number, collectionKey: number, rule: LinkRule, keys: readonly number[] | null, places: readonly PlaceRef[] | null = null): SqlQuery | null {
    const params = new SqlParams();
    const scope = [datastreamScope(params, sourceKey, places ? places.map((p) => p.datastreamKey) : keys), ...(rule.datastreams ? [`d.id = ANY(${params.bind(rule.datastreams)}::text[])`] : [])].join(' AND ');
    const { join, geom } = sensorPlaces(params, places);
    const collection = `${params.bind(collectionKey)}::integer`;
    switch (rule.kind) {
      case 'nearest': {
        const within = params.bind(rule.maxDistance);
        // KNN on geography (index-ordered) for a few candidates, then exact ellipsoidal distances
        // rounded to the millimetre decide order and ties.
        const rank = rule.ties === 'all' ? 'rank() OVER (PARTITION BY d.datastream_key ORDER BY n.distance_m)' : 'row_number() OVER (PARTITION BY d.datastream_key ORDER BY n.distance_m, n.id)';
        return {
          text: `SELECT datastream_key, asset_id, distance_m FROM (
                   SELECT d.datastream_key, n.id AS asset_id, n.distance_m, ${rank} AS place
                   FROM datastream d ${join}
                   CROSS JOIN LATERAL (
                     SELECT f.id, round(ST_Distance(${geography('f.geom')}, ${geography(geom)})::numeric, 3)::float8 AS distance_m
                     FROM feature f
                     WHERE f.collection_key = ${collection} AND ${CURRENT_ASSET} AND ST_DWithin(${geography('f.geom')}, ${geography(geom)}, ${within}::float8)
                     ORDER BY ${geography('f.geom')} <-> ${geography(geom)}
                     LIMIT ${NEAREST_CANDIDATES}
                   ) n
                   WHERE ${scope} AND ${geom} IS NOT NULL
                 ) ranked WHERE place = 1`,
          values: params.values,
        };
      }
      case 'contains':
        return {
          text: `SELECT d.datastream_key, f.id AS asset_id, 0::float8 AS distance_m
                 FROM datastream d ${join} JOIN feature f ON f.collection_key = ${collection} AND ${CURRENT_ASSET} AND ST_Covers(f.geom, ${geom})
                 WHERE ${scope} AND ${geom} IS NOT NULL`,
          values: params.values,
        };
      case 'buffer':
        return {
          text: `SELECT d.datastream_key, f.id AS asset_id, round(ST_Distance(${geography('f.geom')}, ${geography(geom)})::numeric, 3)::float8 AS distance_m
                 FROM datastream d ${join} JOIN feature f ON f.collection_key = ${collection} AND ${CURRENT_ASSET}
                   AND ST_DWithin(${geography('f.geom')}, ${geography(geom)}, ${params.bind(rule.distance)}::float8)
                 WHERE ${scope} AND ${geom} IS NOT NULL`,
          values: params.values,
        };
      case 'property': {
        const sensor = datastreamValue(params, rule.sensorProperty);
        if (!sensor) return null;
        return {
          text: `SELECT d.datastream_key, f.id AS asset_id, NULL::float8 AS distance_m
                 FROM datastream d ${join} JOIN feature f ON f.collection_key = ${collection} AND ${CURRENT_ASSET} AND ${assetValue(params, rule.assetProperty)} = ${sensor}
                 WHERE ${scope}`,
          values: params.values,
        };
      }
    }
  },

  /**
   * Datastreams of the source whose links to the collection may change after assets changed since
   * `since`: those linked to an asset that changed, was retired or is gone, and those a rule might
   * link to a changed asset (within its distance, inside it, or with the same property value).
   */
  affectedByAssets(sourceKey: number, collectionKey: number, rules: readonly LinkRule[], since: string): SqlQuery {
    const params = new SqlParams();
    const source = `${params.bind(sourceKey)}::integer`;
    const collection = `${params.bind(collectionKey)}::integer`;
    const changed = `f.collection_key = ${collection} AND f.updated_at >= ${params.bind(since)}::timestamptz AND ${CURRENT_ASSET}`;
    const parts = [
      `SELECT l.datastream_key FROM asset_link l JOIN datastream d USING (datastream_key)
       WHERE d.source_key = ${source} AND l.collection_key = ${collection} AND l.valid_to IS NULL
         AND NOT EXISTS (SELECT 1 FROM feature f WHERE f.collection_key = ${collection} AND f.id = l.asset_id AND ${CURRENT_ASSET} AND NOT (${changed}))`,
    ];
    for (const rule of rules) {
      const only = rule.datastreams ? ` AND d.id = ANY(${params.bind(rule.datastreams)}::text[])` : '';
      const within = (metres: number) => `ST_DWithin(${geography('f.geom')}, ${geography('d.geom')}, ${params.bind(metres)}::float8)`;
      const meets =
        rule.kind === 'nearest' ? within(rule.maxDistance) : rule.kind === 'buffer' ? within(rule.distance) : rule.kind === 'contains' ? 'ST_Covers(f.geom, d.geom)' : null;
      if (meets) {
        parts.push(`SELECT d.datastream_key FROM datastream d JOIN feature f ON ${changed} AND ${meets} WHERE d.source_key = ${source} AND d.geom IS NOT NULL${only}`);
        continue;
      }
      const sensor = rule.kind === 'property' ? datastreamValue(params, rule.sensorProperty) : null;
      if (rule.kind === 'property' && sensor) {
        parts.push(`SELECT d.datastream_key FROM datastream d JOIN feature f ON ${changed} AND ${assetValue(params, rule.assetProperty)} = ${sensor} WHERE d.source_key = ${source}${only}`);
      }
    }
    return { text: parts.join('\nUNION\n'), values: params.values };
  },

  /** Places of the source's datastreams (all, or those given) newer than the one their links were computed for, oldest first. */
  pendingPlaces(sourceKey: number, keys: readonly number[] | null): SqlQuery {
    const params = new SqlParams();
    return {
      text: `SELECT l.datastream_key, placelink_rfc3339(l.valid_from) AS time
             FROM datastream d JOIN datastream_location l USING (datastream_key)
             WHERE ${datastreamScope(params, sourceKey, keys)} AND l.valid_from > coalesce(d.linked_place_time, '-infinity')
             ORDER BY l.datastream_key, l.valid_from`,
      values: params.values,
    };
  },

  /** Datastreams of the source (all, or those given) that have no place and never had a link. */
  unlinkedPlaceless(sourceKey: number, keys: readonly number[] | null): SqlQuery {
    const params = new SqlParams();
    return {
      text: `SELECT d.datastream_key FROM datastream d
             WHERE ${datastreamScope(params, sourceKey, keys)} AND d.geom IS NULL AND NOT EXISTS (SELECT 1 FROM asset_link l WHERE l.datastream_key = d.datastream_key)`,
      values: params.values,
    };
  },

  placesLinked: (places: readonly PlaceRef[]): SqlQuery => ({
    text: `UPDATE datastream d SET linked_place_time = i.valid_from
           FROM unnest($1::integer[], $2::timestamptz[]) AS i(datastream_key, valid_from) WHERE d.datastream_key = i.datastream_key`,
    values: [places.map((p) => p.datastreamKey), places.map((p) => p.time)],
  }),

  current(sourceKey: number, keys: readonly number[] | null): SqlQuery {
    const params = new SqlParams();
    return {
      text: `SELECT ${LINK_COLUMNS} FROM asset_link l JOIN datastream d USING (datastream_key) WHERE ${datastreamScope(params, sourceKey, keys)} AND l.valid_to IS NULL`,
      values: params.values,
    };
  },

  /** Closes links at the given times (null: now); never before a link began. */
  close: (links: readonly { linkId: string; at: string | null }[]): SqlQuery => ({
    text: `UPDATE asset_link l SET valid_to = greatest(l.valid_from, coalesce(i.at, now()))
           FROM unnest($1::bigint[], $2::timestamptz[]) AS i(link_id, at) WHERE l.link_id = i.link_id AND l.valid_to IS NULL`,
    values: [links.map((l) => l.linkId), links.map((l) => l.at)],
  }),

  /** Opens links from the given times (null: now). */
  open: (links: readonly (LinkCandidate & { at: string | null })[]): SqlQuery => ({
    text: `INSERT INTO asset_link (datastream_key, collection_key, asset_id, rule, rule_kind, priority, distance_m, valid_from)
           SELECT datastream_key, collection_key, asset_id, rule, rule_kind, priority, distance_m, coalesce(at, now())
           FROM jsonb_to_recordset($1::jsonb) AS i(datastream_key integer, collection_key integer, asset_id text, rule text, rule_kind text, priority integer, distance_m float8, at timestamptz)
           ON CONFLICT (datastream_key, collection_key, asset_id) WHERE valid_to IS NULL DO NOTHING`,
    values: [
      JSON.stringify(
        links.map((l) => ({ datastream_key: l.datastreamKey, collection_key: l.collectionKey, asset_id: l.assetId, rule: l.rule, rule_kind: l.ruleKind, priority: l.priority, distance_m: l.distanceM, at: l.at })),
      ),
    ],
  }),

  update: (links: readonly (LinkCandidate & { linkId: string })[]): SqlQuery => ({
    text: `UPDATE asset_link l SET rule = i.rule, rule_kind = i.rule_kind, priority = i.priority, distance_m = i.distance_m
           FROM jsonb_to_recordset($1::jsonb) AS i(link_id bigint, rule text, rule_kind text, priority integer, distance_m float8)
           WHERE l.link_id = i.link_id`,
    values: [JSON.stringify(links.map((l) => ({ link_id: l.linkId, rule: l.rule, rule_kind: l.ruleKind, priority: l.priority, distance_m: l.distanceM })))],
  }),

  states: (sourceKey: number): SqlQuery => ({ text: 'SELECT collection_key, data_version::text FROM link_state WHERE source_key = $1', values: [sourceKey] }),

  saveState: (sourceKey: number, collectionKey: number, dataVersion: number): SqlQuery => ({
    text: `INSERT INTO link_state (source_key, collection_key, data_version) VALUES ($1, $2, $3)
           ON CONFLICT (source_key, collection_key) DO UPDATE SET data_version = EXCLUDED.data_version, refreshed_at = now()`,
    values: [sourceKey, collectionKey, dataVersion],
  }),

  nearby: (collectionKey: number, geometry: Geometry, within: number, limit: number): SqlQuery => ({
    text: `WITH p AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($2), 4326) AS geom)
           SELECT f.id AS asset_id, round(ST_Distance(f.geom::geography, p.geom::geography)::numeric, 3)::float8 AS distance_m, ST_Covers(f.geom, p.geom) AS covers
           FROM feature f, p
           WHERE f.collection_key = $1::integer AND ${CURRENT_ASSET} AND ST_DWithin(f.geom::geography, p.geom::geography, $3::float8)
           ORDER BY f.geom::geography <-> p.geom::geography, f.id LIMIT $4::integer`,
    values: [collectionKey, JSON.stringify(geometry), within, limit],
  }),

  measure: (collectionKey: number, assetId: string, datastreamKey: number): SqlQuery => ({
    text: `SELECT CASE WHEN d.geom IS NULL OR f.geom IS NULL THEN NULL ELSE round(ST_Distance(f.geom::geography, d.geom::geography)::numeric, 3)::float8 END AS distance_m,
                  coalesce(ST_Covers(f.geom, d.geom), false) AS covers, f.retired_at IS NOT NULL AS retired
           FROM feature f, datastream d WHERE f.collection_key = $1::integer AND f.id = $2 AND d.datastream_key = $3::integer`,
    values: [collectionKey, assetId, datastreamKey],
  }),

  assetValue: (collectionKey: number, assetId: string, property: string): SqlQuery => {
    const params = new SqlParams();
    return {
      text: `SELECT ${assetValue(params, property)} AS value FROM feature f WHERE f.collection_key = ${params.bind(collectionKey)}::integer AND f.id = ${params.bind(assetId)}`,
      values: params.values,
    };
  },

  history(filter: { collectionKey?: number; assetId?: string; datastreamKey?: number }): SqlQuery {
    const params = new SqlParams();
    const conditions = ['true'];
    if (filter.collectionKey !== undefined) conditions.push(`l.collection_key = ${params.bind(filter.collectionKey)}::integer`);
    if (filter.assetId !== undefined) conditions.push(`l.asset_id = ${params.bind(filter.assetId)}`);
    if (filter.datastreamKey !== undefined) conditions.push(`l.datastream_key = ${params.bind(filter.datastreamKey)}::integer`);
    return { text: `SELECT ${LINK_COLUMNS} FROM asset_link l WHERE ${conditions.join(' AND ')} ORDER BY l.valid_from, l.link_id`, values: params.values };
  },

  /** The latest value of every datastream currently linked to the given assets. */
  latestForAssets: (collectionKey: number, assetIds: readonly string[]): SqlQuery => ({
    // Not prepared: the best join depends on how many ids there are. A join with the unnested ids
    // (hash or index probes), not `= ANY(array)`, which compares every link with every id.
    text: `SELECT l.asset_id, d.id AS datastream_id, d.name, coalesce(to_jsonb(o.result_number), o.result) AS value,
                  coalesce(d.unit->>'symbol', d.unit->>'name') AS unit, placelink_rfc3339(o.phenomenon_time) AS observed_at
           FROM unnest($2::text[]) AS a(id)
           JOIN asset_link l ON l.collection_key = $1::integer AND l.asset_id = a.id AND l.valid_to IS NULL
           JOIN datastream d ON d.datastream_key = l.datastream_key
           LEFT JOIN observation_latest o ON o.datastream_key = l.datastream_key
           ORDER BY l.asset_id, d.id`,
    values: [collectionKey, assetIds],
  }),

  /** Every link of one asset (current and closed) with its datastream, for time series. */
  periods: (collectionKey: number, assetId: string): SqlQuery => ({
    text: `SELECT l.datastream_key, d.id AS datastream_id, d.name, coalesce(d.unit->>'symbol', d.unit->>'name') AS unit,
                  placelink_rfc3339(l.valid_from) AS valid_from, placelink_rfc3339(l.valid_to) AS valid_to
           FROM asset_link l JOIN datastream d USING (datastream_key)
           WHERE l.collection_key = $1::integer AND l.asset_id = $2
           ORDER BY d.id, l.valid_from`,
    values: [collectionKey, assetId],
  }),

  analyze: (): SqlQuery => ({ text: 'ANALYZE asset_link', values: [] }),

  linkedCollections: (): SqlQuery => ({ name: 'link-collections', text: 'SELECT DISTINCT collection_key FROM asset_link WHERE valid_to IS NULL', values: [] }),
};

/** The partition-level geography index for a target collection; the key is the database's own integer. */
export function geographyIndexSql(collectionKey: number): SqlQuery {
  if (!Number.isSafeInteger(collectionKey) || collectionKey <= 0) throw new InvariantError(`invalid collection key ${collectionKey}`);
  return { text: `CREATE INDEX IF NOT EXISTS feature_c${collectionKey}_geog_idx ON feature_c${collectionKey} USING gist ((geom::geography))`, values: [] };
}
