/**
 * A feature filter in the service's own terms: every name already resolved to a feature member,
 * every value typed and validated, geometries in EPSG:4326 (longitude, latitude). Protocols parse
 * their filter languages (CQL2, NGSI-LD q) into this; src/db/sql translates it with bound values.
 */

/** Where a value of a feature comes from. */
export type FeatureField =
  | { readonly source: 'property'; readonly name: string }
  | { readonly source: 'id' }
  | { readonly source: 'geometry' }
  | { readonly source: 'time' };

/** Types of values that have an order and compare with `=`, `<`, …; `date` is a calendar day. */
export type ScalarType = 'string' | 'number' | 'boolean' | 'date' | 'timestamp';
export type ValueType = ScalarType | 'geometry' | 'array';

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | 'div' | '^';
export type ComparisonOperator = '=' | '<>' | '<' | '>' | '<=' | '>=';
export type SpatialRelation = 'intersects' | 'equals' | 'disjoint' | 'touches' | 'within' | 'overlaps' | 'crosses' | 'contains';
export type TemporalRelation =
  | 'after'
  | 'before'
  | 'contains'
  | 'disjoint'
  | 'during'
  | 'equals'
  | 'finishedBy'
  | 'finishes'
  | 'intersects'
  | 'meets'
  | 'metBy'
  | 'overlappedBy'
  | 'overlaps'
  | 'startedBy'
  | 'starts';
export type ArrayRelation = 'equals' | 'contains' | 'containedBy' | 'overlaps';

export type FilterLiteral =
  | { readonly kind: 'literal'; readonly type: 'string'; readonly value: string }
  | { readonly kind: 'literal'; readonly type: 'number'; readonly value: number }
  | { readonly kind: 'literal'; readonly type: 'boolean'; readonly value: boolean }
  /** YYYY-MM-DD */
  | { readonly kind: 'literal'; readonly type: 'date'; readonly value: string }
  /** RFC 3339 date-time with `Z` or an offset, fractional seconds kept as written */
  | { readonly kind: 'literal'; readonly type: 'timestamp'; readonly value: string };

export type FilterValue =
  | FilterLiteral
  | { readonly kind: 'field'; readonly type: ValueType; readonly field: FeatureField }
  /** A GeoJSON geometry in EPSG:4326, structurally valid (closed rings, enough positions, finite numbers). */
  | { readonly kind: 'geometry'; readonly type: 'geometry'; readonly geojson: string }
  /** A JSON array of strings, numbers, booleans and arrays. */
  | { readonly kind: 'array'; readonly type: 'array'; readonly json: string }
  | { readonly kind: 'arithmetic'; readonly type: 'number'; readonly operator: ArithmeticOperator; readonly left: FilterValue; readonly right: FilterValue }
  /** CASEI (full Unicode case folding) or ACCENTI (diacritics removed). */
  | { readonly kind: 'fold'; readonly type: 'string'; readonly fold: 'case' | 'accent'; readonly value: FilterValue }
  | { readonly kind: 'call'; readonly type: ValueType; readonly name: string; readonly args: readonly FilterValue[] };

/** An end of a time interval: a date or timestamp value, or open. */
export type TemporalBound = FilterValue | { readonly kind: 'unbounded' };

/** An instant is the interval whose start and end are the same value. */
export interface TemporalExtent {
  readonly start: TemporalBound;
  readonly end: TemporalBound;
}

export type FilterCondition =
  | { readonly kind: 'and' | 'or'; readonly args: readonly FilterCondition[] }
  | { readonly kind: 'not'; readonly arg: FilterCondition }
  | { readonly kind: 'constant'; readonly value: boolean }
  | { readonly kind: 'compare'; readonly operator: ComparisonOperator; readonly left: FilterValue; readonly right: FilterValue }
  | { readonly kind: 'like'; readonly value: FilterValue; readonly pattern: FilterValue }
  | { readonly kind: 'between'; readonly value: FilterValue; readonly low: FilterValue; readonly high: FilterValue }
  | { readonly kind: 'in'; readonly value: FilterValue; readonly list: readonly FilterValue[] }
  | { readonly kind: 'is-null'; readonly value: FilterValue }
  | { readonly kind: 'condition-is-null'; readonly condition: FilterCondition }
  | { readonly kind: 'spatial'; readonly relation: SpatialRelation; readonly left: FilterValue; readonly right: FilterValue }
  | { readonly kind: 'temporal'; readonly relation: TemporalRelation; readonly left: TemporalExtent; readonly right: TemporalExtent }
  | { readonly kind: 'array'; readonly relation: ArrayRelation; readonly left: FilterValue; readonly right: FilterValue }
  | { readonly kind: 'predicate'; readonly name: string; readonly args: readonly FilterValue[] };

/** All conditions must hold; null when there are none. */
export function allOf(conditions: readonly (FilterCondition | null)[]): FilterCondition | null {
  const present = conditions.filter((c): c is FilterCondition => c !== null);
  if (present.length === 0) return null;
  return present.length === 1 ? present[0]! : { kind: 'and', args: present };
}
