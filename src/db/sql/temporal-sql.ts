import type { Aggregation, AggregationMethod, HistoryFeature, HistoryQuery, TimeProperty, TimeWindow } from '../../domain/temporal.js';
import type { InstanceOwner } from '../../services/ports/history-ports.js';
import { UNIT_CODES } from '../../domain/units.js';
import { MEASURED_NAME } from './entity-sql.js';
import { quoteIdentifier, SqlParams, type SqlQuery } from './sql-query.js';

/**
 * The temporal evolution of entities (NGSI-LD clause 4.5.7) from three histories, as one set of
 * instances (position in the page, attribute, time, instance): Devices from their observations and
 * places, written entities from attribute_instance, harvested features from their versions. Time
 * filters, lastN, the instance limit and aggregation all run here, on the indexes of each history.
 *
 * Every branch gives the columns position, attribute, t (the time property's value: what filters
 * and sorts), observed_at, modified_at, instance_id, instance (stored ones), value, number (the value
 * when it is a number, for aggregates) and unit_code. The name `@location` stands for the
 * GeoProperty a feature's or a Device's geometry is.
 */

/** The filter of a time window on a column (between: from timeAt, before endTimeAt). */
function windowSql(params: SqlParams, column: string, window: TimeWindow | null): string {
  if (window === null) return 'true';
  const at = `${params.bind(window.timeAt)}::timestamptz`;
  switch (window.relation) {
    case 'before':
      return `${column} < ${at}`;
    case 'after':
      return `${column} >= ${at}`;
    case 'between':
      return `(${column} >= ${at} AND ${column} < ${params.bind(window.endTimeAt)}::timestamptz)`;
  }
}

/** An observation's instance id: its identity (datastream, phenomenon start and end, result time). */
const OBSERVATION_INSTANCE = `'urn:ngsi-ld:instance:' || md5(o.datastream_key || '/' || extract(epoch FROM o.phenomenon_time) || '/' || extract(epoch FROM o.phenomenon_end) || '/' || extract(epoch FROM o.result_time))`;

/** How instances are read: with their lateral limit and order (lastN, the instance limit), or lean for aggregation (no ids, numbers apart). */
interface Reading {
  readonly perAttribute: { readonly order: 'ASC' | 'DESC'; readonly limit: string } | null;
  readonly lean: boolean;
}

/**
 * Devices: the measured attribute from the observations (observedAt is the phenomenon time; createdAt
 * and modifiedAt are when placelink received it), `@location` from the places of the datastream
 * (not aggregated unless attrs asks for it). Each datastream's attribute name and unit code are
 * worked out once (the MATERIALIZED list), not per observation.
 */
function deviceInstances(params: SqlParams, query: HistoryQuery, reading: Reading): string {
  const devices = query.sources.devices;
  const ids = params.bind(devices.map((d) => d.datastreamId));
  const positions = params.bind(devices.map((d) => d.position));
  const names = params.bind(query.deviceAttributes);
  const codes = params.bind(JSON.stringify(UNIT_CODES));
  const observationTime = query.timeProperty === 'observedAt' ? 'o.phenomenon_time' : query.timeProperty === 'deletedAt' ? 'NULL::timestamptz' : 'o.received_at';
  const placeTime = query.timeProperty === 'deletedAt' ? 'NULL::timestamptz' : 'l.valid_from';
  const limit = reading.perAttribute ? `ORDER BY ${observationTime} ${reading.perAttribute.order} LIMIT ${reading.perAttribute.limit}` : '';
  const placeLimit = reading.perAttribute ? `ORDER BY ${placeTime} ${reading.perAttribute.order} LIMIT ${reading.perAttribute.limit}` : '';
  const instanceId = reading.lean ? 'NULL::text' : OBSERVATION_INSTANCE;
  // Aggregates take numbers from `number`; `value` then only carries what is not a number.
  const value = reading.lean ? 'o.result' : 'coalesce(to_jsonb(o.result_number), o.result)';
  const places = reading.lean ? `${names}::text[] IS NOT NULL AND '@location' = ANY(${names}::text[])` : `${names}::text[] IS NULL OR '@location' = ANY(${names}::text[])`;
  return `WITH ds AS MATERIALIZED (
            SELECT e.position, d.datastream_key, ${MEASURED_NAME} AS name, ${codes}::jsonb ->> (d.unit ->> 'symbol') AS unit_code
            FROM unnest(${ids}::text[], ${positions}::integer[]) AS e(id, position)
            JOIN datastream d ON d.id = e.id)
          SELECT ds.position, ds.name AS attribute, o.t, o.phenomenon_time AS observed_at, o.received_at AS modified_at, ${instanceId} AS instance_id,
                 NULL::jsonb AS instance, ${value} AS value, o.result_number AS number, ds.unit_code
          FROM ds
          CROSS JOIN LATERAL (SELECT o.*, ${observationTime} AS t FROM observation o
                              WHERE o.datastream_key = ds.datastream_key AND ${windowSql(params, observationTime, query.window)} ${limit}) o
          WHERE ${names}::text[] IS NULL OR ds.name = ANY(${names}::text[])
          UNION ALL
          SELECT ds.position, '@location', l.t, l.valid_from, l.valid_from, 'urn:ngsi-ld:instance:' || md5(ds.datastream_key || '/place/' || extract(epoch FROM l.valid_from)),
                 NULL::jsonb, ST_AsGeoJSON(l.geom, 9, 0)::jsonb, NULL::float8, NULL
          FROM ds
          CROSS JOIN LATERAL (SELECT l.*, ${placeTime} AS t FROM datastream_location l
                              WHERE l.datastream_key = ds.datastream_key AND ${windowSql(params, placeTime, query.window)} ${placeLimit}) l
          WHERE ${places}`;
}

/** The features of a history as bound arrays: collection keys, feature ids, positions, attribute names (JSON arrays or null). */
function featureArrays(params: SqlParams, features: readonly HistoryFeature[]): string {
  const keys = params.bind(features.map((f) => f.collectionKey));
  const ids = params.bind(features.map((f) => f.featureId));
  const positions = params.bind(features.map((f) => f.position));
  const attributes = params.bind(features.map((f) => (f.attributes ? JSON.stringify(f.attributes) : null)));
  return `unnest(${keys}::integer[], ${ids}::text[], ${positions}::integer[], ${attributes}::jsonb[]) AS e(collection_key, id, position, attributes)`;
}

const INSTANCE_TIME: Readonly<Record<TimeProperty, string>> = {
  observedAt: 'i.observed_at',
  createdAt: 'i.created_at',
  modifiedAt: 'i.modified_at',
  deletedAt: 'NULL::timestamptz',
};

/** The content of a stored instance, whatever its attribute type (clause 4.5). */
const CONTENT = `coalesce(i.instance -> 'value', i.instance -> 'object', i.instance -> 'languageMap', i.instance -> 'json', i.instance -> 'vocab', i.instance -> 'valueList', i.instance -> 'objectList')`;

/** Entities written through NGSI-LD: their stored instances. */
function writtenInstances(params: SqlParams, query: HistoryQuery): string {
  const time = INSTANCE_TIME[query.timeProperty];
  return `SELECT e.position, i.attribute, ${time} AS t, i.observed_at, i.modified_at, i.instance_id, i.instance, ${CONTENT} AS value, placelink_number(${CONTENT})::float8, i.instance ->> 'unitCode'
          FROM ${featureArrays(params, query.sources.written)}
          JOIN attribute_instance i ON i.collection_key = e.collection_key AND i.id = e.id AND (e.attributes IS NULL OR e.attributes ? i.attribute)
          WHERE ${windowSql(params, time, query.window)}`;
}

/**
 * Harvested or imported features: each attribute's value in every version and in the current row,
 * an instance wherever it differs from the version before; its time is when the version began
 * (modifiedAt: a harvest knows when it saw a value change, not when it was observed).
 */
function versionedInstances(params: SqlParams, query: HistoryQuery, reading: Reading): string {
  // Geometries are not aggregated unless attrs asks for them.
  const geometry = reading.lean ? `e.attributes ? '@location' AND s.geom IS NOT NULL` : 's.geom IS NOT NULL';
  const time = query.timeProperty === 'deletedAt' ? 'NULL::timestamptz' : 'v.valid_from';
  return `SELECT v.position, v.attribute, ${time} AS t, NULL::timestamptz, v.valid_from, v.instance_id, NULL::jsonb, v.value, placelink_number(v.value)::float8, NULL
          FROM (SELECT e.position, a.key AS attribute, s.valid_from, a.value,
                       lag(a.value) OVER (PARTITION BY e.position, a.key ORDER BY s.valid_from) AS previous,
                       'urn:ngsi-ld:instance:' || md5(e.collection_key || '/' || e.id || '/' || a.key || '/' || extract(epoch FROM s.valid_from)) AS instance_id
                FROM ${featureArrays(params, query.sources.versioned)}
                CROSS JOIN LATERAL (SELECT fv.valid_from, fv.properties, fv.geom FROM feature_version fv WHERE fv.collection_key = e.collection_key AND fv.id = e.id
                                    UNION ALL
                                    SELECT f.updated_at, f.properties, f.geom FROM feature f WHERE f.collection_key = e.collection_key AND f.id = e.id AND f.retired_at IS NULL) s
                CROSS JOIN LATERAL jsonb_each(s.properties || CASE WHEN ${geometry} THEN jsonb_build_object('@location', ST_AsGeoJSON(s.geom, 9, 0)::jsonb) ELSE '{}'::jsonb END) a
                WHERE e.attributes IS NULL OR e.attributes ? a.key) v
          WHERE v.previous IS DISTINCT FROM v.value AND ${windowSql(params, time, query.window)}`;
}

/** Every instance of the query's histories (no limits but those of lateral lastN). */
function allInstances(params: SqlParams, query: HistoryQuery, reading: Reading): string {
  const branches: string[] = [];
  if (query.sources.devices.length) branches.push(deviceInstances(params, query, reading));
  if (query.sources.written.length) branches.push(writtenInstances(params, query));
  if (query.sources.versioned.length) branches.push(versionedInstances(params, query, reading));
  return `SELECT * FROM (${branches.map((b) => `(${b})`).join(' UNION ALL ')}) AS u(${COLUMNS})`;
}

const COLUMNS = 'position, attribute, t, observed_at, modified_at, instance_id, instance, value, number, unit_code';

const AGGREGATES: Readonly<Record<AggregationMethod, string>> = {
  totalCount: 'to_jsonb(count(*))',
  distinctCount: 'to_jsonb(count(DISTINCT coalesce(to_jsonb(number), value)))',
  sum: 'to_jsonb(sum(number))',
  avg: 'to_jsonb(avg(number))',
  min: 'CASE WHEN count(number) > 0 THEN to_jsonb(min(number)) ELSE to_jsonb(min(text COLLATE "C")) END',
  max: 'CASE WHEN count(number) > 0 THEN to_jsonb(max(number)) ELSE to_jsonb(max(text COLLATE "C")) END',
  stddev: 'to_jsonb(stddev_samp(number))',
  sumsq: 'to_jsonb(sum(number * number))',
};

/**
 * Where each instance's period starts and ends: periods are laid from the origin (timeAt when the
 * window has a start, else the entity's first instance); calendar months are counted in UTC.
 */
function periodSql(params: SqlParams, aggregation: Aggregation): { start: string; end: string } {
  const { months, microseconds } = aggregation.period;
  if (months > 0) {
    const m = params.bind(months);
    const elapsed = `(extract(year FROM age(t AT TIME ZONE 'UTC', origin AT TIME ZONE 'UTC')) * 12 + extract(month FROM age(t AT TIME ZONE 'UTC', origin AT TIME ZONE 'UTC')))`;
    const start = `((origin AT TIME ZONE 'UTC') + make_interval(months => (floor(${elapsed} / ${m}::integer) * ${m}::integer)::integer)) AT TIME ZONE 'UTC'`;
    return { start, end: `((${start}) AT TIME ZONE 'UTC' + make_interval(months => ${m}::integer)) AT TIME ZONE 'UTC'` };
  }
  if (microseconds > 0) {
    const stride = `make_interval(secs => ${params.bind(microseconds / 1e6)}::float8)`;
    return { start: `date_bin(${stride}, t, origin)`, end: `date_bin(${stride}, t, origin) + ${stride}` };
  }
  return { start: 'origin', end: 'finish' };
}

export const temporalSql = {
  /**
   * The instances of the query, oldest first per attribute. At most `instanceLimit` per entity: the
   * oldest ones, or with lastN the newest; `cut` says an entity had more.
   */
  instances(query: HistoryQuery): SqlQuery {
    const params = new SqlParams();
    const limit = params.bind(query.instanceLimit);
    const lastN = query.lastN === null ? null : params.bind(query.lastN);
    const sortTime = 'coalesce(t, modified_at)';
    const instances = allInstances(params, query, { perAttribute: lastN ? { order: 'DESC', limit: `${lastN}::integer` } : { order: 'ASC', limit: `${limit}::integer + 1` }, lean: false });
    const last = lastN
      ? `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY position, attribute ORDER BY ${sortTime} DESC, instance_id) AS from_end FROM instances) i WHERE from_end <= ${lastN}::integer`
      : 'SELECT * FROM instances';
    const kept = lastN ? `${sortTime} DESC, attribute, instance_id` : `${sortTime}, attribute, instance_id`;
    return {
      text: `WITH instances AS (${instances}),
             last AS (${last}),
             numbered AS (SELECT *, row_number() OVER (PARTITION BY position ORDER BY ${kept}) AS n, count(*) OVER (PARTITION BY position) AS total FROM last),
             firsts AS (SELECT *, min(n) OVER (PARTITION BY position, attribute) AS first_n FROM numbered)
             -- an attribute whose instances are all past the limit still shows, as one row without an instance
             SELECT position, attribute, placelink_rfc3339(t) AS time, CASE WHEN n <= ${limit}::integer THEN instance_id END AS "instanceId", instance, value,
                    placelink_rfc3339(observed_at) AS "observedAt", placelink_rfc3339(modified_at) AS "modifiedAt", unit_code AS "unitCode", total > ${limit}::integer AS cut
             FROM firsts WHERE n <= ${limit}::integer OR n = first_n
             ORDER BY position, attribute, ${sortTime}, instance_id`,
      values: params.values,
    };
  },

  /**
   * Each attribute's first and last instance time: where aggregation periods start when the window
   * does not say (the laterals read one observation each way on the index).
   */
  bounds(query: HistoryQuery): SqlQuery {
    const params = new SqlParams();
    const first = allInstances(params, query, { perAttribute: { order: 'ASC', limit: '1' }, lean: true });
    const last = allInstances(params, query, { perAttribute: { order: 'DESC', limit: '1' }, lean: true });
    return {
      text: `SELECT position, attribute, placelink_rfc3339(min(t)) AS first, placelink_rfc3339(max(t)) AS last FROM ((${first}) UNION ALL (${last})) i WHERE t IS NOT NULL GROUP BY position, attribute`,
      values: params.values,
    };
  },

  /**
   * Each attribute's instances aggregated per period with the methods asked for. Periods are laid from
   * an origin (timeAt when the window has a start, else the attribute's first instance) and, for one
   * period over the whole range, end at the window's end or the last instance. A bound without an
   * attribute holds for all of its entity's attributes.
   */
  aggregated(query: HistoryQuery, aggregation: Aggregation, bounds: readonly { position: number; attribute: string | null; origin: string; finish: string }[]): SqlQuery {
    const params = new SqlParams();
    const instances = allInstances(params, query, { perAttribute: null, lean: true });
    const positions = params.bind(bounds.map((b) => b.position));
    const attributes = params.bind(bounds.map((b) => b.attribute));
    const origins = params.bind(bounds.map((b) => b.origin));
    const finishes = params.bind(bounds.map((b) => b.finish));
    const { start, end } = periodSql(params, aggregation);
    const methods = aggregation.methods.map((method) => `'${method}', ${AGGREGATES[method]}`).join(', ');
    return {
      text: `WITH periods AS (
               SELECT i.position, i.attribute, coalesce(i.instance ->> 'type', 'Property') AS type, i.value, i.number,
                      CASE WHEN jsonb_typeof(i.value) = 'string' THEN i.value #>> '{}' END AS text, ${start} AS period_start, ${end} AS period_end
               FROM (${instances}) i
               JOIN unnest(${positions}::integer[], ${attributes}::text[], ${origins}::timestamptz[], ${finishes}::timestamptz[]) AS b(position, attribute, origin, finish)
                 ON b.position = i.position AND (b.attribute IS NULL OR b.attribute = i.attribute)
               WHERE i.t IS NOT NULL)
             SELECT position, attribute, min(type) AS type, placelink_rfc3339(period_start) AS start, placelink_rfc3339(period_end) AS "end", jsonb_build_object(${methods}) AS values
             FROM periods
             GROUP BY position, attribute, period_start, period_end
             ORDER BY position, attribute, period_start`,
      values: params.values,
    };
  },
};

/** Keeping the version table's partitions ahead and its history within the retention. */
export const historyMaintenanceSql = {
  /** The month partition of feature_version holding `t`, created when missing. */
  ensurePartition: (t: string): SqlQuery => ({ text: 'SELECT placelink_version_partition($1::timestamptz) AS name', values: [t] }),
  /** Partitions whose versions all ended before the cutoff. */
  partitionsBefore: (cutoff: string): SqlQuery => ({ text: 'SELECT name FROM feature_version_partition WHERE upper_bound <= $1::timestamptz ORDER BY lower_bound', values: [cutoff] }),
  /** Partition names come from feature_version_partition (the catalog), never from a request. */
  dropPartition: (name: string): SqlQuery => ({ text: `DROP TABLE IF EXISTS ${quoteIdentifier(name)}`, values: [] }),
  forgetPartition: (name: string): SqlQuery => ({ text: 'DELETE FROM feature_version_partition WHERE name = $1', values: [name] }),
  expireDefaultVersions: (cutoff: string): SqlQuery => ({ text: 'WITH d AS (DELETE FROM feature_version_default WHERE valid_to < $1::timestamptz RETURNING 1) SELECT count(*)::integer AS n FROM d', values: [cutoff] }),
  /** Instances older than the cutoff, except those an entity still has (its current values). */
  expireInstances: (cutoff: string): SqlQuery => ({
    text: `WITH d AS (DELETE FROM attribute_instance i
           WHERE i.modified_at < $1::timestamptz AND coalesce(i.observed_at, i.modified_at) < $1::timestamptz
             AND NOT EXISTS (SELECT 1 FROM feature f CROSS JOIN LATERAL jsonb_each(f.ngsi_attributes) a CROSS JOIN LATERAL placelink_instances(a.value) x
                             WHERE f.collection_key = i.collection_key AND f.id = i.id AND x ->> 'instanceId' = i.instance_id)
           RETURNING 1)
           SELECT count(*)::integer AS n FROM d`,
    values: [cutoff],
  }),
};

/** The stored instances of written entities, changed one attribute or instance at a time. */
export const instanceWriteSql = {
  removeAttribute: (owner: InstanceOwner, datasetId: string | null, all: boolean): SqlQuery => ({
    text: `WITH d AS (DELETE FROM attribute_instance WHERE collection_key = $1 AND id = $2 AND attribute = $3
                        AND ($5::boolean OR (instance ->> 'datasetId') IS NOT DISTINCT FROM $4::text) RETURNING 1)
           SELECT count(*)::integer AS n FROM d`,
    values: [owner.collectionKey, owner.featureId, owner.attribute, datasetId, all],
  }),
  removeInstance: (owner: InstanceOwner, instanceId: string): SqlQuery => ({
    text: 'DELETE FROM attribute_instance WHERE collection_key = $1 AND id = $2 AND attribute = $3 AND instance_id = $4 RETURNING 1 AS removed',
    values: [owner.collectionKey, owner.featureId, owner.attribute, instanceId],
  }),
  patchInstance: (owner: InstanceOwner, instanceId: string, members: Readonly<Record<string, unknown>>): SqlQuery => ({
    text: `UPDATE attribute_instance
           SET instance = instance || $5::jsonb || jsonb_build_object('modifiedAt', placelink_rfc3339(now())),
               observed_at = placelink_timestamp((instance || $5::jsonb) -> 'observedAt'), modified_at = now()
           WHERE collection_key = $1 AND id = $2 AND attribute = $3 AND instance_id = $4
           RETURNING 1 AS patched`,
    values: [owner.collectionKey, owner.featureId, owner.attribute, instanceId, JSON.stringify(members)],
  }),
};
