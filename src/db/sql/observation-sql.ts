import { InvariantError } from '../../domain/errors.js';
import { parseObservationSeq, type ObservationRecord } from '../../domain/observation.js';
import type { Envelope, GeometryOutput, TimeInterval } from '../../domain/query.js';
import type { ObservationOutput, ObservationPageQuery, SeriesQuery } from '../../services/ports/sensor-ports.js';
import { copyField, copyJson } from './copy-text.js';
import { spatialCondition } from './spatial-sql.js';
import { quoteIdentifier, SqlParams, type SqlQuery } from './sql-query.js';

/** Observation rows per chunk of a page (as for features: a few strings per page, not one per row). */
const PAGE_CHUNK_ROWS = 250;

const rfc3339 = (expression: string) => `placelink_rfc3339(${expression})`;

/** The result as JSON: numbers come from result_number, everything else as stored. */
const RESULT_JSON = `coalesce(to_jsonb(o.result_number), o.result)`;

/** Timestamp from a position's epoch microseconds ('n': the missing result time). */
function instantFromMicros(params: SqlParams, micros: string): string {
  if (micros === 'n') return `'-infinity'::timestamptz`;
  return `('epoch'::timestamptz + ${params.bind(micros)}::bigint * interval '1 microsecond')`;
}

type BatchColumn = { readonly name: string; readonly type: string; readonly value: (r: ObservationRecord) => unknown };

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

const REQUIRED_COLUMNS: readonly BatchColumn[] = [
  { name: 'datastream_key', type: 'integer', value: (r) => r.datastreamKey },
  { name: 'phenomenon_time', type: 'timestamptz', value: (r) => r.phenomenonTime },
];

const OPTIONAL_COLUMNS: readonly BatchColumn[] = [
  { name: 'phenomenon_end', type: 'timestamptz', value: (r) => (r.phenomenonEnd === r.phenomenonTime ? null : r.phenomenonEnd) },
  { name: 'result_time', type: 'timestamptz', value: (r) => r.resultTime },
  { name: 'result_number', type: 'float8', value: (r) => (typeof r.result === 'number' ? r.result : null) },
  { name: 'result', type: 'jsonb', value: (r) => (typeof r.result === 'number' ? null : JSON.stringify(r.result ?? null)) },
  { name: 'result_quality', type: 'jsonb', value: (r) => json(r.resultQuality) },
  { name: 'valid_start', type: 'timestamptz', value: (r) => r.validStart },
  { name: 'valid_end', type: 'timestamptz', value: (r) => r.validEnd },
  { name: 'parameters', type: 'jsonb', value: (r) => json(r.parameters) },
  { name: 'upstream_id', type: 'text', value: (r) => r.upstreamId },
  { name: 'foi_key', type: 'integer', value: (r) => r.featureOfInterestKey },
];

/** The stored columns of an observation, in insert and COPY order. */
const COPY_COLUMNS = [
  'datastream_key', 'phenomenon_time', 'phenomenon_end', 'result_time', 'result_number', 'result',
  'result_quality', 'valid_start', 'valid_end', 'parameters', 'upstream_id', 'foi_key',
] as const;

function batchColumns(records: readonly ObservationRecord[], columns: readonly BatchColumn[]) {
  return columns.map((c) => ({ name: c.name, type: c.type, values: records.map(c.value) }));
}

/**
 * The rows of a batch that can be a datastream's newest (latest value), earliest start or latest
 * end (time extent) or longest interval (span). Times are compared in whole milliseconds here, so
 * every row within the deciding millisecond goes, and SQL settles ties exactly.
 */
function extremeRows(records: readonly ObservationRecord[]): ObservationRecord[] {
  type Extremes = { newest: number; first: number; last: number; span: number };
  const byStream = new Map<number, Extremes>();
  for (const r of records) {
    const span = r.phenomenonEndMs - r.phenomenonStartMs;
    const e = byStream.get(r.datastreamKey);
    if (!e) byStream.set(r.datastreamKey, { newest: r.phenomenonStartMs, first: r.phenomenonStartMs, last: r.phenomenonEndMs, span });
    else {
      e.newest = Math.max(e.newest, r.phenomenonStartMs);
      e.first = Math.min(e.first, r.phenomenonStartMs);
      e.last = Math.max(e.last, r.phenomenonEndMs);
      e.span = Math.max(e.span, span);
    }
  }
  return records.filter((r) => {
    const e = byStream.get(r.datastreamKey)!;
    if (r.phenomenonStartMs === e.newest || r.phenomenonStartMs === e.first || r.phenomenonEndMs === e.last) return true;
    // an instant spans nothing; an interval's ends may each lose up to a millisecond to the cut
    return r.phenomenonEnd !== r.phenomenonTime && r.phenomenonEndMs - r.phenomenonStartMs >= e.span - 1;
  });
}

/**
 * What a stored batch changes besides the observations, given \`input\` (the batch's rows) and
 * \`per_stream\` (rows stored per datastream): the latest-value table follows the newest row of each
 * datastream (a duplicate is never newer than what is stored), and the datastreams' counts and
 * spans and the observation collections' counts and time extents follow the inserts.
 */
const BOOKKEEPING = `latest AS (
               INSERT INTO observation_latest AS l (datastream_key, phenomenon_time, phenomenon_end, result_time, result_number, result, received_at)
               SELECT DISTINCT ON (datastream_key) datastream_key, phenomenon_time, phenomenon_end, result_time, result_number, result, now()
               FROM input ORDER BY datastream_key, phenomenon_time DESC, result_time DESC
               ON CONFLICT (datastream_key) DO UPDATE SET
                 phenomenon_time = EXCLUDED.phenomenon_time, phenomenon_end = EXCLUDED.phenomenon_end, result_time = EXCLUDED.result_time,
                 result_number = EXCLUDED.result_number, result = EXCLUDED.result, received_at = EXCLUDED.received_at
               WHERE (l.phenomenon_time, l.result_time) < (EXCLUDED.phenomenon_time, EXCLUDED.result_time)
             ), tallied AS (
               INSERT INTO datastream_tally AS t (datastream_key, observation_count) SELECT datastream_key, n FROM per_stream
               ON CONFLICT (datastream_key) DO UPDATE SET observation_count = t.observation_count + EXCLUDED.observation_count
             ), spans AS (
               -- a datastream's longest phenomenon interval, which bounds interval searches on the time index
               UPDATE datastream d SET phenomenon_span = s.span
               FROM (SELECT datastream_key, max(phenomenon_end - phenomenon_time) AS span FROM input GROUP BY 1) s
               WHERE d.datastream_key = s.datastream_key AND d.phenomenon_span < s.span
             ), counted AS (
               UPDATE collection c SET feature_count = c.feature_count + s.n,
                      temporal_start = least(c.temporal_start, s.t0), temporal_end = greatest(c.temporal_end, s.t1),
                      data_version = c.data_version + 1, updated_at = now()
               FROM (SELECT src.collection_key, sum(p.n) AS n, min(b.t0) AS t0, max(b.t1) AS t1
                     FROM per_stream p
                     JOIN (SELECT datastream_key, min(phenomenon_time) AS t0, max(phenomenon_end) AS t1 FROM input GROUP BY 1) b USING (datastream_key)
                     JOIN datastream d USING (datastream_key) JOIN sensor_source src USING (source_key)
                     WHERE src.collection_key IS NOT NULL GROUP BY 1) s
               WHERE c.collection_key = s.collection_key
             )`;

function keysetCondition(params: SqlParams, seq: string, operator: '>' | '<'): string {
  const position = parseObservationSeq(seq);
  if (!position) throw new InvariantError(`not an observation position: ${seq}`);
  return `(o.datastream_key, o.phenomenon_time, o.phenomenon_end, o.result_time) ${operator} (${params.bind(position.datastreamKey)}::integer, ${instantFromMicros(params, position.phenomenonTime)}, ${instantFromMicros(params, position.phenomenonEnd)}, ${instantFromMicros(params, position.resultTime)})`;
}

/**
 * Observations meeting the interval. The extra lower bound on phenomenon_time (widened by the
 * longest interval the source stored) lets partition pruning and the BRIN index skip old data.
 */
function timeCondition(params: SqlParams, sourceKey: number, time: TimeInterval | null): string[] {
  if (!time) return [];
  const conditions: string[] = [];
  if (time.end) conditions.push(`o.phenomenon_time <= ${params.bind(time.end.toISOString())}::timestamptz`);
  if (time.start) {
    const start = params.bind(time.start.toISOString());
    conditions.push(`o.phenomenon_end >= ${start}::timestamptz`);
    conditions.push(
      `o.phenomenon_time >= ${start}::timestamptz - (SELECT coalesce(max(x.phenomenon_span), '0') FROM datastream x WHERE x.source_key = ${params.bind(sourceKey)}::integer)`,
    );
  }
  return conditions;
}

/** Boxes the observation's FeatureOfInterest meets, or (without one) the sensor's current place. */
function envelopeCondition(params: SqlParams, envelopes: readonly Envelope[]): string | null {
  const sensor = spatialCondition(params, 'd.geom', envelopes);
  if (sensor === null) return null;
  const observed = spatialCondition(params, 'x.geom', envelopes);
  return `(CASE WHEN o.foi_key IS NULL THEN ${sensor} ELSE EXISTS (SELECT 1 FROM feature_of_interest x WHERE x.foi_key = o.foi_key AND ${observed}) END)`;
}

function whereClause(params: SqlParams, query: Pick<ObservationPageQuery, 'sourceKey' | 'datastreamKeys' | 'time' | 'envelopes'>, extra: readonly string[] = []): string {
  const conditions = [
    `o.datastream_key IN (SELECT x.datastream_key FROM datastream x WHERE x.source_key = ${params.bind(query.sourceKey)}::integer)`,
    query.datastreamKeys ? `o.datastream_key = ANY(${params.bind(query.datastreamKeys)}::integer[])` : null,
    ...timeCondition(params, query.sourceKey, query.time),
    envelopeCondition(params, query.envelopes),
    ...extra,
  ].filter((c): c is string => c !== null);
  return conditions.join(' AND ');
}

function geometryExpression(params: SqlParams, output: GeometryOutput): string {
  // What was observed (the FeatureOfInterest, as SensorThings has it), else the place the sensor
  // was at the phenomenon time (its history), else where it is now.
  let expression = `coalesce(fi.geom, (SELECT l.geom FROM datastream_location l WHERE l.datastream_key = o.datastream_key AND l.valid_from <= o.phenomenon_time ORDER BY l.valid_from DESC LIMIT 1), d.geom)`;
  if (output.srid !== 4326) expression = `ST_Transform(${expression}, ${params.bind(output.srid)}::integer)`;
  if (output.swapAxes) expression = `ST_FlipCoordinates(${expression})`;
  return expression;
}

/** An observation's feature properties: its datastream, times, result and FeatureOfInterest. */
const OBSERVATION_PROPERTIES = `(jsonb_strip_nulls(jsonb_build_object(
             'datastream', d.id, 'datastreamName', d.name, 'observedProperty', d.observed_property->>'name',
             'phenomenonTime', CASE WHEN o.phenomenon_end = o.phenomenon_time THEN ${rfc3339('o.phenomenon_time')}
                                    ELSE ${rfc3339('o.phenomenon_time')} || '/' || ${rfc3339('o.phenomenon_end')} END,
             'resultTime', ${rfc3339('o.result_time')}, 'unit', coalesce(d.unit->>'symbol', d.unit->>'name'),
             'resultQuality', o.result_quality, 'validTime', ${rfc3339('o.valid_start')} || '/' || ${rfc3339('o.valid_end')},
             'parameters', o.parameters, 'featureOfInterest', CASE WHEN fi.foi_key IS NOT NULL THEN jsonb_build_object('id', fi.upstream_id, 'name', fi.name) END))
             || jsonb_build_object('result', coalesce(${RESULT_JSON}, 'null'::jsonb)))::text`;

/** An observation as a GeoJSON Feature, or in parts (FeatureParts, its phenomenon time as the feature's time). */
function observationJson(params: SqlParams, output: ObservationOutput): string {
  const geometry = geometryExpression(params, output);
  const id = `to_json(placelink_observation_seq(o.datastream_key, o.phenomenon_time, o.phenomenon_end, o.result_time))::text`;
  const geojson = `coalesce(ST_AsGeoJSON(${geometry}, ${params.bind(output.decimals)}::integer, 0), 'null')`;
  if (output.encoding === 'parts') {
    return `'{"id":' || ${id} || ',"ngsiLdId":null,"geometry":' || ${geojson} || ',"properties":' || ${OBSERVATION_PROPERTIES} ||
            ',"timeStart":' || to_json(${rfc3339('o.phenomenon_time')})::text || ',"timeEnd":' || to_json(${rfc3339('o.phenomenon_end')})::text || ',"createdAt":null,"modifiedAt":null}'`;
  }
  return `'{"type":"Feature","id":' || ${id} || ',"geometry":' || ${geojson} || ',"properties":' || ${OBSERVATION_PROPERTIES} || '}'`;
}

/** The observations of a page or item with their datastream and FeatureOfInterest. */
const OBSERVATIONS = `observation o JOIN datastream d USING (datastream_key) LEFT JOIN feature_of_interest fi ON fi.foi_key = o.foi_key`;

export const observationSql = {
  /** The partition holding instant `t` (created when missing), with its bounds. */
  partition: (instant: string, grain: string): SqlQuery => ({
    name: 'observation-partition',
    text: `SELECT partition_name, lower_bound, upper_bound FROM placelink_observation_partition($1::timestamptz, $2::text)`,
    values: [instant, grain],
  }),

  listPartitions: (): SqlQuery => ({ name: 'observation-partitions', text: 'SELECT name AS partition_name, lower_bound, upper_bound FROM observation_partition ORDER BY lower_bound', values: [] }),

  /**
   * Stores a batch in one statement: rows already stored (same datastream, phenomenon time and
   * result time) are skipped, and the bookkeeping follows (see BOOKKEEPING). Columns that are null
   * in the whole batch are not sent. Returns the rows stored per datastream.
   */
  insertBatch(records: readonly ObservationRecord[]): SqlQuery {
    const sent = [...batchColumns(records, REQUIRED_COLUMNS), ...batchColumns(records, OPTIONAL_COLUMNS).filter((c) => c.values.some((v) => v !== null))];
    const has = new Set(sent.map((c) => c.name));
    const column = (name: string, type: string) => (has.has(name) ? `i.${name}` : `NULL::${type}`);
    const end = `coalesce(${column('phenomenon_end', 'timestamptz')}, i.phenomenon_time)`;
    const resultTime = `coalesce(${column('result_time', 'timestamptz')}, '-infinity')`;
    return {
      // Not prepared: planned for its arrays' lengths, which a generic plan cannot know.
      text: `WITH input AS (
               SELECT i.datastream_key, i.phenomenon_time, ${end} AS phenomenon_end, ${resultTime} AS result_time,
                      ${column('result_number', 'float8')} AS result_number, ${column('result', 'jsonb')} AS result,
                      ${column('result_quality', 'jsonb')} AS result_quality, ${column('valid_start', 'timestamptz')} AS valid_start,
                      ${column('valid_end', 'timestamptz')} AS valid_end, ${column('parameters', 'jsonb')} AS parameters,
                      ${column('upstream_id', 'text')} AS upstream_id, ${column('foi_key', 'integer')} AS foi_key
               FROM unnest(${sent.map((c, n) => `$${n + 1}::${c.type}[]`).join(', ')}) AS i(${sent.map((c) => c.name).join(', ')})
             ), inserted AS (
               INSERT INTO observation (${COPY_COLUMNS.join(', ')})
               SELECT * FROM input
               ON CONFLICT DO NOTHING
               RETURNING datastream_key
             ), per_stream AS (
               SELECT datastream_key, count(*) AS n FROM inserted GROUP BY 1
             ), ${BOOKKEEPING}
             SELECT datastream_key, n::integer AS n FROM per_stream`,
      values: sent.map((c) => c.values),
    };
  },

  /** The bulk load of a batch that holds no observation already stored (a duplicate fails it: unique_violation). */
  copyBatch: (): string => `COPY observation (${COPY_COLUMNS.join(', ')}) FROM STDIN`,

  /** The batch as COPY text rows, in copyBatch's column order. */
  copyRows(records: readonly ObservationRecord[]): string {
    let text = '';
    for (const r of records) {
      const numeric = typeof r.result === 'number';
      text += `${r.datastreamKey}\t${copyField(r.phenomenonTime)}\t${copyField(r.phenomenonEnd)}\t${copyField(r.resultTime ?? '-infinity')}\t${numeric ? r.result : '\\N'}\t${
        numeric ? '\\N' : copyField(JSON.stringify(r.result ?? null))
      }\t${copyJson(r.resultQuality)}\t${copyField(r.validStart)}\t${copyField(r.validEnd)}\t${copyJson(r.parameters)}\t${copyField(r.upstreamId)}\t${r.featureOfInterestKey ?? '\\N'}\n`;
    }
    return text;
  },

  /**
   * The bookkeeping of a batch copyBatch stored whole: the counts per datastream, and as input only
   * the rows that can decide a latest value, an extent or a span (extremeRows).
   */
  afterCopy(records: readonly ObservationRecord[]): SqlQuery {
    const perStream = new Map<number, number>();
    for (const r of records) perStream.set(r.datastreamKey, (perStream.get(r.datastreamKey) ?? 0) + 1);
    const deciding = extremeRows(records);
    const columns = batchColumns(deciding, [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS.filter((c) => ['phenomenon_end', 'result_time', 'result_number', 'result'].includes(c.name))]);
    return {
      text: `WITH input AS (
               SELECT i.datastream_key, i.phenomenon_time, coalesce(i.phenomenon_end, i.phenomenon_time) AS phenomenon_end,
                      coalesce(i.result_time, '-infinity') AS result_time, i.result_number, i.result
               FROM unnest(${columns.map((c, n) => `$${n + 3}::${c.type}[]`).join(', ')}) AS i(${columns.map((c) => c.name).join(', ')})
             ), per_stream AS (
               SELECT * FROM unnest($1::integer[], $2::bigint[]) AS p(datastream_key, n)
             ), ${BOOKKEEPING}
             SELECT 1`,
      values: [[...perStream.keys()], [...perStream.values()], ...columns.map((c) => c.values)],
    };
  },

  /** One page of a source's observations in (datastream, time) order, as chunks of GeoJSON text. */
  page(query: ObservationPageQuery): SqlQuery {
    const params = new SqlParams();
    const json = observationJson(params, query.output);
    const position = query.position;
    const backwards = position.kind === 'before';
    const keyset = position.kind === 'after' ? [keysetCondition(params, position.seq, '>')] : backwards ? [keysetCondition(params, position.seq, '<')] : [];
    const where = whereClause(params, query, keyset);
    const direction = backwards ? 'DESC' : 'ASC';
    const order = `o.datastream_key ${direction}, o.phenomenon_time ${direction}, o.phenomenon_end ${direction}, o.result_time ${direction}`;
    const offset = position.kind === 'offset' && position.offset > 0 ? ` OFFSET ${params.bind(position.offset)}::bigint` : '';
    const limit = params.bind(query.limit);
    const collection = params.bind(query.collectionKey);
    const total =
      query.countedDatastream === null
        ? `(SELECT c.feature_count FROM collection c WHERE c.collection_key = ${collection}::integer)`
        : `(SELECT coalesce((SELECT x.observation_count FROM datastream_tally x WHERE x.datastream_key = ${params.bind(query.countedDatastream)}::integer), 0))`;
    const chunk = params.bind(PAGE_CHUNK_ROWS);
    return {
      text: `WITH page AS (
               SELECT o.datastream_key, o.phenomenon_time, o.phenomenon_end, o.result_time, ${json} AS json
               FROM ${OBSERVATIONS} WHERE ${where}
               ORDER BY ${order} LIMIT ${limit}::integer + 1${offset}
             ), kept AS (
               SELECT * FROM page ORDER BY datastream_key ${direction}, phenomenon_time ${direction}, phenomenon_end ${direction}, result_time ${direction} LIMIT ${limit}::integer
             ), numbered AS (
               SELECT placelink_observation_seq(datastream_key, phenomenon_time, phenomenon_end, result_time) AS seq, json,
                      row_number() OVER (ORDER BY datastream_key, phenomenon_time, phenomenon_end, result_time) - 1 AS rn
               FROM kept
             )
             SELECT (array_agg(seq ORDER BY rn))[1] AS "firstSeq", (array_agg(seq ORDER BY rn DESC))[1] AS "lastSeq", count(*)::integer AS n,
                    string_agg(json, ',' ORDER BY rn) AS json, (SELECT count(*) FROM page) > ${limit}::integer AS more,
                    ${total}::text AS total,
                    (SELECT c.data_version FROM collection c WHERE c.collection_key = ${collection}::integer)::text AS version
             FROM numbered GROUP BY rn / ${chunk}::integer ORDER BY rn / ${chunk}::integer`,
      values: params.values,
    };
  },

  pageChunkCount: (limit: number) => Math.ceil(limit / PAGE_CHUNK_ROWS),

  datastreamSnapshot: (datastreamKey: number): SqlQuery => ({
    text: `SELECT coalesce(t.observation_count, 0)::text AS total, c.data_version::text AS version
           FROM datastream d JOIN sensor_source s USING (source_key) JOIN collection c ON c.collection_key = s.collection_key
           LEFT JOIN datastream_tally t USING (datastream_key) WHERE d.datastream_key = $1::integer`,
    values: [datastreamKey],
  }),

  cappedCount(query: Pick<ObservationPageQuery, 'sourceKey' | 'datastreamKeys' | 'time' | 'envelopes'>, cap: number): SqlQuery {
    const params = new SqlParams();
    const where = whereClause(params, query);
    return {
      text: `SELECT count(*)::integer AS n FROM (SELECT 1 FROM observation o JOIN datastream d USING (datastream_key) WHERE ${where} LIMIT ${params.bind(cap + 1)}::integer) matched`,
      values: params.values,
    };
  },

  byPosition(sourceKey: number, seq: string, output: ObservationOutput): SqlQuery {
    const params = new SqlParams();
    const position = parseObservationSeq(seq);
    if (!position) throw new InvariantError(`not an observation position: ${seq}`);
    const json = observationJson(params, output);
    return {
      text: `SELECT ${json} AS json FROM ${OBSERVATIONS}
             WHERE d.source_key = ${params.bind(sourceKey)}::integer AND o.datastream_key = ${params.bind(position.datastreamKey)}::integer
               AND o.phenomenon_time = ${instantFromMicros(params, position.phenomenonTime)} AND o.phenomenon_end = ${instantFromMicros(params, position.phenomenonEnd)}
               AND o.result_time = ${instantFromMicros(params, position.resultTime)}`,
      values: params.values,
    };
  },

  /** Raw observations or per-bucket aggregates of numeric results, of datastreams within their periods. */
  series(query: SeriesQuery): SqlQuery {
    const params = new SqlParams();
    const periods = `unnest(${params.bind(query.periods.map((p) => p.datastreamKey))}::integer[], ${params.bind(query.periods.map((p) => p.from))}::timestamptz[], ${params.bind(query.periods.map((p) => p.to))}::timestamptz[]) AS p(datastream_key, valid_from, valid_to)`;
    const within = `o.datastream_key = p.datastream_key AND o.phenomenon_time >= p.valid_from AND (p.valid_to IS NULL OR o.phenomenon_time < p.valid_to)`;
    const conditions: string[] = [];
    if (query.time?.end) conditions.push(`o.phenomenon_time <= ${params.bind(query.time.end.toISOString())}::timestamptz`);
    if (query.time?.start) conditions.push(`o.phenomenon_time >= ${params.bind(query.time.start.toISOString())}::timestamptz`);
    const limit = params.bind(query.limit);
    if (query.bucket === null) {
      return {
        text: `SELECT o.datastream_key AS "datastreamKey", ${rfc3339('o.phenomenon_time')} AS time, ${RESULT_JSON} AS value
               FROM ${periods} JOIN observation o ON ${within} WHERE ${['true', ...conditions].join(' AND ')}
               ORDER BY o.datastream_key, o.phenomenon_time, o.phenomenon_end, o.result_time LIMIT ${limit}::integer`,
        values: params.values,
      };
    }
    const bucket = params.bind(query.bucket);
    return {
      text: `SELECT o.datastream_key AS "datastreamKey", ${rfc3339(`date_trunc(${bucket}::text, o.phenomenon_time, 'UTC')`)} AS time,
                    avg(o.result_number) AS avg, min(o.result_number) AS min, max(o.result_number) AS max, count(o.result_number)::integer AS count
             FROM ${periods} JOIN observation o ON ${within} WHERE ${['true', ...conditions].join(' AND ')}
             GROUP BY o.datastream_key, date_trunc(${bucket}::text, o.phenomenon_time, 'UTC')
             ORDER BY 1, 2 LIMIT ${limit}::integer`,
      values: params.values,
    };
  },

  /** Deletes up to `batch` observations of a source older than its cutoff (the maintenance job repeats it). */
  expire: (sourceKey: number, cutoff: string, batch: number): SqlQuery => ({
    text: `WITH doomed AS (
             SELECT o.datastream_key, o.phenomenon_time, o.phenomenon_end, o.result_time FROM observation o
             WHERE o.datastream_key IN (SELECT datastream_key FROM datastream WHERE source_key = $1::integer) AND o.phenomenon_time < $2::timestamptz
             LIMIT $3::integer
           ), deleted AS (
             DELETE FROM observation o USING doomed x
             WHERE o.datastream_key = x.datastream_key AND o.phenomenon_time = x.phenomenon_time AND o.phenomenon_end = x.phenomenon_end
               AND o.result_time = x.result_time AND o.phenomenon_time < $2::timestamptz
             RETURNING o.datastream_key
           ), streams AS (
             UPDATE datastream_tally t SET observation_count = greatest(t.observation_count - c.n, 0)
             FROM (SELECT datastream_key, count(*) AS n FROM deleted GROUP BY 1) c WHERE t.datastream_key = c.datastream_key
             RETURNING 1
           ), counted AS (
             UPDATE collection c SET feature_count = greatest(c.feature_count - (SELECT count(*) FROM deleted), 0), data_version = c.data_version + 1
             FROM sensor_source s WHERE s.source_key = $1::integer AND c.collection_key = s.collection_key AND EXISTS (SELECT 1 FROM deleted)
             RETURNING 1
           )
           SELECT (SELECT count(*) FROM deleted)::integer AS deleted`,
    values: [sourceKey, cutoff, batch],
  }),

  /** Partitions entirely before `before` (candidates for dropping once empty). */
  emptyPartitionsBefore: (before: string): SqlQuery => ({
    text: `SELECT name AS partition_name FROM observation_partition WHERE upper_bound <= $1::timestamptz ORDER BY lower_bound`,
    values: [before],
  }),

  /** Partition names come from observation_partition (the catalog), never from a request. */
  partitionHasRows: (name: string): SqlQuery => ({ text: `SELECT EXISTS (SELECT 1 FROM ${quoteIdentifier(name)}) AS any`, values: [] }),
  dropPartition: (name: string): SqlQuery => ({ text: `DROP TABLE ${quoteIdentifier(name)}`, values: [] }),
  forgetPartition: (name: string): SqlQuery => ({ text: 'DELETE FROM observation_partition WHERE name = $1', values: [name] }),
};
