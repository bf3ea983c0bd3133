import { createHash } from 'node:crypto';
import type { EntityCondition, EntityGeoFilter, EntityLiteral, EntityPath, EntityQuery, EntitySelection, ScopeCondition } from '../../domain/entity.js';
import { DEVICE_COLLECTION_KEY } from '../../domain/entity.js';
import { UNIT_CODES } from '../../domain/units.js';
import { SqlParams, type SqlQuery } from './sql-query.js';

/**
 * NGSI-LD entities over the feature rows of entity collections: every filter runs in PostgreSQL on
 * the rows' columns (the GIN index on properties for equality, the GiST index on the geometry for
 * geo-queries; the query geometry is never the column transformed).
 */

/** The metres of one degree of latitude; a degree of longitude is shorter, so a box this wide always covers the distance. */
const METRES_PER_DEGREE = 111_132;

/**
 * An entity row as one JSON text (parsed by entity-repository.ts). Features of collections with
 * linked sensors also carry `refDevice`: Relationships to the Devices of their current links.
 */
function entityJson(linked: boolean): string {
  const refDevice = `(SELECT CASE count(*) WHEN 0 THEN NULL WHEN 1 THEN to_jsonb(min(${DEVICE_ID})) ELSE jsonb_agg(${DEVICE_ID} ORDER BY d.id) END
                       FROM asset_link l JOIN datastream d USING (datastream_key)
                       WHERE l.collection_key = f.collection_key AND l.asset_id = f.id AND l.valid_to IS NULL)`;
  const properties = linked ? `f.properties || jsonb_strip_nulls(jsonb_build_object('refDevice', ${refDevice}))` : 'f.properties';
  const attributes = linked
    ? `CASE WHEN f.ngsi_attributes IS NULL THEN NULL ELSE f.ngsi_attributes || jsonb_strip_nulls(jsonb_build_object('refDevice',
         CASE WHEN ${refDevice} IS NOT NULL THEN jsonb_build_object('type', 'Relationship', 'object', ${refDevice}) END)) END`
    : 'f.ngsi_attributes';
  return `json_build_object('c', f.collection_key, 'id', f.ngsi_ld_id, 'f', CASE WHEN f.collection_key <> ${DEVICE_COLLECTION_KEY} THEN f.id END, 'g', ST_AsGeoJSON(f.geom, 9, 0)::json, 'p', ${properties}, 'a', ${attributes},
                            'cr', placelink_rfc3339(f.created_at), 'mo', placelink_rfc3339(f.updated_at), 's', f.ngsi_scopes)::text`;
}

/** The entity ids of Devices: this prefix and the datastream id. */
export const DEVICE_ID_PREFIX = 'urn:ngsi-ld:Device:';
const DEVICE_ID = `'${DEVICE_ID_PREFIX}' || d.id`;

/**
 * The name of the measured attribute of the Device of datastream `d`: its observed property's name in
 * lower camel case ("air temperature" → airTemperature), or `measurement` (the SQL function of
 * migration 0040, which the change log of subscriptions names it with too).
 */
export const MEASURED_NAME = `placelink_device_attribute(d.observed_property)`;

/**
 * Each datastream as an NGSI-LD Device (Smart Data Models) in the columns of a feature row: its name,
 * the observed property (controlledProperty), its latest value with observedAt and unitCode, its place,
 * and a Relationship to each asset it is currently linked to (with the link's rule and distance).
 * $codes: UN/CEFACT codes of unit symbols.
 */
function deviceRows(params: SqlParams): string {
  const codes = params.bind(JSON.stringify(UNIT_CODES));
  const link = `jsonb_build_object('type', 'Relationship', 'object', a.ngsi_ld_id, 'rule', jsonb_build_object('type', 'Property', 'value', l.rule))
                || CASE WHEN l.distance_m IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('distance', jsonb_build_object('type', 'Property', 'value', l.distance_m, 'unitCode', 'MTR')) END`;
  return `(SELECT ${DEVICE_COLLECTION_KEY} AS collection_key, d.datastream_key::bigint AS seq, ${DEVICE_ID} AS ngsi_ld_id, d.id, d.geom, NULL::timestamptz AS retired_at,
                  d.created_at, d.updated_at, NULL::text[] AS ngsi_scopes,
                  jsonb_strip_nulls(jsonb_build_object('name', d.name, 'description', d.description, 'category', 'sensor',
                    'controlledProperty', d.observed_property ->> 'name', 'controlledAsset', c.objects)) || jsonb_strip_nulls(jsonb_build_object(${MEASURED_NAME}, v.value)) AS properties,
                  jsonb_strip_nulls(jsonb_build_object(
                    'name', jsonb_build_object('type', 'Property', 'value', d.name),
                    'description', CASE WHEN d.description IS NOT NULL THEN jsonb_build_object('type', 'Property', 'value', d.description) END,
                    'category', jsonb_build_object('type', 'Property', 'value', 'sensor'),
                    'controlledProperty', CASE WHEN d.observed_property ->> 'name' IS NOT NULL THEN jsonb_build_object('type', 'Property', 'value', d.observed_property ->> 'name') END,
                    ${MEASURED_NAME}, CASE WHEN v.value IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object('type', 'Property', 'value', v.value,
                      'observedAt', placelink_rfc3339(o.phenomenon_time), 'unitCode', ${codes}::jsonb ->> (d.unit ->> 'symbol'))) END,
                    'controlledAsset', c.instances,
                    'location', CASE WHEN d.geom IS NOT NULL THEN jsonb_build_object('type', 'GeoProperty', 'value', ST_AsGeoJSON(d.geom, 9, 0)::jsonb) END)) AS ngsi_attributes
           FROM datastream d
           LEFT JOIN observation_latest o USING (datastream_key)
           CROSS JOIN LATERAL (SELECT coalesce(to_jsonb(o.result_number), o.result) AS value) v
           LEFT JOIN LATERAL (
             SELECT CASE count(*) WHEN 0 THEN NULL WHEN 1 THEN to_jsonb(min(a.ngsi_ld_id)) ELSE jsonb_agg(a.ngsi_ld_id ORDER BY a.ngsi_ld_id) END AS objects,
                    CASE count(*) WHEN 0 THEN NULL WHEN 1 THEN (array_agg(${link}))[1]
                         ELSE jsonb_agg(${link} || jsonb_build_object('datasetId', 'urn:ngsi-ld:Dataset:link:' || l.link_id) ORDER BY a.ngsi_ld_id) END AS instances
             FROM asset_link l JOIN feature a ON a.collection_key = l.collection_key AND a.id = l.asset_id AND a.retired_at IS NULL AND a.ngsi_ld_id IS NOT NULL
             WHERE l.datastream_key = d.datastream_key AND l.valid_to IS NULL) c ON true) f`;
}

/** The JSON value at a path: a value (keyValues in properties), a sub-attribute's value or a metadata member (stored attributes). */
function valueAt(params: SqlParams, path: EntityPath): string {
  let value: string;
  if (path.subAttributes.length === 0) value = `(f.properties -> ${params.bind(path.attribute)}::text)`;
  else {
    // A sub-attribute is an object with its own value (or object); metadata (observedAt, unitCode …) is a plain member.
    const chain = [path.attribute, ...path.subAttributes].map((name) => `-> ${params.bind(name)}::text`).join(' ');
    const node = `(CASE WHEN jsonb_typeof(f.ngsi_attributes -> ${params.bind(path.attribute)}::text) = 'array' THEN NULL ELSE f.ngsi_attributes ${chain} END)`;
    value = `(CASE WHEN jsonb_typeof(${node}) = 'object' THEN coalesce(${node} -> 'value', ${node} -> 'object') ELSE ${node} END)`;
  }
  for (const member of path.members) value = `(${value} -> ${params.bind(member)}::text)`;
  if (path.language !== null && path.language !== '*') value = `(${value} -> ${params.bind(path.language)}::text)`;
  return value;
}

/** A literal as the JSON value it equals (DateTime values may be typed literals, see timeOf). */
function literalJson(literal: EntityLiteral): string {
  return JSON.stringify(literal.value);
}

/** A stored value as a timestamp: an RFC 3339 string, or a JSON-LD typed literal {"@type": "DateTime", "@value": …}. */
const timeOf = (value: string) => `placelink_timestamp(coalesce(${value} -> '@value', ${value}))`;
const dateOf = (value: string) => `placelink_date(coalesce(${value} -> '@value', ${value}))`;
const textOf = (value: string) => `(CASE WHEN jsonb_typeof(${value}) = 'string' THEN ${value} #>> '{}' END)`;

/** A comparable SQL expression of a stored value and of a literal of the same kind; values of other kinds give null. */
function comparable(params: SqlParams, value: string, literal: EntityLiteral): [string, string] {
  switch (literal.kind) {
    case 'number':
      return [`placelink_number(${value})`, `${params.bind(literal.value)}::numeric`];
    case 'boolean':
      return [`placelink_boolean(${value})`, `${params.bind(literal.value)}::boolean`];
    case 'dateTime':
      return [timeOf(value), `${params.bind(literal.value)}::timestamptz`];
    case 'date':
      return [dateOf(value), `${params.bind(literal.value)}::date`];
    case 'time':
    case 'string':
    case 'uri':
      return [`${textOf(value)} COLLATE "C"`, `${params.bind(literal.value)}::text COLLATE "C"`];
  }
}

/** A value of an array matches if any element does (clause 4.9). */
function anyElement(value: string, test: (element: string) => string): string {
  return `(${test(value)} OR (jsonb_typeof(${value}) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(${value}) AS e(v) WHERE ${test('e.v')})))`;
}

function equalsOne(params: SqlParams, path: EntityPath, literal: EntityLiteral): string {
  const plain = path.subAttributes.length === 0 && path.members.length === 0 && path.language === null;
  if (plain && (literal.kind === 'number' || literal.kind === 'string' || literal.kind === 'uri' || literal.kind === 'boolean')) {
    // jsonb containment: exact in type and value, and served by the GIN index on properties.
    const json = literalJson(literal);
    const single = JSON.stringify({ [path.attribute]: JSON.parse(json) as unknown });
    const inArray = JSON.stringify({ [path.attribute]: [JSON.parse(json) as unknown] });
    return `(f.properties @> ${params.bind(single)}::jsonb OR f.properties @> ${params.bind(inArray)}::jsonb)`;
  }
  return anyElement(valueAt(params, path), (value) => {
    const [left, right] = comparable(params, value, literal);
    return `${left} = ${right}`;
  });
}

function languageValues(params: SqlParams, path: EntityPath, test: (value: string) => string): string {
  if (path.language !== '*') return test(valueAt(params, path));
  return `EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof(${valueAt(params, { ...path, language: null })}) = 'object' THEN ${valueAt(params, { ...path, language: null })} END) AS l(k, v) WHERE ${test('l.v')})`;
}

function conditionSql(params: SqlParams, condition: EntityCondition): string {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return `(${condition.operands.map((c) => conditionSql(params, c)).join(condition.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'never':
      return 'false';
    case 'exists': {
      const path = condition.path;
      if (path.subAttributes.length === 0 && path.members.length === 0 && path.language === null) return `f.properties ? ${params.bind(path.attribute)}::text`;
      return languageValues(params, path, (value) => `${value} IS NOT NULL`);
    }
    case 'equals': {
      const { path } = condition;
      const matches = `(${condition.values.map((literal) => (path.language === '*' ? languageValues(params, path, (v) => { const [l, r] = comparable(params, v, literal); return `${l} = ${r}`; }) : equalsOne(params, path, literal))).join(' OR ')})`;
      // != : the attribute is there and none of the values matches (values of other types count as unequal).
      return condition.negated ? `(${languageValues(params, path, (value) => `${value} IS NOT NULL`)} AND NOT coalesce(${matches}, false))` : matches;
    }
    case 'range': {
      const inRange = languageValues(params, condition.path, (value) =>
        anyElement(value, (element) => {
          const [low, lowBound] = comparable(params, element, condition.low);
          const [, highBound] = comparable(params, element, condition.high);
          return `(${low} >= ${lowBound} AND ${low} <= ${highBound})`;
        }),
      );
      return condition.negated ? `(${languageValues(params, condition.path, (v) => `${v} IS NOT NULL`)} AND NOT coalesce(${inRange}, false))` : inRange;
    }
    case 'compare':
      return languageValues(params, condition.path, (value) =>
        anyElement(value, (element) => {
          const [left, right] = comparable(params, element, condition.value);
          return `${left} ${condition.operator} ${right}`;
        }),
      );
    case 'pattern': {
      const matches = languageValues(params, condition.path, (value) => anyElement(value, (element) => `${textOf(element)} ~ ${params.bind(condition.pattern)}::text`));
      return condition.negated ? `(${languageValues(params, condition.path, (v) => `${v} IS NOT NULL`)} AND NOT coalesce(${matches}, false))` : matches;
    }
  }
}

/** The geometry a geo-query tests: the feature geometry (`location`) or a stored GeoProperty's value. */
function geometryOf(params: SqlParams, attribute: string | null): string {
  if (attribute === null) return 'f.geom';
  return `ST_SetSRID(ST_GeomFromGeoJSON(CASE WHEN jsonb_typeof(f.ngsi_attributes -> ${params.bind(attribute)}::text -> 'value') = 'object' THEN f.ngsi_attributes -> ${params.bind(attribute)}::text -> 'value' END), 4326)`;
}

/** Geo-queries (clause 4.10) with the Simple Features relations of PostGIS; `near` on the WGS 84 ellipsoid, behind a box on the index. */
function geoSql(params: SqlParams, geo: EntityGeoFilter): string {
  const given = `ST_SetSRID(ST_GeomFromGeoJSON(${params.bind(JSON.stringify(geo.geometry))}::text), 4326)`;
  // A self-intersecting polygon is repaired as stored geometries are (GEOS refuses relations on invalid input).
  const reference = `(CASE WHEN ST_IsValid(${given}) THEN ${given} ELSE ST_MakeValid(${given}) END)`;
  const target = geometryOf(params, geo.attribute);
  const indexed = geo.attribute === null;
  switch (geo.relation) {
    case 'near-max': {
      const metres = params.bind(geo.distance);
      // Degrees that cover the distance in any direction up to ±85° latitude; the exact test follows.
      const box = indexed ? `ST_DWithin(${target}, ${reference}, ${metres}::float8 / ${METRES_PER_DEGREE} / greatest(cos(radians(least(abs(ST_YMax(${reference})), 85))), 0.0872)) AND ` : '';
      return `(${box}ST_DWithin(${target}::geography, ${reference}::geography, ${metres}::float8))`;
    }
    case 'near-min':
      return `(${target} IS NOT NULL AND NOT ST_DWithin(${target}::geography, ${reference}::geography, ${params.bind(geo.distance)}::float8))`;
    case 'equals':
      return `(${target} && ${reference} AND ST_Equals(${target}, ${reference}))`;
    case 'disjoint':
      return `(${target} IS NOT NULL AND ST_Disjoint(${target}, ${reference}))`;
    case 'intersects':
      return `ST_Intersects(${target}, ${reference})`;
    case 'within':
      return `ST_Within(${target}, ${reference})`;
    case 'contains':
      return `ST_Contains(${target}, ${reference})`;
    case 'overlaps':
      return `(${target} && ${reference} AND ST_Overlaps(${target}, ${reference}))`;
  }
}

function selectionSql(params: SqlParams, selection: EntitySelection): string {
  const conditions = [`f.collection_key = ANY(${params.bind(selection.collectionKeys)}::integer[])`];
  if (selection.condition) conditions.push(conditionSql(params, selection.condition));
  if (selection.anyAttribute) {
    const any = `f.properties ?| ${params.bind(selection.anyAttribute)}::text[]`;
    conditions.push(selection.withLocation ? `(${any} OR f.geom IS NOT NULL)` : any);
  }
  if (selection.geo) conditions.push(geoSql(params, selection.geo));
  return `(${conditions.join(' AND ')})`;
}

/** scopeQ: each pattern matched by one of the entity's scopes. */
function scopeSql(params: SqlParams, condition: ScopeCondition): string {
  if (condition.kind === 'scope') return `EXISTS (SELECT 1 FROM unnest(f.ngsi_scopes) AS s(scope) WHERE s.scope ~ ${params.bind(condition.pattern)}::text)`;
  return `(${condition.operands.map((c) => scopeSql(params, c)).join(condition.kind === 'and' ? ' AND ' : ' OR ')})`;
}

function whereClause(params: SqlParams, parts: readonly EntitySelection[], query: Pick<EntityQuery, 'ids' | 'idPattern' | 'scopes'>): string {
  const conditions = ['f.retired_at IS NULL', 'f.ngsi_ld_id IS NOT NULL', `(${parts.map((part) => selectionSql(params, part)).join(' OR ')})`];
  if (query.ids) conditions.push(`f.ngsi_ld_id = ANY(${params.bind(query.ids)}::text[])`);
  if (query.idPattern !== null) conditions.push(`f.ngsi_ld_id ~ ${params.bind(query.idPattern)}::text`);
  if (query.scopes) conditions.push(scopeSql(params, query.scopes));
  return conditions.join(' AND ');
}

const isDevices = (part: EntitySelection) => part.collectionKeys.includes(DEVICE_COLLECTION_KEY);

/**
 * The query's entity rows: from the feature table (features of collections with linked sensors apart,
 * as they carry refDevice) and, when Devices are asked for, from the datastreams.
 */
function entityRows(params: SqlParams, query: EntityQuery, columns: (linked: boolean) => string): string {
  const branches: string[] = [];
  const features = query.parts.filter((p) => !isDevices(p));
  for (const linked of [false, true]) {
    const parts = features.filter((p) => p.linked === linked);
    if (parts.length) branches.push(`SELECT ${columns(linked)} FROM feature f WHERE ${whereClause(params, parts, query)}`);
  }
  const devices = query.parts.filter(isDevices);
  if (devices.length) branches.push(`SELECT ${columns(false)} FROM ${deviceRows(params)} WHERE ${whereClause(params, devices, query)}`);
  return branches.join(' UNION ALL ');
}

export const entitySql = {
  /** A page of entities in a stable order (collection, then feature position). */
  page(query: EntityQuery): SqlQuery {
    const params = new SqlParams();
    const rows = entityRows(params, query, (linked) => `${entityJson(linked)} AS json, f.collection_key, f.seq`);
    return {
      text: `SELECT json FROM (${rows}) e ORDER BY collection_key, seq LIMIT ${params.bind(query.limit)}::integer OFFSET ${params.bind(query.offset)}::bigint`,
      values: params.values,
    };
  },

  count(query: EntityQuery): SqlQuery {
    const params = new SqlParams();
    return { text: `SELECT count(*)::bigint AS n FROM (${entityRows(params, query, () => '1')}) e`, values: params.values };
  },

  /**
   * Per collection, each attribute its entities hold with the types it comes in: the names of stored
   * attributes (types from the instance, or the first of several), and location where there is a geometry.
   */
  attributeUses(collectionKeys: readonly number[]): SqlQuery {
    const params = new SqlParams();
    const keys = params.bind(collectionKeys);
    const source = collectionKeys.includes(DEVICE_COLLECTION_KEY)
      ? `(SELECT collection_key, seq, ngsi_ld_id, geom, retired_at, ngsi_attributes FROM feature UNION ALL SELECT collection_key, seq, ngsi_ld_id, geom, retired_at, ngsi_attributes FROM ${deviceRows(params)})`
      : 'feature';
    return {
      text: `SELECT f.collection_key AS "collectionKey", a.key AS name, array_agg(DISTINCT coalesce(a.value ->> 'type', a.value -> 0 ->> 'type', 'Property')) AS types,
                    count(DISTINCT f.seq)::integer AS entities
             FROM ${source} f CROSS JOIN LATERAL jsonb_each(coalesce(f.ngsi_attributes, '{}'::jsonb)) a
             WHERE f.collection_key = ANY(${keys}::integer[]) AND f.retired_at IS NULL AND f.ngsi_ld_id IS NOT NULL
             GROUP BY 1, 2
             UNION ALL
             SELECT f.collection_key, 'location', ARRAY['GeoProperty'], count(*)::integer
             FROM ${source} f
             WHERE f.collection_key = ANY(${keys}::integer[]) AND f.retired_at IS NULL AND f.ngsi_ld_id IS NOT NULL AND f.geom IS NOT NULL
               AND NOT coalesce(f.ngsi_attributes ? 'location', false)
             GROUP BY 1`,
      values: params.values,
    };
  },

  deviceCount: (): SqlQuery => ({ name: 'entity-device-count', text: 'SELECT count(*)::integer AS n FROM datastream', values: [] }),

  /**
   * One entity by id among the given collections (features of linked collections with refDevice;
   * Devices from the datastreams); null when none of them can hold it. Prepared per shape: the few
   * shapes (which branches) come back on every retrieval.
   */
  byId(collectionKeys: readonly number[], linkedKeys: readonly number[], id: string): SqlQuery | null {
    const params = new SqlParams();
    const part = (keys: readonly number[], linked: boolean): EntitySelection => ({ collectionKeys: keys, condition: null, anyAttribute: null, withLocation: false, geo: null, linked });
    const features = collectionKeys.filter((k) => k !== DEVICE_COLLECTION_KEY);
    const linked = features.filter((k) => linkedKeys.includes(k));
    const plain = features.filter((k) => !linkedKeys.includes(k));
    const parts = [
      ...(plain.length ? [part(plain, false)] : []),
      ...(linked.length ? [part(linked, true)] : []),
      // Only a Device's id can name a Device: other ids need not read the datastreams.
      ...(collectionKeys.includes(DEVICE_COLLECTION_KEY) && id.startsWith(DEVICE_ID_PREFIX) ? [part([DEVICE_COLLECTION_KEY], false)] : []),
    ];
    if (parts.length === 0) return null;
    const rows = entityRows(params, { parts, ids: [id], idPattern: null, limit: 1, offset: 0, count: false }, (isLinked) => `${entityJson(isLinked)} AS json, f.collection_key`);
    const text = `SELECT json FROM (${rows}) e ORDER BY collection_key LIMIT 1`;
    return { name: `entity-by-id-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text, values: params.values };
  },
};
