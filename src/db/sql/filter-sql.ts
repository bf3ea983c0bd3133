import { InvariantError } from '../../domain/errors.js';
import type {
  ArrayRelation,
  ComparisonOperator,
  FeatureField,
  FilterCondition,
  FilterValue,
  ScalarType,
  SpatialRelation,
  TemporalBound,
  TemporalExtent,
  TemporalRelation,
  ValueType,
} from '../../domain/filter.js';
import type { SqlParams } from './sql-query.js';

/**
 * Translates a typed filter (src/domain/filter.ts) into a condition on `feature f`. Every value
 * and property name is a bound parameter; the helper functions of migration 0020 read property
 * values without ever raising an error (a value of the wrong type reads as null), so a filter
 * that passed resolution cannot make the statement fail.
 *
 * Three-valued logic: comparisons with a missing value are unknown, and NOT unknown is unknown.
 * Where a condition is not under NOT (or IS NULL) unknown and false select the same features, so
 * there equality on a property is written as jsonb containment, which the GIN index answers.
 */

/** Binary collation: strings compare and sort by code point, as the OGC CQL2 test results assume. */
const BINARY = 'COLLATE "C"';

const READ: Record<Exclude<ValueType, 'string' | 'geometry'>, string> = {
  number: 'placelink_number',
  boolean: 'placelink_boolean',
  date: 'placelink_date',
  timestamp: 'placelink_timestamp',
  array: 'placelink_array',
};

const CAST: Record<ScalarType, string> = { string: 'text', number: 'numeric', boolean: 'boolean', date: 'date', timestamp: 'timestamptz' };

/** The relation names placelink_spatial understands (a closed vocabulary, so written into the statement). */
const SPATIAL: Record<SpatialRelation, string> = {
  intersects: "'intersects'",
  equals: "'equals'",
  disjoint: "'disjoint'",
  touches: "'touches'",
  within: "'within'",
  overlaps: "'overlaps'",
  crosses: "'crosses'",
  contains: "'contains'",
};

/**
 * Every relation but disjointness implies that the bounding boxes meet, which `&&` tests with the
 * GiST index; placelink_spatial then decides the relation exactly (or unknown where GEOS cannot).
 */
function spatialCondition(relation: SpatialRelation, l: string, r: string): string {
  const exact = `placelink_spatial(${SPATIAL[relation]}, ${l}, ${r})`;
  return relation === 'disjoint' ? `(NOT (${l} && ${r}) OR ${exact})` : `(${l} && ${r} AND ${exact})`;
}

const FUNCTIONS: Record<string, (args: string[]) => string> = {
  s_area: ([g]) => `placelink_geodesic_area(${g})`,
  s_length: ([g]) => `placelink_geodesic_length(${g})`,
  s_distance: ([a, b]) => `placelink_geodesic_distance(${a}, ${b})`,
  s_dwithin: ([a, b, d]) => `placelink_geodesic_dwithin(${a}, ${b}, ${d})`,
  char_length: ([s]) => `char_length(${s})::numeric`,
};

/** SQL reading a feature member as a value of `type`. */
export function fieldExpression(params: SqlParams, field: FeatureField, type: ValueType): string {
  switch (field.source) {
    case 'id':
      return 'f.id';
    case 'geometry':
      return 'f.geom';
    case 'time':
      return 'f.time_start';
    case 'property': {
      const key = params.bind(field.name);
      if (type === 'string') return `(f.properties ->> ${key})`;
      if (type === 'geometry') throw new InvariantError('a property cannot be read as a geometry');
      return `${READ[type]}(f.properties -> ${key})`;
    }
  }
}

function valueExpression(params: SqlParams, value: FilterValue): string {
  switch (value.kind) {
    case 'literal':
      return `${params.bind(value.value)}::${CAST[value.type]}`;
    case 'field':
      return fieldExpression(params, value.field, value.type);
    case 'geometry':
      return `placelink_filter_geometry(${params.bind(value.geojson)}::text)`;
    case 'array':
      return `${params.bind(value.json)}::jsonb`;
    case 'arithmetic':
      return `placelink_arithmetic(${params.bind(value.operator)}::text, ${valueExpression(params, value.left)}, ${valueExpression(params, value.right)})`;
    case 'fold':
      return `${value.fold === 'case' ? 'placelink_casei' : 'placelink_accenti'}(${valueExpression(params, value.value)})`;
    case 'call': {
      const sql = FUNCTIONS[value.name];
      if (!sql) throw new InvariantError(`no SQL for filter function ${value.name}`);
      return sql(value.args.map((a) => valueExpression(params, a)));
    }
  }
}

/** Values of two instant types meet as timestamps; a date is the start of its UTC day. */
function asTimestamp(sql: string, type: ValueType): string {
  return type === 'date' ? `((${sql})::timestamp AT TIME ZONE 'UTC')` : sql;
}

/**
 * Both operands of a comparison, dates widened when mixed with timestamps, and strings ordered in
 * binary collation. Equality needs no collation (every collation PostgreSQL allows as a database
 * default is deterministic), and without one it can use the B-tree on the id.
 */
function comparisonOperands(params: SqlParams, operator: ComparisonOperator, left: FilterValue, right: FilterValue): [string, string] {
  let l = valueExpression(params, left);
  let r = valueExpression(params, right);
  if (left.type !== right.type) {
    l = asTimestamp(l, left.type);
    r = asTimestamp(r, right.type);
  }
  if (left.type === 'string' && operator !== '=' && operator !== '<>') l = `${l} ${BINARY}`;
  return [l, r];
}

/** A property compared for equality with a literal, as the jsonb document containment would match. */
function containedDocument(left: FilterValue, right: FilterValue): { name: string; value: unknown } | null {
  const [field, literal] = left.kind === 'field' ? [left, right] : [right, left];
  if (field.kind !== 'field' || field.field.source !== 'property' || literal.kind !== 'literal') return null;
  if (literal.type !== field.type || (literal.type !== 'string' && literal.type !== 'number' && literal.type !== 'boolean')) return null;
  return { name: field.field.name, value: literal.value };
}

function temporalBound(params: SqlParams, bound: TemporalBound, asTimestamps: boolean, end: 'start' | 'end'): string {
  if (bound.kind === 'unbounded') return `'${end === 'start' ? '-infinity' : 'infinity'}'::${asTimestamps ? 'timestamptz' : 'date'}`;
  const sql = valueExpression(params, bound);
  return asTimestamps ? asTimestamp(sql, bound.type) : sql;
}

function temporalCondition(params: SqlParams, relation: TemporalRelation, left: TemporalExtent, right: TemporalExtent): string {
  const bounds = [left.start, left.end, right.start, right.end];
  const asTimestamps = bounds.some((b) => b.kind !== 'unbounded' && b.type === 'timestamp');
  // Bound on first use, so that a relation reading only some ends binds no unused parameter; an
  // instant is an interval whose ends are one value, bound once.
  const lazy = (bound: TemporalBound, end: 'start' | 'end') => {
    let sql: string | null = null;
    return () => (sql ??= temporalBound(params, bound, asTimestamps, end));
  };
  const a1 = lazy(left.start, 'start');
  const a2 = left.end === left.start ? a1 : lazy(left.end, 'end');
  const b1 = lazy(right.start, 'start');
  const b2 = right.end === right.start ? b1 : lazy(right.end, 'end');
  const all = (...parts: string[]) => `(${parts.join(' AND ')})`;
  switch (relation) {
    case 'after':
      return `(${a1()} > ${b2()})`;
    case 'before':
      return `(${a2()} < ${b1()})`;
    case 'contains':
      return all(`${a1()} < ${b1()}`, `${a2()} > ${b2()}`);
    case 'disjoint':
      return `(${a1()} > ${b2()} OR ${a2()} < ${b1()})`;
    case 'during':
      return all(`${a1()} > ${b1()}`, `${a2()} < ${b2()}`);
    case 'equals':
      return all(`${a1()} = ${b1()}`, `${a2()} = ${b2()}`);
    case 'finishedBy':
      return all(`${a1()} < ${b1()}`, `${a2()} = ${b2()}`);
    case 'finishes':
      return all(`${a1()} > ${b1()}`, `${a2()} = ${b2()}`);
    case 'intersects':
      return all(`${a1()} <= ${b2()}`, `${a2()} >= ${b1()}`);
    case 'meets':
      return `(${a2()} = ${b1()})`;
    case 'metBy':
      return `(${a1()} = ${b2()})`;
    case 'overlappedBy':
      return all(`${a1()} > ${b1()}`, `${a1()} < ${b2()}`, `${a2()} > ${b2()}`);
    case 'overlaps':
      return all(`${a1()} < ${b1()}`, `${a2()} > ${b1()}`, `${a2()} < ${b2()}`);
    case 'startedBy':
      return all(`${a1()} = ${b1()}`, `${a2()} > ${b2()}`);
    case 'starts':
      return all(`${a1()} = ${b1()}`, `${a2()} < ${b2()}`);
  }
}

function arrayCondition(relation: ArrayRelation, l: string, r: string): string {
  switch (relation) {
    case 'equals':
      return `(${l} @> ${r} AND ${l} <@ ${r})`;
    case 'contains':
      return `(${l} @> ${r})`;
    case 'containedBy':
      return `(${l} <@ ${r})`;
    case 'overlaps':
      return `(CASE WHEN ${l} IS NULL OR ${r} IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM jsonb_array_elements(${l}) a(v) JOIN jsonb_array_elements(${r}) b(v) ON a.v = b.v) END)`;
  }
}

/**
 * SQL for a filter condition. `exact`: the result must keep unknown apart from false (under NOT
 * or IS NULL); otherwise unknown may read as false, which lets equality use the GIN index.
 */
export function filterConditionSql(params: SqlParams, condition: FilterCondition, exact = false): string {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return `(${condition.args.map((c) => filterConditionSql(params, c, exact)).join(condition.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${filterConditionSql(params, condition.arg, true)})`;
    case 'constant':
      return condition.value ? 'TRUE' : 'FALSE';
    case 'compare': {
      const contained = !exact && condition.operator === '=' ? containedDocument(condition.left, condition.right) : null;
      if (contained) return `f.properties @> ${params.bind(JSON.stringify({ [contained.name]: contained.value }))}::jsonb`;
      const [l, r] = comparisonOperands(params, condition.operator, condition.left, condition.right);
      return `(${l} ${condition.operator} ${r})`;
    }
    case 'like': {
      const value = valueExpression(params, condition.value);
      return `(${value} ${BINARY} LIKE placelink_like_pattern(${valueExpression(params, condition.pattern)}))`;
    }
    case 'between': {
      const { value, low, high } = condition;
      const mixed = low.type !== value.type || high.type !== value.type;
      const widen = (v: FilterValue) => (mixed ? asTimestamp(valueExpression(params, v), v.type) : valueExpression(params, v));
      return `(${widen(value)}${value.type === 'string' ? ` ${BINARY}` : ''} BETWEEN ${widen(low)} AND ${widen(high)})`;
    }
    case 'in': {
      const documents = exact ? [] : condition.list.map((item) => containedDocument(condition.value, item));
      if (documents.length > 0 && documents.every((d) => d !== null)) {
        return `f.properties @> ANY(${params.bind(documents.map((d) => JSON.stringify({ [d!.name]: d!.value })))}::jsonb[])`;
      }
      const value = valueExpression(params, condition.value);
      const mixed = condition.list.some((item) => item.type !== condition.value.type);
      const left = mixed ? asTimestamp(value, condition.value.type) : value;
      const items = condition.list.map((item) => (mixed ? asTimestamp(valueExpression(params, item), item.type) : valueExpression(params, item)));
      return `(${left} IN (${items.join(', ')}))`;
    }
    case 'is-null': {
      const value = condition.value;
      if (value.kind === 'field' && value.field.source === 'property') return `((f.properties ->> ${params.bind(value.field.name)}) IS NULL)`;
      return `(${valueExpression(params, value)} IS NULL)`;
    }
    case 'condition-is-null':
      return `(${filterConditionSql(params, condition.condition, true)} IS NULL)`;
    case 'spatial':
      return spatialCondition(condition.relation, valueExpression(params, condition.left), valueExpression(params, condition.right));
    case 'temporal':
      return temporalCondition(params, condition.relation, condition.left, condition.right);
    case 'array':
      return arrayCondition(condition.relation, valueExpression(params, condition.left), valueExpression(params, condition.right));
    case 'predicate':
      return `(${valueExpression(params, { kind: 'call', type: 'boolean', name: condition.name, args: condition.args })})`;
  }
}
