import type { Geometry } from 'geojson';
import { isCalendarDay } from '../../../domain/calendar.js';

/**
 * The one syntax tree both CQL2 encodings parse into. It follows the CQL2 JSON model (an operator
 * and its arguments) with literals normalised, so the text `NOT a LIKE 'x%'` and the JSON
 * `{"op":"not","args":[{"op":"like",…}]}` give equal trees. Nothing here is resolved or typed yet.
 */

export const LOGICAL_OPS = ['and', 'or', 'not'] as const;
export const COMPARISON_OPS = ['=', '<>', '<', '>', '<=', '>='] as const;
export const ADVANCED_OPS = ['like', 'between', 'in', 'isNull'] as const;
export const FOLD_OPS = ['casei', 'accenti'] as const;
export const SPATIAL_OPS = ['s_intersects', 's_equals', 's_disjoint', 's_touches', 's_within', 's_overlaps', 's_crosses', 's_contains'] as const;
export const TEMPORAL_OPS = [
  't_after',
  't_before',
  't_contains',
  't_disjoint',
  't_during',
  't_equals',
  't_finishedBy',
  't_finishes',
  't_intersects',
  't_meets',
  't_metBy',
  't_overlappedBy',
  't_overlaps',
  't_startedBy',
  't_starts',
] as const;
export const ARRAY_OPS = ['a_equals', 'a_contains', 'a_containedBy', 'a_overlaps'] as const;
export const ARITHMETIC_OPS = ['+', '-', '*', '/', '%', 'div', '^'] as const;

export type SpatialOp = (typeof SPATIAL_OPS)[number];
export type TemporalOp = (typeof TEMPORAL_OPS)[number];
export type ArrayOp = (typeof ARRAY_OPS)[number];
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export type Cql2Op =
  | (typeof LOGICAL_OPS)[number]
  | ComparisonOp
  | (typeof ADVANCED_OPS)[number]
  | (typeof FOLD_OPS)[number]
  | SpatialOp
  | TemporalOp
  | ArrayOp
  | ArithmeticOp;

const STANDARD_OPS: readonly Cql2Op[] = [...LOGICAL_OPS, ...COMPARISON_OPS, ...ADVANCED_OPS, ...FOLD_OPS, ...SPATIAL_OPS, ...TEMPORAL_OPS, ...ARRAY_OPS, ...ARITHMETIC_OPS];
const BY_LOWER = new Map(STANDARD_OPS.map((op) => [op.toLowerCase(), op]));

/** The canonical spelling of a standard operator name (any letter case), or undefined for a function name. */
export function standardOp(name: string): Cql2Op | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

export function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

export type IntervalEnd = Cql2DateLiteral | Cql2TimestampLiteral | { readonly kind: 'open' } | Cql2Property | Cql2Function;

export interface Cql2DateLiteral {
  readonly kind: 'date';
  /** YYYY-MM-DD */
  readonly value: string;
}

export interface Cql2TimestampLiteral {
  readonly kind: 'timestamp';
  /** YYYY-MM-DDTHH:MM:SS[.fraction]Z with trailing zeros of the fraction removed */
  readonly value: string;
}

export interface Cql2Property {
  readonly kind: 'property';
  readonly name: string;
}

export interface Cql2Function {
  readonly kind: 'function';
  /** As written; the registry matches names without regard to letter case. */
  readonly name: string;
  readonly args: readonly Cql2Node[];
}

export interface Cql2Operation {
  readonly kind: 'op';
  readonly op: Cql2Op;
  readonly args: readonly Cql2Node[];
}

export type Cql2Node =
  | Cql2Operation
  | Cql2Function
  | Cql2Property
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | Cql2DateLiteral
  | Cql2TimestampLiteral
  | { readonly kind: 'interval'; readonly start: IntervalEnd; readonly end: IntervalEnd }
  /** Coordinates as written, in the filter CRS's axis order. */
  | { readonly kind: 'geometry'; readonly geometry: Geometry }
  | { readonly kind: 'bbox'; readonly values: readonly number[] }
  | { readonly kind: 'array'; readonly items: readonly Cql2Node[] };

/** A parsed filter and where each node was written, for error messages. */
export interface Cql2Parsed {
  readonly root: Cql2Node;
  /** "character 12" (CQL2 Text) or "/args/0" (CQL2 JSON). */
  locate(node: Cql2Node): string | undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

/** A DATE('…') value, or null when it is not a real YYYY-MM-DD day (year 0001–9999). */
export function readDate(text: string): Cql2DateLiteral | null {
  const m = DATE.exec(text);
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  return { kind: 'date', value: text };
}

/** A TIMESTAMP('…') value (UTC, `Z`), or null when it is not a real instant. */
export function readTimestamp(text: string): Cql2TimestampLiteral | null {
  const m = TIMESTAMP.exec(text);
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) return null;
  const fraction = (m[7] ?? '').replace(/\.?0+$/, '');
  return { kind: 'timestamp', value: `${text.slice(0, 19)}${fraction}Z` };
}

/** An interval end written as a string: `..`, a date or a timestamp. */
export function readIntervalString(text: string): IntervalEnd | null {
  if (text === '..') return { kind: 'open' };
  return readDate(text) ?? readTimestamp(text);
}
