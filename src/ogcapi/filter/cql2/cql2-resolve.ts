import type { Geometry, Position } from 'geojson';
import type { Queryable } from '../../../domain/collection.js';
import { FilterTypeError, InvalidFilterError, UnknownQueryableError } from '../../../domain/errors.js';
import type {
  ArithmeticOperator,
  ArrayRelation,
  ComparisonOperator,
  FilterCondition,
  FilterValue,
  SpatialRelation,
  TemporalBound,
  TemporalExtent,
  TemporalRelation,
  ValueType,
} from '../../../domain/filter.js';
import { filterFunction, FILTER_FUNCTIONS } from '../../../domain/filter-functions.js';
import { queryableField } from '../../../domain/queryables.js';
import type { CrsRef } from '../../../geo/crs-registry.js';
import {
  ARITHMETIC_OPS,
  ARRAY_OPS,
  COMPARISON_OPS,
  SPATIAL_OPS,
  TEMPORAL_OPS,
  isOneOf,
  type Cql2Node,
  type Cql2Parsed,
  type IntervalEnd,
} from './cql2-ast.js';
import { GeometryTransformError, toStorageGeometry } from './literal-reprojection.js';

export interface ResolveContext {
  /** Everything the filter may name (src/domain/queryables.ts). */
  readonly queryables: ReadonlyMap<string, Queryable>;
  /** CRS of geometry literals (the `filter-crs` parameter); its axis order applies to coordinates. */
  readonly crs: CrsRef;
}

const PARAMETER = 'filter';

const CONDITION_OPS = new Set<string>(['and', 'or', 'not', ...COMPARISON_OPS, 'like', 'between', 'in', 'isNull', ...SPATIAL_OPS, ...TEMPORAL_OPS, ...ARRAY_OPS]);

const SPATIAL: Record<(typeof SPATIAL_OPS)[number], SpatialRelation> = {
  s_intersects: 'intersects',
  s_equals: 'equals',
  s_disjoint: 'disjoint',
  s_touches: 'touches',
  s_within: 'within',
  s_overlaps: 'overlaps',
  s_crosses: 'crosses',
  s_contains: 'contains',
};

const ARRAYS: Record<(typeof ARRAY_OPS)[number], ArrayRelation> = {
  a_equals: 'equals',
  a_contains: 'contains',
  a_containedBy: 'containedBy',
  a_overlaps: 'overlaps',
};

/** Which scalar types compare with each other: dates and timestamps are both instants. */
const GROUP: Partial<Record<ValueType, string>> = { string: 'string', number: 'number', boolean: 'boolean', date: 'instant', timestamp: 'instant' };

function typeName(type: ValueType): string {
  return { string: 'a string', number: 'a number', boolean: 'a boolean', date: 'a date', timestamp: 'a timestamp', geometry: 'a geometry', array: 'an array' }[type];
}

class Resolver {
  constructor(
    private readonly parsed: Cql2Parsed,
    private readonly context: ResolveContext,
  ) {}

  private where(node: Cql2Node): string | undefined {
    return this.parsed.locate(node);
  }

  private typeError(node: Cql2Node, message: string): FilterTypeError {
    return new FilterTypeError(PARAMETER, message, this.where(node));
  }

  private invalid(node: Cql2Node, message: string): InvalidFilterError {
    return new InvalidFilterError(PARAMETER, message, this.where(node));
  }

  private arity(node: Extract<Cql2Node, { kind: 'op' }>, expected: number | 'two or more'): void {
    const n = node.args.length;
    if (expected === 'two or more' ? n < 2 : n !== expected) {
      throw this.invalid(node, `'${node.op}' takes ${expected} argument${expected === 1 ? '' : 's'}, got ${n}`);
    }
  }

  // ------------------------------------------------------------ conditions

  condition(node: Cql2Node): FilterCondition {
    if (node.kind === 'boolean') return { kind: 'constant', value: node.value };
    if (node.kind === 'function') {
      const call = this.call(node);
      if (call.type !== 'boolean') throw this.typeError(node, `function ${node.name} returns ${typeName(call.type)}, not a boolean, so it cannot stand as a condition; compare its result`);
      return { kind: 'predicate', name: call.name, args: call.args };
    }
    if (node.kind !== 'op' || !CONDITION_OPS.has(node.op)) throw this.typeError(node, `expected a condition (a comparison, LIKE, BETWEEN, IN, IS NULL, a spatial, temporal or array function, or TRUE/FALSE), found ${this.describe(node)}`);
    const op = node.op;
    const args = node.args;
    switch (op) {
      case 'and':
      case 'or':
        this.arity(node, 'two or more');
        return { kind: op, args: args.map((a) => this.condition(a)) };
      case 'not':
        this.arity(node, 1);
        return { kind: 'not', arg: this.condition(args[0]!) };
      case 'like': {
        this.arity(node, 2);
        const value = this.stringValue(args[0]!, 'LIKE');
        return { kind: 'like', value, pattern: this.pattern(args[1]!) };
      }
      case 'between': {
        this.arity(node, 3);
        const [value, low, high] = args.map((a) => this.scalar(a)) as [FilterValue, FilterValue, FilterValue];
        this.comparable(node, value, low, 'BETWEEN');
        this.comparable(node, value, high, 'BETWEEN');
        return { kind: 'between', value, low, high };
      }
      case 'in': {
        this.arity(node, 2);
        const list = args[1]!;
        if (list.kind !== 'array') throw this.typeError(list, `IN needs a list of values, found ${this.describe(list)}`);
        if (list.items.length === 0) throw this.invalid(list, 'IN needs at least one value in its list');
        const value = this.scalar(args[0]!);
        const items = list.items.map((item) => {
          const resolved = this.scalar(item);
          this.comparable(item, value, resolved, 'IN');
          return resolved;
        });
        return { kind: 'in', value, list: items };
      }
      case 'isNull': {
        this.arity(node, 1);
        const operand = args[0]!;
        if ((operand.kind === 'op' && CONDITION_OPS.has(operand.op)) || operand.kind === 'boolean') return { kind: 'condition-is-null', condition: this.condition(operand) };
        return { kind: 'is-null', value: this.value(operand) };
      }
    }
    if (isOneOf(COMPARISON_OPS, op)) {
      this.arity(node, 2);
      const left = this.scalar(args[0]!);
      const right = this.scalar(args[1]!);
      this.comparable(node, left, right, `'${op}'`);
      return { kind: 'compare', operator: op as ComparisonOperator, left, right };
    }
    if (isOneOf(SPATIAL_OPS, op)) {
      this.arity(node, 2);
      return { kind: 'spatial', relation: SPATIAL[op], left: this.geometryValue(args[0]!, op), right: this.geometryValue(args[1]!, op) };
    }
    if (isOneOf(TEMPORAL_OPS, op)) {
      this.arity(node, 2);
      return { kind: 'temporal', relation: op.slice(2) as TemporalRelation, left: this.temporal(args[0]!, op), right: this.temporal(args[1]!, op) };
    }
    this.arity(node, 2);
    const relation = ARRAYS[op as (typeof ARRAY_OPS)[number]];
    return { kind: 'array', relation, left: this.arrayValue(args[0]!, op), right: this.arrayValue(args[1]!, op) };
  }

  private describe(node: Cql2Node): string {
    switch (node.kind) {
      case 'op':
        return `'${node.op}'`;
      case 'function':
        return `function ${node.name}`;
      case 'property':
        return `property '${node.name}'`;
      case 'string':
        return 'a string';
      case 'number':
        return 'a number';
      case 'boolean':
        return 'a boolean';
      case 'date':
        return 'a date';
      case 'timestamp':
        return 'a timestamp';
      case 'interval':
        return 'an interval';
      case 'geometry':
      case 'bbox':
        return 'a geometry';
      case 'array':
        return 'an array';
    }
  }

  private comparable(node: Cql2Node, a: FilterValue, b: FilterValue, operator: string): void {
    const ga = GROUP[a.type];
    const gb = GROUP[b.type];
    if (ga === undefined || gb === undefined || ga !== gb) throw this.typeError(node, `${operator} cannot compare ${typeName(a.type)} with ${typeName(b.type)}`);
  }

  // ------------------------------------------------------------ values

  value(node: Cql2Node): FilterValue {
    switch (node.kind) {
      case 'string':
        return { kind: 'literal', type: 'string', value: this.text(node) };
      case 'number':
        if (!Number.isFinite(node.value)) throw this.invalid(node, 'the number is too large');
        return { kind: 'literal', type: 'number', value: node.value };
      case 'boolean':
        return { kind: 'literal', type: 'boolean', value: node.value };
      case 'date':
        return { kind: 'literal', type: 'date', value: node.value };
      case 'timestamp':
        return { kind: 'literal', type: 'timestamp', value: node.value };
      case 'property':
        return this.property(node);
      case 'geometry':
        return this.geometryLiteral(node, node.geometry);
      case 'bbox':
        return this.geometryLiteral(node, this.bboxGeometry(node, node.values));
      case 'array':
        return { kind: 'array', type: 'array', json: JSON.stringify(node.items.map((item) => this.arrayItem(item))) };
      case 'function':
        return this.call(node);
      case 'interval':
        throw this.typeError(node, 'an interval can only be an argument of a temporal function (T_…)');
      case 'op':
        break;
    }
    const op = node.op;
    if (op === 'casei' || op === 'accenti') {
      this.arity(node, 1);
      return { kind: 'fold', type: 'string', fold: op === 'casei' ? 'case' : 'accent', value: this.stringValue(node.args[0]!, op.toUpperCase()) };
    }
    if (isOneOf(ARITHMETIC_OPS, op)) {
      this.arity(node, 2);
      const [left, right] = node.args.map((a) => this.value(a)) as [FilterValue, FilterValue];
      for (const [side, arg] of [
        [left, node.args[0]!],
        [right, node.args[1]!],
      ] as const) {
        if (side.type !== 'number') throw this.typeError(arg, `'${op}' needs numbers, found ${typeName(side.type)}`);
      }
      return { kind: 'arithmetic', type: 'number', operator: op as ArithmeticOperator, left, right };
    }
    throw this.typeError(node, `a condition ('${op}') cannot be used as a value`);
  }

  /** A value that compares: not a geometry, an array or an interval. */
  private scalar(node: Cql2Node): FilterValue {
    const value = this.value(node);
    if (GROUP[value.type] === undefined) throw this.typeError(node, `${typeName(value.type)} cannot be compared; use the spatial (S_…) or array (A_…) functions`);
    return value;
  }

  private stringValue(node: Cql2Node, operator: string): FilterValue {
    const value = this.value(node);
    if (value.type !== 'string') throw this.typeError(node, `${operator} needs a string, found ${typeName(value.type)}`);
    return value;
  }

  /** LIKE patterns are string literals, optionally inside CASEI/ACCENTI (cql2.bnf patternExpression). */
  private pattern(node: Cql2Node): FilterValue {
    if (node.kind === 'op' && (node.op === 'casei' || node.op === 'accenti')) {
      this.arity(node, 1);
      return { kind: 'fold', type: 'string', fold: node.op === 'casei' ? 'case' : 'accent', value: this.pattern(node.args[0]!) };
    }
    if (node.kind !== 'string') throw this.typeError(node, `a LIKE pattern is a string literal (optionally in CASEI or ACCENTI), found ${this.describe(node)}`);
    return { kind: 'literal', type: 'string', value: this.text(node) };
  }

  /** PostgreSQL text and jsonb cannot hold U+0000: binding such a string would fail the statement. */
  private text(node: Extract<Cql2Node, { kind: 'string' }>): string {
    if (node.value.includes('\u0000')) throw this.invalid(node, 'a string cannot contain the character U+0000');
    return node.value;
  }

  private property(node: Extract<Cql2Node, { kind: 'property' }>): FilterValue {
    const queryable = this.context.queryables.get(node.name);
    if (!queryable) throw new UnknownQueryableError(PARAMETER, node.name, [...this.context.queryables.keys()], this.where(node));
    const { field, type } = queryableField(node.name, queryable);
    return { kind: 'field', type, field };
  }

  private call(node: Extract<Cql2Node, { kind: 'function' }>): Extract<FilterValue, { kind: 'call' }> {
    const definition = filterFunction(node.name);
    if (!definition) throw this.invalid(node, `there is no function '${node.name}'; functions: ${FILTER_FUNCTIONS.map((f) => f.name).join(', ')} (see /functions)`);
    if (node.args.length !== definition.args.length) throw this.invalid(node, `${definition.name} takes ${definition.args.length} argument(s), got ${node.args.length}`);
    const args = node.args.map((arg, i) => {
      const value = this.value(arg);
      const expected = definition.args[i]!;
      if (value.type !== expected.type) throw this.typeError(arg, `argument ${i + 1} of ${definition.name} (${expected.title}) must be ${typeName(expected.type)}, found ${typeName(value.type)}`);
      return value;
    });
    return { kind: 'call', type: definition.returns, name: definition.name, args };
  }

  private arrayItem(node: Cql2Node): unknown {
    switch (node.kind) {
      case 'string':
        return this.text(node);
      case 'boolean':
      case 'date':
      case 'timestamp':
        return node.value;
      case 'number':
        if (!Number.isFinite(node.value)) throw this.invalid(node, 'the number is too large');
        return node.value;
      case 'array':
        return node.items.map((item) => this.arrayItem(item));
      default:
        throw this.invalid(node, `array elements must be strings, numbers, booleans, dates, timestamps or arrays, found ${this.describe(node)}`);
    }
  }

  private arrayValue(node: Cql2Node, op: string): FilterValue {
    const value = this.value(node);
    if (value.type !== 'array') throw this.typeError(node, `${op.toUpperCase()} needs arrays, found ${typeName(value.type)}`);
    return value;
  }

  private geometryValue(node: Cql2Node, op: string): FilterValue {
    const value = this.value(node);
    if (value.type !== 'geometry') throw this.typeError(node, `${op.toUpperCase()} needs geometries, found ${typeName(value.type)}`);
    return value;
  }

  private geometryLiteral(node: Cql2Node, geometry: Geometry): FilterValue {
    try {
      return { kind: 'geometry', type: 'geometry', geojson: JSON.stringify(toStorageGeometry(geometry, this.context.crs)) };
    } catch (error) {
      if (error instanceof GeometryTransformError) throw this.invalid(node, error.message);
      throw error;
    }
  }

  /** BBOX in the filter CRS's axis order, like the bbox parameter; one crossing the antimeridian becomes two boxes. */
  private bboxGeometry(node: Cql2Node, values: readonly number[]): Geometry {
    if (!values.every(Number.isFinite)) throw this.invalid(node, 'BBOX needs finite numbers');
    const [a1, a2, b1, b2] = values.length === 4 ? values : [values[0]!, values[1]!, values[3]!, values[4]!];
    const crs = this.context.crs;
    const [minX, minY, maxX, maxY] = (crs.swapAxes ? [a2, a1, b2, b1] : [a1, a2, b1, b2]) as [number, number, number, number];
    if (minY > maxY) throw this.invalid(node, `BBOX south ${minY} is north of its north ${maxY}`);
    const box = (x0: number, x1: number): Position[][] => [
      [
        [x0, minY],
        [x1, minY],
        [x1, maxY],
        [x0, maxY],
        [x0, minY],
      ],
    ].map((ring) => (crs.swapAxes ? ring.map(([x, y]) => [y!, x!]) : ring));
    if (!crs.definition.geographic) {
      if (minX > maxX) throw this.invalid(node, `BBOX west ${minX} is east of its east ${maxX}`);
      return { type: 'Polygon', coordinates: box(minX, maxX) };
    }
    if (minY < -90 || maxY > 90) throw this.invalid(node, `BBOX latitudes must lie within -90..90, got ${minY}..${maxY}`);
    if ([minX, maxX].some((x) => x < -180 || x > 180)) throw this.invalid(node, `BBOX longitudes must lie within -180..180, got ${minX} and ${maxX}`);
    if (minX <= maxX) return { type: 'Polygon', coordinates: box(minX, maxX) };
    return { type: 'MultiPolygon', coordinates: [box(minX, 180), box(-180, maxX)] };
  }

  // ------------------------------------------------------------ time

  private temporal(node: Cql2Node, op: string): TemporalExtent {
    if (node.kind === 'interval') {
      const start = this.intervalEnd(node.start, node, op);
      const end = this.intervalEnd(node.end, node, op);
      if (start.kind === 'literal' && end.kind === 'literal' && Date.parse(String(start.value)) > Date.parse(String(end.value))) {
        throw this.invalid(node, `the interval ends (${end.value}) before it starts (${start.value})`);
      }
      return { start, end };
    }
    const value = this.value(node);
    if (value.type !== 'date' && value.type !== 'timestamp') throw this.typeError(node, `${op.toUpperCase()} needs instants or intervals, found ${typeName(value.type)}`);
    return { start: value, end: value };
  }

  private intervalEnd(end: IntervalEnd, interval: Cql2Node, op: string): TemporalBound {
    if (end.kind === 'open') return { kind: 'unbounded' };
    const value = this.value(end);
    if (value.type !== 'date' && value.type !== 'timestamp') throw this.typeError(end.kind === 'property' || end.kind === 'function' ? end : interval, `an interval end in ${op.toUpperCase()} must be a date or timestamp, found ${typeName(value.type)}`);
    return value;
  }
}

/** Resolves a parsed CQL2 filter against a collection's queryables into a typed filter condition. */
export function resolveCql2(parsed: Cql2Parsed, context: ResolveContext): FilterCondition {
  return new Resolver(parsed, context).condition(parsed.root);
}
