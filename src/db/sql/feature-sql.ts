import { createHash } from 'node:crypto';
import type { FeatureRecord } from '../../domain/feature.js';
import type { ScalarType } from '../../domain/filter.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection, GeometryOutput, LinkedValueLinks, PagePosition, PropertyEquality, SortKey, TimeInterval } from '../../domain/query.js';
import { copyField } from './copy-text.js';
import { fieldExpression, filterConditionSql } from './filter-sql.js';
import { spatialCondition } from './spatial-sql.js';
import { SqlParams, type SqlQuery } from './sql-query.js';

// ---------------------------------------------------------------- fragments

function geometryExpression(params: SqlParams, output: GeometryOutput): string {
  let expression = 'f.geom';
  if (output.srid !== 4326) expression = `ST_Transform(${expression}, ${params.bind(output.srid)}::integer)`;
  if (output.swapAxes) expression = `ST_FlipCoordinates(${expression})`;
  return expression;
}

/** Characters of an id that would end or split a query parameter value. */
const urlComponent = (expression: string) => `replace(replace(replace(replace(${expression}, '%', '%25'), '&', '%26'), '+', '%2B'), '#', '%23')`;

/** A link from one of the API's URL templates (LinkedValueLinks), its placeholders replaced by the row's ids. */
function linkFromTemplate(template: string): string {
  return `replace(replace(replace(replace(${template}::text, '{observationCollection}', oc.id), '{assetCollection}', ac.id), '{asset}', ${urlComponent('f.id')}), '{datastream}', ${urlComponent('d.id')})`;
}

/**
 * The latest value of every datastream currently linked to the feature, with links to its
 * observations and time series; only built for collections that have links.
 */
function linkedValuesExpression(params: SqlParams, links: LinkedValueLinks): string {
  return `(SELECT CASE WHEN x.sensors IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('sensors', x.sensors) END FROM (
             SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                 'datastream', d.id, 'name', d.name, 'unit', coalesce(d.unit->>'symbol', d.unit->>'name'),
                 'observedAt', placelink_rfc3339(o.phenomenon_time), 'rule', l.rule, 'distance', l.distance_m,
                 'observations', ${linkFromTemplate(params.bind(links.observations))},
                 'timeseries', ${linkFromTemplate(params.bind(links.timeseries))}
               )) || jsonb_build_object('value', coalesce(to_jsonb(o.result_number), o.result, 'null'::jsonb)) ORDER BY d.id) AS sensors
             FROM asset_link l JOIN datastream d USING (datastream_key) JOIN sensor_source s USING (source_key)
                  LEFT JOIN collection oc ON oc.collection_key = s.collection_key
                  LEFT JOIN observation_latest o ON o.datastream_key = l.datastream_key
                  JOIN collection ac ON ac.collection_key = l.collection_key
             WHERE l.collection_key = f.collection_key AND l.asset_id = f.id AND l.valid_to IS NULL) x)`;
}

/** The requested properties only (those a feature has), or all of them. */
function propertiesExpression(params: SqlParams, properties: readonly string[] | null): string {
  if (properties === null) return 'f.properties::text';
  return `(SELECT coalesce(jsonb_object_agg(k, f.properties -> k), '{}'::jsonb) FROM unnest(${params.bind(properties)}::text[]) k WHERE f.properties ? k)::text`;
}

/** The output stored with every feature (migration 0012): CRS84, 8 decimals, all properties. */
function isStoredRepresentation(output: FeatureOutput): boolean {
  return output.srid === 4326 && !output.swapAxes && output.decimals === 8 && output.properties === null;
}

/** A feature's parts (domain FeatureParts) as a JSON object, for APIs that encode features themselves. */
function featurePartsJson(params: SqlParams, output: FeatureOutput, geometry: string, properties: string): string {
  return `'{"id":' || to_json(f.id)::text || ',"ngsiLdId":' || coalesce(to_json(f.ngsi_ld_id)::text, 'null') ||
          ',"geometry":' || coalesce(ST_AsGeoJSON(${geometry}, ${params.bind(output.decimals)}::integer, 0), 'null') || ',"properties":' || ${properties} ||
          ',"timeStart":' || coalesce(to_json(placelink_rfc3339(f.time_start))::text, 'null') || ',"timeEnd":' || coalesce(to_json(placelink_rfc3339(f.time_end))::text, 'null') ||
          ',"createdAt":' || to_json(placelink_rfc3339(f.created_at))::text || ',"modifiedAt":' || to_json(placelink_rfc3339(f.updated_at))::text || '}'`;
}

/**
 * The GeoJSON Feature as text, produced by PostGIS so Node only concatenates. With `linked`, the
 * `sensors` property (unless a property selection leaves it out) carries linked datastreams' latest values.
 */
function featureJson(params: SqlParams, output: FeatureOutput, linked?: LinkedValueLinks): string {
  const withSensors = linked && (output.properties === null || output.properties.includes('sensors'));
  if (isStoredRepresentation(output) && !withSensors && output.encoding !== 'parts') return 'f.geojson';
  const geometry = geometryExpression(params, output);
  const selected = propertiesExpression(params, output.properties);
  const properties = withSensors ? `(${selected}::jsonb || ${linkedValuesExpression(params, linked)})::text` : selected;
  if (output.encoding === 'parts') return featurePartsJson(params, output, geometry, properties);
  return `'{"type":"Feature","id":' || to_json(f.id)::text || ',"geometry":' || coalesce(ST_AsGeoJSON(${geometry}, ${params.bind(output.decimals)}::integer, 0), 'null') || ',"properties":' || ${properties} || '}'`;
}

/** Features whose [start, end] meets the interval; features without time match any interval. */
function temporalCondition(params: SqlParams, time: TimeInterval | null): string | null {
  if (!time) return null;
  const overlap: string[] = [];
  if (time.end) overlap.push(`(f.time_start IS NULL OR f.time_start <= ${params.bind(time.end.toISOString())}::timestamptz)`);
  if (time.start) overlap.push(`(f.time_end IS NULL OR f.time_end >= ${params.bind(time.start.toISOString())}::timestamptz)`);
  if (overlap.length === 0) return null;
  return `((f.time_start IS NULL AND f.time_end IS NULL) OR (${overlap.join(' AND ')}))`;
}

/** jsonb containment: uses the GIN index on properties. */
function equalityCondition(params: SqlParams, equalities: readonly PropertyEquality[]): string | null {
  if (equalities.length === 0) return null;
  const document = Object.fromEntries(equalities.map((e) => [e.name, e.value]));
  return `f.properties @> ${params.bind(JSON.stringify(document))}::jsonb`;
}

/** Evaluated once per statement (an InitPlan), in the statement's own snapshot. */
function snapshotColumns(params: SqlParams, collectionKey: number): string {
  const key = params.bind(collectionKey);
  return `(SELECT c.feature_count FROM collection c WHERE c.collection_key = ${key}::integer)::text AS total,
          (SELECT c.data_version FROM collection c WHERE c.collection_key = ${key}::integer)::text AS version`;
}

function whereClause(params: SqlParams, selection: FeatureSelection, extra: readonly string[] = []): string {
  const conditions = [
    `f.collection_key = ${params.bind(selection.collectionKey)}::integer`,
    // Features the source no longer has stay stored with their end of life, out of every API.
    'f.retired_at IS NULL',
    spatialCondition(params, 'f.geom', selection.envelopes),
    temporalCondition(params, selection.time),
    equalityCondition(params, selection.equalities),
    selection.filter ? filterConditionSql(params, selection.filter) : null,
    ...extra,
  ].filter((c): c is string => c !== null);
  return conditions.join(' AND ');
}

// ---------------------------------------------------------------- order and keyset

interface SortTerm {
  readonly sql: string;
  readonly type: ScalarType;
  readonly direction: 'asc' | 'desc';
}

const SORT_CAST: Record<ScalarType, string> = { string: 'text', number: 'numeric', boolean: 'boolean', date: 'date', timestamp: 'timestamptz' };

function sortTerms(params: SqlParams, order: readonly SortKey[]): SortTerm[] {
  return order.map((key) => {
    const sql = fieldExpression(params, key.field, key.type);
    return { sql: key.type === 'string' ? `${sql} COLLATE "C"` : sql, type: key.type, direction: key.direction };
  });
}

/** Sort keys with missing values last in either direction, then `seq`; backward is the exact reverse. */
function orderBy(terms: readonly SortTerm[], way: 'forward' | 'backward', seq: string): string {
  const flip = way === 'backward';
  const parts = terms.map((t) => {
    const descending = (t.direction === 'desc') !== flip;
    return `${t.sql} ${descending ? 'DESC' : 'ASC'} NULLS ${flip ? 'FIRST' : 'LAST'}`;
  });
  return [...parts, `${seq} ${flip ? 'DESC' : 'ASC'}`].join(', ');
}

/**
 * Rows strictly after (before) a position in the forward order: equal on the first i keys and
 * beyond it on key i, for some i, with `seq` as the last, never-null key.
 */
function keysetCondition(params: SqlParams, terms: readonly SortTerm[], position: Extract<PagePosition, { kind: 'after' | 'before' }>): string {
  const side = position.kind;
  const equal: string[] = [];
  const alternatives: string[] = [];
  terms.forEach((term, i) => {
    const value = position.keys[i] ?? null;
    const bound = value === null ? null : `${params.bind(value)}::${SORT_CAST[term.type]}`;
    const greater = term.direction === 'asc' ? '>' : '<';
    const less = term.direction === 'asc' ? '<' : '>';
    let beyond: string | null;
    if (side === 'after') beyond = bound === null ? null : `(${term.sql} ${greater} ${bound} OR ${term.sql} IS NULL)`;
    else beyond = bound === null ? `${term.sql} IS NOT NULL` : `${term.sql} ${less} ${bound}`;
    if (beyond) alternatives.push([...equal, beyond].join(' AND '));
    equal.push(bound === null ? `${term.sql} IS NULL` : `${term.sql} = ${bound}`);
  });
  alternatives.push([...equal, `f.seq ${side === 'after' ? '>' : '<'} ${params.bind(position.seq)}::bigint`].join(' AND '));
  return `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

/**
 * A page in sortby order: like the `seq` order page, but the sort key values travel with the
 * rows so each chunk can report those of its first and last feature for the paging cursors.
 */
function sortedPage(params: SqlParams, query: FeaturePageQuery, json: string): SqlQuery {
  const position = query.position;
  const backwards = position.kind === 'before';
  const terms = sortTerms(params, query.order);
  const keyset = position.kind === 'after' || position.kind === 'before' ? [keysetCondition(params, terms, position)] : [];
  const where = whereClause(params, query, keyset);
  const way = backwards ? 'backward' : 'forward';
  const offset = position.kind === 'offset' && position.offset > 0 ? ` OFFSET ${params.bind(position.offset)}::bigint` : '';
  const limit = params.bind(query.limit);
  const snapshot = snapshotColumns(params, query.collectionKey);
  const chunk = params.bind(PAGE_CHUNK_ROWS);
  const columns = terms.map((t, i) => `${t.sql} AS k${i}`).join(', ');
  const keys = `json_build_array(${terms.map((_, i) => `k${i}`).join(', ')})::text`;
  const onColumns = terms.map((t, i) => ({ ...t, sql: t.type === 'string' ? `k${i} COLLATE "C"` : `k${i}` }));
  return {
    text: `WITH page AS (
             SELECT f.seq, ${json} AS json, ${columns} FROM feature f WHERE ${where}
             ORDER BY ${orderBy(terms, way, 'f.seq')} LIMIT ${limit}::integer + 1${offset}
           ), kept AS (
             SELECT * FROM page ORDER BY ${orderBy(onColumns, way, 'seq')} LIMIT ${limit}::integer
           ), numbered AS (
             SELECT seq, json, ${keys} AS keys, row_number() OVER (ORDER BY ${orderBy(onColumns, 'forward', 'seq')}) - 1 AS rn FROM kept
           )
           SELECT (array_agg(seq ORDER BY rn))[1]::text AS "firstSeq", (array_agg(seq ORDER BY rn DESC))[1]::text AS "lastSeq",
                  (array_agg(keys ORDER BY rn))[1] AS "firstKeys", (array_agg(keys ORDER BY rn DESC))[1] AS "lastKeys",
                  count(*)::integer AS n, string_agg(json, ',' ORDER BY rn) AS json,
                  (SELECT count(*) FROM page) > ${limit}::integer AS more, ${snapshot}
           FROM numbered GROUP BY rn / ${chunk}::integer ORDER BY rn / ${chunk}::integer`,
    values: params.values,
  };
}

/** Whether a geometry is valid; a point always is, and skipping GEOS for it is most of a point layer's check. */
const validity = (geometry: string) => `(${geometry} IS NULL OR GeometryType(${geometry}) = 'POINT' OR ST_IsValid(${geometry}))`;

/**
 * The records of a batch write as rows: one JSON parameter ($2), which Node writes in one native
 * call (arrays of text would be escaped element by element), read with json_to_recordset.
 */
const BATCH_ROWS = `ROWS FROM (json_to_recordset($2::json) AS (id text, namespace text, local_id text, version_id text, geometry json,
                      properties jsonb, time_start timestamptz, time_end timestamptz, ngsi_ld_id text, content_hash text))
                    WITH ORDINALITY AS i(id, namespace, local_id, version_id, geometry, properties, time_start, time_end, ngsi_ld_id, content_hash, ord)`;

/**
 * What a harvest compares to decide "unchanged": a digest of the geometry, properties, times and
 * version as the mapping produced them, taken from the JSON text the database receives (hashing the
 * stored row in SQL cost a tenth of a first harvest's insert time).
 */
function contentHash(geometry: string, properties: string, r: FeatureRecord): string {
  return createHash('sha256').update(`${geometry}\u0000${properties}\u0000${r.timeStart}/${r.timeEnd}/${r.versionId}`).digest('hex');
}

/** The bound values of a batch write: $1 collection, $2 the records as one JSON array, $3 repair invalid geometries. */
function batchValues(collectionKey: number, records: readonly FeatureRecord[], repairInvalid: boolean): unknown[] {
  const rows = records.map((r) => {
    const geometry = JSON.stringify(r.geometry);
    const properties = JSON.stringify(r.properties);
    const rest = JSON.stringify({ id: r.id, namespace: r.namespace, local_id: r.localId, version_id: r.versionId, time_start: r.timeStart, time_end: r.timeEnd, ngsi_ld_id: r.ngsiLdId ?? null });
    return `{"geometry":${geometry},"properties":${properties},"content_hash":"${contentHash(geometry, properties, r)}",${rest.slice(1)}`;
  });
  return [collectionKey, `[${rows.join(',')}]`, repairInvalid];
}

/** A point (or no geometry) as EWKT in EPSG:4326, what ST_GeomFromGeoJSON would make of it; undefined for anything else. */
function pointEwkt(geometry: FeatureRecord['geometry']): string | null | undefined {
  if (geometry === null) return null;
  if (geometry.type !== 'Point') return undefined;
  const c = geometry.coordinates;
  if (c.length === 0) return 'SRID=4326;POINT EMPTY';
  if (c.length === 2) return `SRID=4326;POINT(${c[0]} ${c[1]})`;
  if (c.length === 3) return `SRID=4326;POINT Z (${c[0]} ${c[1]} ${c[2]})`;
  return undefined;
}

/** The columns copyFreshRows fills, in order. */
const FRESH_COPY_COLUMNS = 'collection_key, id, namespace, local_id, version_id, ngsi_ld_id, geom, properties, time_start, time_end, content_hash';

/** Above this many matches, sorting them all for a page costs more than planning the statement. */
const GENERIC_PLAN_MAX_MATCHES = 10_000;

/**
 * Whether a page statement's best plan is the same whatever its values, so that it can be
 * prepared once per connection and run with PostgreSQL's generic plan (planning costs as much as
 * running a short page). That holds without conditions (the `seq` index), and for a bbox whose
 * matches are known to be few: the generic plan reads them through the GiST index and sorts them,
 * which is then cheap. Every other page is planned for its values: a plan made for a small box can
 * be a thousand times slower for one that holds most of the collection.
 */
function planIsValueFree(query: FeaturePageQuery): boolean {
  if (query.filter !== null || query.output.properties !== null || query.equalities.length > 0) return false;
  if (query.envelopes.length === 0) return query.time === null;
  return query.knownMatches !== undefined && query.knownMatches <= GENERIC_PLAN_MAX_MATCHES;
}

/** The parts of a page statement in `seq` order. */
interface SeqPageShape {
  readonly json: string;
  readonly where: string;
  readonly direction: 'ASC' | 'DESC';
  readonly offset: string;
  /** Placeholder of the page size. */
  readonly limit: string;
  readonly snapshot: string;
}

/**
 * A page of at most one chunk: the rows one past the page are read (to tell whether more lie
 * beyond) and left out of the aggregate by their row number. One query level: cheaper to plan and
 * run than the chunked form, which short pages (the common case) do not need.
 */
function singleChunkPage(shape: SeqPageShape): string {
  const { json, where, direction, offset, limit, snapshot } = shape;
  const inPage = `FILTER (WHERE rn <= ${limit}::integer)`;
  return `SELECT (min(seq) ${inPage})::text AS "firstSeq", (max(seq) ${inPage})::text AS "lastSeq", (count(*) ${inPage})::integer AS n,
                 string_agg(json, ',' ORDER BY seq) ${inPage} AS json, count(*) > ${limit}::integer AS more, ${snapshot}
          FROM (SELECT seq, json, row_number() OVER (ORDER BY seq ${direction}) AS rn
                FROM (SELECT f.seq, ${json} AS json FROM feature f WHERE ${where}
                      ORDER BY f.seq ${direction} LIMIT ${limit}::integer + 1${offset}) page) numbered
          HAVING count(*) ${inPage} > 0`;
}

/**
 * A page in chunks of PAGE_CHUNK_ROWS features, each a row with its features joined, in ascending
 * order. The row one past the page (read to tell whether more lie beyond) comes last as a chunk of
 * its own with n = 0 and more = true, so nothing has to count the page's rows before the chunks.
 */
function chunkedPage(params: SqlParams, shape: SeqPageShape): string {
  const { json, where, direction, offset, limit, snapshot } = shape;
  const chunk = params.bind(PAGE_CHUNK_ROWS);
  return `SELECT min(seq)::text AS "firstSeq", max(seq)::text AS "lastSeq",
                 CASE WHEN chunk IS NULL THEN 0 ELSE count(*)::integer END AS n,
                 CASE WHEN chunk IS NULL THEN '' ELSE string_agg(json, ',' ORDER BY seq) END AS json,
                 chunk IS NULL AS more, ${snapshot}
          FROM (SELECT seq, json, CASE WHEN rn > ${limit}::integer THEN NULL ELSE (rn - 1) / ${chunk}::integer END AS chunk
                FROM (SELECT seq, json, row_number() OVER (ORDER BY seq ${direction}) AS rn
                      FROM (SELECT f.seq, ${json} AS json FROM feature f WHERE ${where}
                            ORDER BY f.seq ${direction} LIMIT ${limit}::integer + 1${offset}) page) numbered) chunked
          GROUP BY chunk ORDER BY chunk ${direction === 'ASC' ? 'ASC' : 'DESC'} NULLS LAST`;
}

// ---------------------------------------------------------------- statements

/** Features per chunk of a page: large enough that Node handles a few strings, not one per feature. */
const PAGE_CHUNK_ROWS = 250;

export const featureSql = {
  /**
   * One page in `seq` order (keyset) or, with sort keys, in that order (sortedPage), or the page
   * before a position, as chunks of up to
   * PAGE_CHUNK_ROWS features already joined into GeoJSON text by PostGIS, in ascending order.
   * One row more than the page is read to tell whether features lie beyond it (`more`). Every
   * chunk also carries the collection's feature count and data version in the statement's own
   * snapshot, so numberMatched and cursors describe exactly the data the page came from.
   */
  page(query: FeaturePageQuery): SqlQuery {
    const params = new SqlParams();
    const json = featureJson(params, query.output, query.linkedValues);
    if (query.order.length > 0) return sortedPage(params, query, json);
    const position = query.position;
    const backwards = position.kind === 'before';
    const keyset = position.kind === 'after' ? [`f.seq > ${params.bind(position.seq)}::bigint`] : backwards ? [`f.seq < ${params.bind(position.seq)}::bigint`] : [];
    const shape: SeqPageShape = {
      json,
      where: whereClause(params, query, keyset),
      direction: backwards ? 'DESC' : 'ASC',
      offset: position.kind === 'offset' && position.offset > 0 ? ` OFFSET ${params.bind(position.offset)}::bigint` : '',
      limit: params.bind(query.limit),
      snapshot: snapshotColumns(params, query.collectionKey),
    };
    const text = query.limit <= PAGE_CHUNK_ROWS ? singleChunkPage(shape) : chunkedPage(params, shape);
    const name = planIsValueFree(query) ? `page-${createHash('sha1').update(text).digest('base64url').slice(0, 20)}` : undefined;
    return { text, values: params.values, ...(name ? { name } : {}) };
  },

  /** How many chunk rows a page of `limit` features comes in. */
  pageChunkCount(limit: number): number {
    return Math.ceil(limit / PAGE_CHUNK_ROWS);
  },

  /** Count and data version alone, for an empty page. */
  snapshot(collectionKey: number): SqlQuery {
    return {
      name: 'collection-snapshot',
      text: 'SELECT feature_count::text AS total, data_version::text AS version FROM collection WHERE collection_key = $1::integer',
      values: [collectionKey],
    };
  },

  /** Exact count of the selection, but of at most `cap` + 1 rows so the work stays bounded. */
  cappedCount(selection: FeatureSelection, cap: number): SqlQuery {
    const params = new SqlParams();
    const where = whereClause(params, selection);
    return {
      text: `SELECT count(*)::integer AS n FROM (SELECT 1 FROM feature f WHERE ${where} LIMIT ${params.bind(cap + 1)}::integer) matched`,
      values: params.values,
    };
  },

  writeTime: (): SqlQuery => ({ name: 'feature-write-time', text: 'SELECT placelink_rfc3339(now()) AS t', values: [] }),

  byId(collectionKey: number, id: string, output: FeatureOutput, linked?: LinkedValueLinks): SqlQuery {
    const params = new SqlParams();
    const json = featureJson(params, output, linked);
    return {
      text: `SELECT f.seq::text AS seq, ${json} AS json, f.ngsi_ld_id AS "ngsiLdId" FROM feature f WHERE f.collection_key = ${params.bind(collectionKey)}::integer AND f.id = ${params.bind(id)} AND f.retired_at IS NULL`,
      values: params.values,
    };
  },

  /**
   * Idempotent batch upsert keyed by (collection, id). Rows whose content hash did not change are
   * left alone (a retired row that reappears is brought back); invalid geometries are repaired
   * with ST_MakeValid and the reason kept, or refused when `repairInvalid` is false; a row whose
   * inspireId belongs to another current feature is refused. Every input row comes back with its
   * outcome: inserted, updated, unchanged, invalid or clash.
   */
  upsertBatch(collectionKey: number, records: readonly FeatureRecord[], repairInvalid = true): SqlQuery {
    return {
      // Not prepared: a generic plan for this statement (the collection's partition behind a
      // parameter, lookups per input row) was seen to take seconds per batch instead of milliseconds.
      // Whether a row existed is read from the statement's snapshot, before the insert runs
      // (xmax cannot be read from a partitioned table's RETURNING).
      text: `WITH input AS (
               SELECT i.ord, i.id, i.namespace, i.local_id, i.version_id, i.ngsi_ld_id, i.properties, i.time_start, i.time_end, i.content_hash,
                      ST_SetSRID(ST_GeomFromGeoJSON(i.geometry), 4326) AS raw,
                      EXISTS (SELECT 1 FROM feature e WHERE e.collection_key = $1::integer AND e.id = i.id) AS existed,
                      (SELECT e.id FROM feature e WHERE e.collection_key = $1::integer AND e.namespace = i.namespace AND e.local_id = i.local_id
                         AND e.id <> i.id AND e.retired_at IS NULL LIMIT 1) AS clash,
                      (SELECT e.id FROM feature e WHERE e.collection_key = $1::integer AND e.ngsi_ld_id = i.ngsi_ld_id
                         AND e.id <> i.id AND e.retired_at IS NULL LIMIT 1) AS ngsi_clash
               FROM ${BATCH_ROWS}
             ), checked AS (
               SELECT input.*, ${validity('raw')} AS valid,
                      -- two rows of the batch with one inspireId or one NGSI-LD id: the first keeps it
                      first_value(id) OVER (PARTITION BY namespace, local_id ORDER BY ord) AS inspire_first,
                      CASE WHEN ngsi_ld_id IS NOT NULL THEN first_value(id) OVER (PARTITION BY ngsi_ld_id ORDER BY ord) END AS ngsi_first
               FROM input
             ), repaired AS (
               SELECT checked.*,
                      CASE WHEN valid THEN raw ELSE ST_MakeValid(raw) END AS geom,
                      CASE WHEN valid THEN NULL ELSE ST_IsValidReason(raw) END AS geometry_repair
               FROM checked
             ), accepted AS (
               SELECT * FROM repaired WHERE clash IS NULL AND inspire_first = id AND ngsi_clash IS NULL AND (ngsi_first IS NULL OR ngsi_first = id) AND (valid OR $3::boolean)
             ), written AS (
               INSERT INTO feature AS f (collection_key, id, namespace, local_id, version_id, ngsi_ld_id, geom, properties,
                                         time_start, time_end, geometry_repair, content_hash)
               SELECT $1::integer, id, namespace, local_id, version_id, ngsi_ld_id, geom, properties, time_start, time_end, geometry_repair,
                      decode(content_hash, 'hex')
               FROM accepted
               -- input order, so new features get their paging position (seq) in source order
               ORDER BY ord
               ON CONFLICT (collection_key, id) DO UPDATE SET
                 namespace = EXCLUDED.namespace, local_id = EXCLUDED.local_id, version_id = EXCLUDED.version_id, ngsi_ld_id = EXCLUDED.ngsi_ld_id,
                 geom = EXCLUDED.geom, properties = EXCLUDED.properties, time_start = EXCLUDED.time_start,
                 time_end = EXCLUDED.time_end, geometry_repair = EXCLUDED.geometry_repair,
                 content_hash = EXCLUDED.content_hash, retired_at = NULL, updated_at = now()
               WHERE f.content_hash <> EXCLUDED.content_hash OR f.retired_at IS NOT NULL OR f.ngsi_ld_id IS DISTINCT FROM EXCLUDED.ngsi_ld_id
               RETURNING f.id
             )
             SELECT r.id,
                    CASE WHEN r.clash IS NOT NULL OR r.inspire_first <> r.id THEN 'clash'
                         WHEN r.ngsi_clash IS NOT NULL OR r.ngsi_first <> r.id THEN 'ngsi-clash'
                         WHEN NOT r.valid AND NOT $3::boolean THEN 'invalid'
                         WHEN w.id IS NULL THEN 'unchanged'
                         WHEN r.existed THEN 'updated' ELSE 'inserted' END AS outcome,
                    coalesce(r.geometry_repair, r.clash, CASE WHEN r.inspire_first <> r.id THEN r.inspire_first END, r.ngsi_clash,
                             CASE WHEN r.ngsi_first <> r.id THEN r.ngsi_first END) AS detail
             FROM repaired r LEFT JOIN written w ON w.id = r.id
             ORDER BY r.ord`,
      values: batchValues(collectionKey, records, repairInvalid),
    };
  },

  /**
   * The same batch into a collection that held no feature when the run began: every id is new (the
   * run reads each once), so the lookups for existing rows and for inspireId / NGSI-LD id clashes
   * are left to the unique indexes: a clash fails the statement (unique_violation), and the caller
   * writes the batch again with upsertBatch, which names it. Only the rows that need a word come
   * back (invalid geometries, repaired or refused); every other row was inserted.
   */
  insertFreshBatch(collectionKey: number, records: readonly FeatureRecord[], repairInvalid = true): SqlQuery {
    return {
      text: `WITH checked AS (
               SELECT i.ord, i.id, i.namespace, i.local_id, i.version_id, i.ngsi_ld_id, i.properties, i.time_start, i.time_end, i.content_hash, g.raw,
                      ${validity('g.raw')} AS valid
               FROM ${BATCH_ROWS},
                    LATERAL (SELECT ST_SetSRID(ST_GeomFromGeoJSON(i.geometry), 4326) AS raw) g
             ), written AS (
               INSERT INTO feature (collection_key, id, namespace, local_id, version_id, ngsi_ld_id, geom, properties,
                                    time_start, time_end, geometry_repair, content_hash)
               SELECT $1::integer, id, namespace, local_id, version_id, ngsi_ld_id, r.geom, properties, time_start, time_end, r.repair,
                      decode(content_hash, 'hex')
               FROM checked,
                    LATERAL (SELECT CASE WHEN valid THEN raw ELSE ST_MakeValid(raw) END AS geom,
                                    CASE WHEN valid THEN NULL ELSE ST_IsValidReason(raw) END AS repair) r
               WHERE valid OR $3::boolean
               -- input order, so new features get their paging position (seq) in source order
               ORDER BY ord
             )
             SELECT id, CASE WHEN $3::boolean THEN 'inserted' ELSE 'invalid' END AS outcome, ST_IsValidReason(raw) AS detail
             FROM checked WHERE NOT valid ORDER BY ord`,
      values: batchValues(collectionKey, records, repairInvalid),
    };
  },

  /**
   * The bulk load of a batch of points (or features without geometry) into a collection that held no
   * feature when the run began: what insertFreshBatch does, without its statement's work. A point is
   * always valid, and a clash of ids fails the COPY (unique_violation) as it fails the insert.
   */
  copyFreshBatch: (): string => `COPY feature (${FRESH_COPY_COLUMNS}) FROM STDIN`,

  /** copyFreshBatch's rows, in source order (the order of `seq`); null when a geometry is not a point. */
  copyFreshRows(collectionKey: number, records: readonly FeatureRecord[]): string | null {
    let text = '';
    for (const r of records) {
      const geom = pointEwkt(r.geometry);
      if (geom === undefined) return null;
      const geometry = JSON.stringify(r.geometry);
      const properties = JSON.stringify(r.properties);
      text += `${collectionKey}\t${copyField(r.id)}\t${copyField(r.namespace)}\t${copyField(r.localId)}\t${copyField(r.versionId)}\t${copyField(r.ngsiLdId ?? null)}\t${copyField(geom)}\t${copyField(properties)}\t${copyField(r.timeStart)}\t${copyField(r.timeEnd)}\t\\\\x${contentHash(geometry, properties, r)}\n`;
    }
    return text;
  },
};
