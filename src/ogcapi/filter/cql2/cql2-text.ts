import type { Geometry, Position } from 'geojson';
import { FilterSyntaxError, InvalidFilterError } from '../../../domain/errors.js';
import {
  ARRAY_OPS,
  SPATIAL_OPS,
  TEMPORAL_OPS,
  readDate,
  readIntervalString,
  readTimestamp,
  standardOp,
  type ComparisonOp,
  type Cql2Node,
  type Cql2Op,
  type Cql2Parsed,
  type IntervalEnd,
} from './cql2-ast.js';
import { checkGeometry } from './geometry-literal-check.js';

/** CQL2 Text (OGC 21-065r2, cql2.bnf) → the shared syntax tree. A hand-written recursive-descent parser. */

type Token =
  | { readonly type: 'ident'; readonly value: string; readonly quoted: boolean; readonly pos: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number }
  | { readonly type: 'number'; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly type: 'symbol'; readonly value: string; readonly pos: number }
  | { readonly type: 'end'; readonly pos: number };

// The ranges are cql2.bnf's identifierStart/identifierPart and whitespace; they include the zero-width
// joiners, combining marks and a vertical tab on purpose.
// eslint-disable-next-line no-misleading-character-class
const IDENT_START = /[:_A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFE\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]/u;
// eslint-disable-next-line no-misleading-character-class
const IDENT_PART = /[:_A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFE\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}.0-9\u0300-\u036F\u203F\u2040]/u;
// eslint-disable-next-line no-control-regex
const WHITESPACE = /[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/u;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const SYMBOLS = ['<>', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '^', '(', ')', ','];

/** Words that are operators wherever they stand; other keywords only count before `(`. */
const RESERVED = new Set(['AND', 'OR', 'NOT', 'LIKE', 'BETWEEN', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'DIV']);
const GEOMETRY_TAGS: Record<string, Geometry['type']> = {
  POINT: 'Point',
  LINESTRING: 'LineString',
  POLYGON: 'Polygon',
  MULTIPOINT: 'MultiPoint',
  MULTILINESTRING: 'MultiLineString',
  MULTIPOLYGON: 'MultiPolygon',
  GEOMETRYCOLLECTION: 'GeometryCollection',
};
const MAX_DEPTH = 100;
const PARAMETER = 'filter';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const syntax = (pos: number, expected: string, found: string) => new FilterSyntaxError(PARAMETER, characterAt(text, pos), expected, found);
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (WHITESPACE.test(ch)) {
      i += ch.length;
      continue;
    }
    const start = i;
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw syntax(start, "a closing ' for the string that starts here", 'end of filter');
        const c = text[i]!;
        if (c === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (c === '\\' && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'string', value, pos: start });
      continue;
    }
    if (ch === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) throw syntax(start, 'a closing " for the property name that starts here', 'end of filter');
      const name = text.slice(i + 1, close);
      if (name === '') throw syntax(start, 'a property name between the double quotes', '""');
      tokens.push({ type: 'ident', value: name, quoted: true, pos: start });
      i = close + 1;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = /[0-9.]/.test(ch) ? NUMBER.exec(text) : null;
    if (number) {
      tokens.push({ type: 'number', value: Number(number[0]), text: number[0], pos: start });
      i += number[0].length;
      continue;
    }
    if (IDENT_START.test(ch)) {
      i += ch.length;
      while (i < text.length) {
        const next = String.fromCodePoint(text.codePointAt(i)!);
        if (!IDENT_PART.test(next)) break;
        i += next.length;
      }
      tokens.push({ type: 'ident', value: text.slice(start, i), quoted: false, pos: start });
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!symbol) throw syntax(start, 'a property name, a value, an operator or a parenthesis', describeChar(ch));
    tokens.push({ type: 'symbol', value: symbol, pos: start });
    i += symbol.length;
  }
  tokens.push({ type: 'end', pos: text.length });
  return tokens;
}

function describeChar(ch: string): string {
  return /\p{C}|\s/u.test(ch) ? `character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `'${ch}'`;
}

/** 1-based position counted in Unicode code points, as a user counts characters. */
function characterAt(text: string, index: number): string {
  return `character ${[...text.slice(0, index)].length + 1}`;
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'end of filter';
    case 'string':
      return `string '${token.value.length > 30 ? `${token.value.slice(0, 30)}…` : token.value}'`;
    case 'number':
      return `number ${token.text}`;
    case 'ident':
      return token.quoted ? `"${token.value}"` : `'${token.value}'`;
    case 'symbol':
      return `'${token.value}'`;
  }
}

class Parser {
  private index = 0;
  private depth = 0;
  readonly locations = new WeakMap<object, number>();

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Cql2Node {
    const root = this.expression();
    const token = this.peek();
    if (token.type !== 'end') throw this.error(token, 'AND, OR or the end of the filter');
    return root;
  }

  // ------------------------------------------------------------ tokens

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index++;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.type === 'ident' && !token.quoted && token.value.toUpperCase() === word;
  }

  private isSymbol(token: Token, symbol: string): token is Extract<Token, { type: 'symbol' }> {
    return token.type === 'symbol' && token.value === symbol;
  }

  private acceptWord(word: string): boolean {
    if (!this.isWord(this.peek(), word)) return false;
    this.index++;
    return true;
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(this.peek(), symbol)) return false;
    this.index++;
    return true;
  }

  private expectSymbol(symbol: string, expected = `'${symbol}'`): Token {
    const token = this.peek();
    if (!this.isSymbol(token, symbol)) throw this.error(token, expected);
    return this.next();
  }

  private error(token: Token, expected: string): FilterSyntaxError {
    return new FilterSyntaxError(PARAMETER, characterAt(this.text, token.pos), expected, describe(token));
  }

  private at<T extends object>(node: T, token: Token): T {
    if (!this.locations.has(node)) this.locations.set(node, token.pos);
    return node;
  }

  private op(op: Cql2Op, args: Cql2Node[], token: Token): Cql2Node {
    return this.at({ kind: 'op', op, args }, token);
  }

  private nested<T>(token: Token, work: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new FilterSyntaxError(PARAMETER, characterAt(this.text, token.pos), `an expression nested at most ${MAX_DEPTH} levels deep`, 'deeper nesting');
    try {
      return work();
    } finally {
      this.depth--;
    }
  }

  // ------------------------------------------------------------ boolean structure

  private expression(): Cql2Node {
    const first = this.peek();
    return this.nested(first, () => {
      const args = [this.conjunction()];
      while (this.acceptWord('OR')) args.push(this.conjunction());
      return args.length === 1 ? args[0]! : this.op('or', args, first);
    });
  }

  private conjunction(): Cql2Node {
    const first = this.peek();
    const args = [this.negation()];
    while (this.acceptWord('AND')) args.push(this.negation());
    return args.length === 1 ? args[0]! : this.op('and', args, first);
  }

  private negation(): Cql2Node {
    const token = this.peek();
    if (this.acceptWord('NOT')) return this.nested(token, () => this.op('not', [this.negation()], token));
    return this.predicate();
  }

  private predicate(): Cql2Node {
    const start = this.peek();
    const left = this.additive();
    const token = this.peek();
    if (token.type === 'symbol' && ['=', '<>', '<', '>', '<=', '>='].includes(token.value)) {
      this.next();
      return this.op(token.value as ComparisonOp, [left, this.additive()], start);
    }
    if (this.isWord(token, 'IS')) {
      this.next();
      const negated = this.acceptWord('NOT');
      const nullToken = this.peek();
      if (!this.acceptWord('NULL')) throw this.error(nullToken, negated ? 'NULL' : 'NOT or NULL');
      const isNull = this.op('isNull', [left], start);
      return negated ? this.op('not', [isNull], start) : isNull;
    }
    const negated = this.isWord(token, 'NOT') && (this.isWord(this.peek(1), 'LIKE') || this.isWord(this.peek(1), 'BETWEEN') || this.isWord(this.peek(1), 'IN'));
    if (negated) this.next();
    let node: Cql2Node | null = null;
    if (this.acceptWord('LIKE')) {
      node = this.op('like', [left, this.additive()], start);
    } else if (this.acceptWord('BETWEEN')) {
      const low = this.additive();
      const and = this.peek();
      if (!this.acceptWord('AND')) throw this.error(and, 'AND between the two bounds of BETWEEN');
      node = this.op('between', [left, low, this.additive()], start);
    } else if (this.acceptWord('IN')) {
      const open = this.expectSymbol('(', "'(' to open the IN list");
      const items = this.commaList(() => this.additive(), "',' or ')' in the IN list");
      node = this.op('in', [left, this.at({ kind: 'array', items }, open)], start);
    }
    if (node === null) return left;
    return negated ? this.op('not', [node], start) : node;
  }

  /** Items up to the closing parenthesis (the opening one is consumed); empty lists are allowed. */
  private commaList(item: () => Cql2Node, expected: string): Cql2Node[] {
    const items: Cql2Node[] = [];
    if (this.acceptSymbol(')')) return items;
    for (;;) {
      items.push(item());
      if (this.acceptSymbol(',')) continue;
      this.expectSymbol(')', expected);
      return items;
    }
  }

  // ------------------------------------------------------------ arithmetic

  private additive(): Cql2Node {
    const start = this.peek();
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (this.isSymbol(token, '+') || this.isSymbol(token, '-')) {
        this.next();
        left = this.op(token.value as '+' | '-', [left, this.multiplicative()], start);
      } else {
        return left;
      }
    }
  }

  private multiplicative(): Cql2Node {
    const start = this.peek();
    let left = this.power();
    for (;;) {
      const token = this.peek();
      if (this.isSymbol(token, '*') || this.isSymbol(token, '/') || this.isSymbol(token, '%')) {
        this.next();
        left = this.op(token.value as '*' | '/' | '%', [left, this.power()], start);
      } else if (this.isWord(token, 'DIV')) {
        this.next();
        left = this.op('div', [left, this.power()], start);
      } else {
        return left;
      }
    }
  }

  private power(): Cql2Node {
    const start = this.peek();
    const base = this.unary();
    if (!this.acceptSymbol('^')) return base;
    return this.nested(start, () => this.op('^', [base, this.power()], start));
  }

  /** A minus before a number is part of the number; before anything else it multiplies by -1. */
  private unary(): Cql2Node {
    const token = this.peek();
    if (this.isSymbol(token, '-') || this.isSymbol(token, '+')) {
      this.next();
      return this.nested(token, () => {
        const operand = this.unary();
        if (token.value === '+') return operand;
        if (operand.kind === 'number') return this.at({ kind: 'number', value: -operand.value }, token);
        return this.op('*', [this.at({ kind: 'number', value: -1 }, token), operand], token);
      });
    }
    return this.primary();
  }

  // ------------------------------------------------------------ values

  private primary(): Cql2Node {
    const token = this.peek();
    switch (token.type) {
      case 'string':
        this.next();
        return this.at({ kind: 'string', value: token.value }, token);
      case 'number':
        this.next();
        return this.at({ kind: 'number', value: token.value }, token);
      case 'symbol':
        if (token.value === '(') return this.parenthesized();
        throw this.error(token, 'a property name, a value or a function');
      case 'end':
        throw this.error(token, 'a property name, a value or a function');
      case 'ident':
        return this.identifier(token);
    }
  }

  /** `( expression )`, or an array `( a, b, … )` / `()`. */
  private parenthesized(): Cql2Node {
    const open = this.next();
    return this.nested(open, () => {
      if (this.acceptSymbol(')')) return this.at({ kind: 'array', items: [] }, open);
      const first = this.expression();
      if (this.acceptSymbol(')')) return first;
      if (!this.isSymbol(this.peek(), ',')) throw this.error(this.peek(), "')'");
      this.next();
      const items = [first, ...this.commaList(() => this.expression(), "',' or ')' in the array")];
      return this.at({ kind: 'array', items }, open);
    });
  }

  private identifier(token: Extract<Token, { type: 'ident' }>): Cql2Node {
    if (token.quoted) {
      this.next();
      return this.at({ kind: 'property', name: token.value }, token);
    }
    const word = token.value.toUpperCase();
    if (word === 'TRUE' || word === 'FALSE') {
      this.next();
      return this.at({ kind: 'boolean', value: word === 'TRUE' }, token);
    }
    if (RESERVED.has(word)) throw this.error(token, 'a property name, a value or a function');
    const geometryType = GEOMETRY_TAGS[word];
    const following = this.peek(1);
    if (geometryType && (this.isSymbol(following, '(') || this.isWord(following, 'Z'))) return this.geometryLiteral();
    if (!this.isSymbol(following, '(')) {
      this.next();
      return this.at({ kind: 'property', name: token.value }, token);
    }
    this.next();
    switch (word) {
      case 'CASEI':
      case 'ACCENTI': {
        this.next();
        const arg = this.nested(token, () => this.expression());
        this.expectSymbol(')');
        return this.op(word === 'CASEI' ? 'casei' : 'accenti', [arg], token);
      }
      case 'DATE':
      case 'TIMESTAMP':
        return this.instant(token, word);
      case 'INTERVAL':
        return this.interval(token);
      case 'BBOX':
        return this.bbox(token);
    }
    const op = standardOp(token.value);
    if (op && ((SPATIAL_OPS as readonly string[]).includes(op) || (TEMPORAL_OPS as readonly string[]).includes(op) || (ARRAY_OPS as readonly string[]).includes(op))) {
      this.next();
      const isArray = (ARRAY_OPS as readonly string[]).includes(op);
      const args = this.nested(token, () => this.commaList(() => (isArray && this.isSymbol(this.peek(), '(') ? this.arrayLiteral() : this.expression()), "',' or ')'"));
      return this.op(op, args, token);
    }
    this.next();
    const args = this.nested(token, () => this.commaList(() => this.expression(), "',' or ')' in the function arguments"));
    return this.at({ kind: 'function', name: token.value, args }, token);
  }

  /** `( … )` read as an array even with one element, as A_* arguments are. */
  private arrayLiteral(): Cql2Node {
    const open = this.next();
    return this.nested(open, () => {
      const items = this.commaList(() => (this.isSymbol(this.peek(), '(') ? this.arrayLiteral() : this.expression()), "',' or ')' in the array");
      return this.at({ kind: 'array', items }, open);
    });
  }

  private quotedString(expected: string): Extract<Token, { type: 'string' }> {
    const token = this.peek();
    if (token.type !== 'string') throw this.error(token, expected);
    this.next();
    return token;
  }

  private instant(keyword: Token, word: 'DATE' | 'TIMESTAMP'): Cql2Node {
    this.next();
    const example = word === 'DATE' ? "'2021-04-16'" : "'2021-04-16T10:15:59Z'";
    const value = this.quotedString(`a quoted ${word === 'DATE' ? 'date' : 'UTC timestamp'} such as ${example}`);
    this.expectSymbol(')');
    const literal = word === 'DATE' ? readDate(value.value) : readTimestamp(value.value);
    if (!literal) throw this.error(value, `a real ${word === 'DATE' ? 'calendar day (YYYY-MM-DD)' : 'UTC instant (YYYY-MM-DDTHH:MM:SS[.fraction]Z)'}`);
    return this.at(literal, keyword);
  }

  private interval(keyword: Token): Cql2Node {
    this.next();
    const start = this.intervalEnd();
    this.expectSymbol(',', "',' between the start and end of the interval");
    const end = this.intervalEnd();
    this.expectSymbol(')');
    return this.at({ kind: 'interval', start, end }, keyword);
  }

  private intervalEnd(): IntervalEnd {
    const token = this.peek();
    if (token.type === 'string') {
      this.next();
      const end = readIntervalString(token.value);
      if (!end) throw this.error(token, "'..', a date (YYYY-MM-DD) or a UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)");
      return this.at(end, token);
    }
    if (token.type === 'ident') {
      const node = this.identifier(token);
      if (node.kind === 'property' || node.kind === 'function') return node;
    }
    throw this.error(token, "'..', a date, a timestamp, a property or a function as interval end");
  }

  private signedNumber(): number {
    const token = this.peek();
    let sign = 1;
    if (this.isSymbol(token, '-') || this.isSymbol(token, '+')) {
      this.next();
      if (token.value === '-') sign = -1;
    }
    const number = this.peek();
    if (number.type !== 'number') throw this.error(number, 'a number');
    this.next();
    return sign * number.value;
  }

  private bbox(keyword: Token): Cql2Node {
    this.next();
    const values = [this.signedNumber()];
    while (this.acceptSymbol(',')) values.push(this.signedNumber());
    const close = this.peek();
    if (values.length !== 4 && values.length !== 6) throw this.error(close, `4 or 6 numbers in BBOX (west, south, [min height,] east, north[, max height]), got ${values.length} so far`);
    this.expectSymbol(')', `')' after the ${values.length} numbers of BBOX`);
    return this.at({ kind: 'bbox', values }, keyword);
  }

  // ------------------------------------------------------------ WKT

  private geometryLiteral(): Cql2Node {
    const keyword = this.next() as Extract<Token, { type: 'ident' }>;
    const requireZ = this.acceptWord('Z');
    const geometry = this.nested(keyword, () => this.geometryBody(GEOMETRY_TAGS[keyword.value.toUpperCase()]!, false));
    const checked = checkGeometry(geometry as unknown as Record<string, unknown>, requireZ);
    if ('problem' in checked) throw new InvalidFilterError(PARAMETER, checked.problem, characterAt(this.text, keyword.pos));
    return this.at({ kind: 'geometry', geometry: checked.geometry }, keyword);
  }

  private geometryBody(type: Geometry['type'], nested: boolean): Geometry {
    this.expectSymbol('(', `'(' to open the ${type} coordinates`);
    switch (type) {
      case 'Point': {
        const position = this.position();
        this.expectSymbol(')');
        return { type, coordinates: position };
      }
      case 'LineString':
        return { type, coordinates: this.positions() };
      case 'Polygon':
        return { type, coordinates: this.rings() };
      case 'MultiPoint': {
        const points: Position[] = [];
        for (;;) {
          if (this.acceptSymbol('(')) {
            points.push(this.position());
            this.expectSymbol(')');
          } else {
            points.push(this.position());
          }
          if (this.acceptSymbol(',')) continue;
          this.expectSymbol(')', "',' or ')'");
          return { type, coordinates: points };
        }
      }
      case 'MultiLineString': {
        const lines: Position[][] = [];
        do {
          this.expectSymbol('(', "'(' to open a line string");
          lines.push(this.positions());
        } while (this.acceptSymbol(','));
        this.expectSymbol(')', "',' or ')'");
        return { type, coordinates: lines };
      }
      case 'MultiPolygon': {
        const polygons: Position[][][] = [];
        do {
          this.expectSymbol('(', "'(' to open a polygon");
          polygons.push(this.rings());
        } while (this.acceptSymbol(','));
        this.expectSymbol(')', "',' or ')'");
        return { type, coordinates: polygons };
      }
      case 'GeometryCollection': {
        if (nested) throw this.error(this.peek(), 'a geometry other than a GEOMETRYCOLLECTION');
        const geometries: Geometry[] = [];
        do {
          const tag = this.peek();
          const memberType = tag.type === 'ident' && !tag.quoted ? GEOMETRY_TAGS[tag.value.toUpperCase()] : undefined;
          if (!memberType || memberType === 'GeometryCollection') throw this.error(tag, 'POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING or MULTIPOLYGON');
          this.next();
          this.acceptWord('Z');
          geometries.push(this.geometryBody(memberType, true));
        } while (this.acceptSymbol(','));
        this.expectSymbol(')', "',' or ')'");
        return { type, geometries: geometries as Exclude<Geometry, { type: 'GeometryCollection' }>[] };
      }
    }
  }

  private position(): Position {
    const coordinates = [this.signedNumber(), this.signedNumber()];
    const token = this.peek();
    if (token.type === 'number' || this.isSymbol(token, '-') || this.isSymbol(token, '+')) coordinates.push(this.signedNumber());
    return coordinates;
  }

  /** Positions after an opening parenthesis, up to and including the closing one. */
  private positions(): Position[] {
    const list = [this.position()];
    while (this.acceptSymbol(',')) list.push(this.position());
    this.expectSymbol(')', "',' or ')'");
    return list;
  }

  private rings(): Position[][] {
    const rings: Position[][] = [];
    do {
      this.expectSymbol('(', "'(' to open a ring");
      rings.push(this.positions());
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return rings;
  }
}

/** Parses a CQL2 Text filter; errors name the character position and what was expected there. */
export function parseCql2Text(text: string): Cql2Parsed {
  const parser = new Parser(text, tokenize(text));
  const root = parser.parse();
  return {
    root,
    locate(node) {
      const pos = parser.locations.get(node);
      return pos === undefined ? undefined : characterAt(text, pos);
    },
  };
}
