import { parse as parseTolerantly, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { FilterSyntaxError, InvalidFilterError } from '../../../domain/errors.js';
import { readDate, readIntervalString, readTimestamp, standardOp, type Cql2Node, type Cql2Parsed, type IntervalEnd } from './cql2-ast.js';
import { checkGeometry, isGeometryType } from './geometry-literal-check.js';

/** CQL2 JSON (OGC 21-065r2, cql2.json) → the shared syntax tree. */

const PARAMETER = 'filter';
const MAX_DEPTH = 100;

function pointer(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the top level (/)' : `/${path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isObject(value)) return `an object with members ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`;
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

class Reader {
  readonly locations = new WeakMap<object, string>();

  private at<T extends object>(node: T, path: readonly (string | number)[]): T {
    this.locations.set(node, pointer(path));
    return node;
  }

  private fail(path: readonly (string | number)[], expected: string, value: unknown): FilterSyntaxError {
    return new FilterSyntaxError(PARAMETER, `JSON pointer ${pointer(path)}`, expected, describe(value));
  }

  node(value: unknown, path: (string | number)[]): Cql2Node {
    if (path.length > MAX_DEPTH) throw new FilterSyntaxError(PARAMETER, `JSON pointer ${pointer(path)}`, `a document nested at most ${MAX_DEPTH} levels deep`, 'deeper nesting');
    switch (typeof value) {
      case 'string':
        return this.at({ kind: 'string', value }, path);
      case 'number':
        return this.at({ kind: 'number', value }, path);
      case 'boolean':
        return this.at({ kind: 'boolean', value }, path);
    }
    if (Array.isArray(value)) return this.at({ kind: 'array', items: value.map((item, i) => this.node(item, [...path, i])) }, path);
    if (!isObject(value)) throw this.fail(path, 'a CQL2 expression or value', value);

    if ('op' in value) {
      const name = value['op'];
      if (typeof name !== 'string' || name === '') throw this.fail([...path, 'op'], 'an operator or function name', name);
      const rawArgs = value['args'];
      if (!Array.isArray(rawArgs)) throw this.fail([...path, 'args'], `an array of arguments for '${name}'`, rawArgs);
      const args = rawArgs.map((arg, i) => this.node(arg, [...path, 'args', i]));
      const op = standardOp(name);
      return this.at(op ? { kind: 'op', op, args } : { kind: 'function', name, args }, path);
    }
    if ('property' in value) {
      const name = value['property'];
      if (typeof name !== 'string' || name === '') throw this.fail([...path, 'property'], 'a property name', name);
      return this.at({ kind: 'property', name }, path);
    }
    if ('date' in value) {
      const date = typeof value['date'] === 'string' ? readDate(value['date']) : null;
      if (!date) throw this.fail([...path, 'date'], 'a calendar day YYYY-MM-DD', value['date']);
      return this.at(date, path);
    }
    if ('timestamp' in value) {
      const timestamp = typeof value['timestamp'] === 'string' ? readTimestamp(value['timestamp']) : null;
      if (!timestamp) throw this.fail([...path, 'timestamp'], 'a UTC instant YYYY-MM-DDTHH:MM:SS[.fraction]Z', value['timestamp']);
      return this.at(timestamp, path);
    }
    if ('interval' in value) {
      const ends = value['interval'];
      if (!Array.isArray(ends) || ends.length !== 2) throw this.fail([...path, 'interval'], 'an array of two interval ends', ends);
      return this.at({ kind: 'interval', start: this.intervalEnd(ends[0], [...path, 'interval', 0]), end: this.intervalEnd(ends[1], [...path, 'interval', 1]) }, path);
    }
    if ('bbox' in value) {
      const values = value['bbox'];
      if (!Array.isArray(values) || (values.length !== 4 && values.length !== 6) || !values.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        throw this.fail([...path, 'bbox'], 'an array of 4 or 6 numbers', values);
      }
      return this.at({ kind: 'bbox', values: values as number[] }, path);
    }
    if (isGeometryType(value['type'])) {
      const checked = checkGeometry(value);
      if ('problem' in checked) throw new InvalidFilterError(PARAMETER, checked.problem, `JSON pointer ${pointer(path)}`);
      return this.at({ kind: 'geometry', geometry: checked.geometry }, path);
    }
    throw this.fail(path, 'an object with op and args, property, date, timestamp, interval, bbox, or a GeoJSON geometry', value);
  }

  private intervalEnd(value: unknown, path: (string | number)[]): IntervalEnd {
    if (typeof value === 'string') {
      const end = readIntervalString(value);
      if (!end) throw this.fail(path, "'..', a date YYYY-MM-DD or a UTC timestamp YYYY-MM-DDTHH:MM:SS[.fraction]Z", value);
      return this.at(end, path);
    }
    const node = isObject(value) && ('property' in value || 'op' in value) ? this.node(value, path) : null;
    if (node && (node.kind === 'property' || node.kind === 'function')) return node;
    throw this.fail(path, "'..', a date, a timestamp, a property or a function as interval end", value);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** Parses a CQL2 JSON filter; errors name the JSON position or pointer and what was expected. */
export function parseCql2Json(text: string): Cql2Parsed {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const errors: ParseError[] = [];
    parseTolerantly(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    throw new FilterSyntaxError(
      PARAMETER,
      first ? `${lineAndColumn(text, first.offset)} of the JSON` : 'the JSON',
      'well-formed JSON',
      first ? printParseErrorCode(first.error) : (error as Error).message,
    );
  }
  const reader = new Reader();
  const root = reader.node(document, []);
  return { root, locate: (node) => reader.locations.get(node) };
}
