import { isCalendarDay } from '../../domain/calendar.js';
import { FilterSyntaxError, InvalidFilterError } from '../../domain/errors.js';
import { JSON_NUMBER, characterAt, describeFoundAt, isAbsoluteUri, isName, nameAt, quoteExcerpt } from './query-syntax.js';

/**
 * The NGSI-LD Query Language, the `q` parameter (ETSI GS CIM 009 clause 4.9), parsed by hand into a
 * syntax tree that the SQL translator and the subscription matcher walk.
 *
 * The grammar is the V1.9.1 ABNF (the V1.8.1 text was not at hand). What V1.9.1 adds beside V1.8.1 is
 * `expandValues`/`jsonKeys`, parameters next to q rather than q syntax, and with them the bare
 * vocabulary term of EXAMPLE 12 (`gender==Male`); linked-entity paths `rel{…}` and `attr[lang]` are
 * V1.8 features. The older `a[b][c]` form (compoundAttrName, before V1.8) is not accepted.
 * Where the ABNF and the clause's own examples disagree, the examples win:
 * - parentheses nest (EXAMPLE 6 `((speed>50|rpm>3000);brandName=="Mercedes")`; QueryTermAssoc does not recurse);
 * - a linked-entity hop takes one entity type hint (EXAMPLE 14 `sensor{Device:humidity}`; the ABNF
 *   asks for two or more and only before a nested hop);
 * - a list may hold URIs (the clause's `color=="http://example/black","http://example/red"`).
 * No whitespace is allowed outside quoted strings and regular expressions, as in the ABNF. Broker
 * extensions are refused: `!attr` (Orion-LD, Stellio), `&` for AND and `RE(…)` (Orion-LD).
 */

export type QExpression = QAnd | QOr | QTerm;

/** `a;b;c`; operands keep the grouping of the text: `(a;b);c` has two operands, the first an `and`. */
export interface QAnd {
  readonly kind: 'and';
  readonly operands: readonly QExpression[];
}

/** `a|b`; AND binds tighter, so `a;b|c` is `(a;b)|c`. */
export interface QOr {
  readonly kind: 'or';
  readonly operands: readonly QExpression[];
}

export type QTerm = QExistence | QEquality | QOrdering | QPatternMatch;

/** `temperature`: the entity has the target element. */
export interface QExistence {
  readonly kind: 'exists';
  readonly attribute: QAttribute;
}

export interface QEquality {
  readonly kind: 'equality';
  readonly operator: '==' | '!=';
  readonly attribute: QAttribute;
  readonly operand: QValue | QValueList | QRange;
}

export interface QOrdering {
  readonly kind: 'ordering';
  readonly operator: '>' | '>=' | '<' | '<=';
  readonly attribute: QAttribute;
  readonly value: QComparableValue;
}

/** `~=` / `!~=`; the pattern is a POSIX regular expression, applied to strings only. */
export interface QPatternMatch {
  readonly kind: 'pattern';
  readonly operator: '~=' | '!~=';
  readonly attribute: QAttribute;
  readonly pattern: string;
}

/**
 * An attribute path: `rel{Type:other}` hops to linked entities first, then dotted names
 * (attribute, sub-attributes), then an optional trailing `[…]`.
 * Names are short names; expanding them with the request @context is the caller's job.
 */
export interface QAttribute {
  readonly links: readonly QLinkedEntityHop[];
  readonly path: readonly [string, ...string[]];
  readonly trailing: QTrailingPath | null;
}

/** `sensor{Device,Sensor:…}`: follow the Relationship `sensor` to entities of the hinted types (any type when none). */
export interface QLinkedEntityHop {
  readonly relationship: string;
  readonly entityTypes: readonly string[];
}

/**
 * The trailing `[…]` of clause 4.9. `[city]` and `[airquality.particulate]` enter a compound value
 * (ECMA-262 member access); a single name such as `[en]` is also how a LanguageProperty's language is
 * named, so only the attribute's type decides which it means. `[en-GB]` can only be a language tag.
 */
export type QTrailingPath =
  | { readonly kind: 'members'; readonly names: readonly [string, ...string[]] }
  | { readonly kind: 'language'; readonly tag: string }
  | { readonly kind: 'anyLanguage' };

/**
 * Values keep the kind they were written as, because values of different types never match:
 * `"20"` is a string, `20` a number, `2017-12-24` a date, `"2017-12-24"` a string.
 */
export type QComparableValue =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  /** YYYY-MM-DDThh:mm:ss[.ffffff]Z; a decimal comma (clause 4.6.3 allows it in requests) is stored as a point. */
  | { readonly kind: 'dateTime'; readonly value: string }
  | { readonly kind: 'date'; readonly value: string }
  /** hh:mm:ss[.ffffff]Z, decimal comma stored as a point. */
  | { readonly kind: 'time'; readonly value: string };

export type QValue =
  | QComparableValue
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** Unquoted, e.g. `urn:ngsi-ld:City:Pisa`. A quoted URI is a string (clause 4.9 EXAMPLE 3 compares one with a Relationship). */
  | { readonly kind: 'uri'; readonly value: string }
  /** An unquoted bare name such as `Male` (V1.9.1 EXAMPLE 12): a vocabulary term, meaningful only for attributes listed in expandValues. */
  | { readonly kind: 'term'; readonly value: string };

/** `==a,b,c` (at least two members): matches when any member does. */
export interface QValueList {
  readonly kind: 'list';
  readonly values: readonly QValue[];
}

/** `==low..high`, both ends included and of the same kind. */
export interface QRange {
  readonly kind: 'range';
  readonly low: QComparableValue;
  readonly high: QComparableValue;
}

export interface ParseQueryOptions {
  /** The name used in errors: `q` (default), or where the query came from. */
  readonly parameter?: string;
}

export function parseQuery(text: string, options: ParseQueryOptions = {}): QExpression {
  return new QueryParser(text, options.parameter ?? 'q').parse();
}

/**
 * The text of a query, such that `parseQuery(printQuery(x))` equals `x`. Groups are always
 * parenthesised and patterns always quoted, so it is not necessarily the text that was parsed.
 */
export function printQuery(expression: QExpression): string {
  switch (expression.kind) {
    case 'and':
      return expression.operands.map(printOperand).join(';');
    case 'or':
      return expression.operands.map(printOperand).join('|');
    case 'exists':
      return printAttribute(expression.attribute);
    case 'equality':
      return `${printAttribute(expression.attribute)}${expression.operator}${printEqualityOperand(expression.operand)}`;
    case 'ordering':
      return `${printAttribute(expression.attribute)}${expression.operator}${printValue(expression.value)}`;
    case 'pattern':
      return `${printAttribute(expression.attribute)}${expression.operator}${JSON.stringify(expression.pattern)}`;
  }
}

function printOperand(operand: QExpression): string {
  return operand.kind === 'and' || operand.kind === 'or' ? `(${printQuery(operand)})` : printQuery(operand);
}

function printAttribute(attribute: QAttribute): string {
  const hops = attribute.links.map((hop) => `${hop.relationship}{${hop.entityTypes.length > 0 ? `${hop.entityTypes.join(',')}:` : ''}`).join('');
  return `${hops}${attribute.path.join('.')}${printTrailingPath(attribute.trailing)}${'}'.repeat(attribute.links.length)}`;
}

function printTrailingPath(trailing: QTrailingPath | null): string {
  if (trailing === null) return '';
  switch (trailing.kind) {
    case 'members':
      return `[${trailing.names.join('.')}]`;
    case 'language':
      return `[${trailing.tag}]`;
    case 'anyLanguage':
      return '[*]';
  }
}

function printEqualityOperand(operand: QValue | QValueList | QRange): string {
  switch (operand.kind) {
    case 'list':
      return operand.values.map(printValue).join(',');
    case 'range':
      return `${printValue(operand.low)}..${printValue(operand.high)}`;
    default:
      return printValue(operand);
  }
}

function printValue(value: QValue): string {
  switch (value.kind) {
    case 'number':
      return String(value.value);
    case 'string':
      return JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    default:
      return value.value;
  }
}

const MAX_NESTING = 64;
/** Tried in this order, so that `!~=` is not read as `!` and `>=` not as `>`. */
const OPERATORS = ['==', '!~=', '!=', '>=', '>', '<=', '<', '~='] as const;
type Operator = (typeof OPERATORS)[number];

const DATE_TIME = /([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]{1,6}))?Z/y;
const DATE = /([0-9]{4})-([0-9]{2})-([0-9]{2})/y;
const TIME = /([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]{1,6}))?Z/y;
const COMPLETE_LITERALS = [DATE_TIME, DATE, TIME, JSON_NUMBER].map((pattern) => new RegExp(`^(?:${pattern.source})$`));
const LANGUAGE_TAG = /[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})+(?=\])/y;
const EMBEDDED_OPTIONS = /^\(\?[bceimnpqstwx]+\)/;
/** Characters that end an unquoted value: q's own delimiters and what RFC 3986/3987 never allow in a URI. */
// eslint-disable-next-line no-control-regex
const BARE_VALUE_END = /[\u0000-\u0020\u007F;|,()"<>\\^`{}]/u;

const ANY_VALUE = 'a value: a number, a quoted string, a dateTime, a date, a time, true, false or a URI';
const COMPARABLE_VALUE = 'a number, a quoted string, a dateTime, a date or a time';
const TEMPORAL_FORMS = 'a dateTime written YYYY-MM-DDThh:mm:ss[.ffffff]Z, a date YYYY-MM-DD or a time hh:mm:ss[.ffffff]Z (UTC, with the Z)';
const TERM_END = "';', '|', ')' or the end of the query";

class QueryParser {
  private pos = 0;
  private nesting = 0;

  constructor(
    private readonly text: string,
    private readonly parameter: string,
  ) {}

  parse(): QExpression {
    const expression = this.disjunction();
    if (this.pos < this.text.length) throw this.syntaxError(this.pos, "';', '|' or the end of the query");
    return expression;
  }

  // ------------------------------------------------------------ logic

  private disjunction(): QExpression {
    const operands = [this.conjunction()];
    while (this.accept('|')) operands.push(this.conjunction());
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private conjunction(): QExpression {
    const operands = [this.operand()];
    while (this.accept(';')) operands.push(this.operand());
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private operand(): QExpression {
    if (this.peek() !== '(') return this.term();
    const open = this.pos;
    this.enterNesting(open);
    this.pos++;
    const inner = this.disjunction();
    if (!this.accept(')')) throw this.syntaxError(this.pos, `';', '|' or a ')' closing the '(' at ${characterAt(this.text, open)}`);
    this.nesting--;
    return inner;
  }

  private term(): QTerm {
    const attribute = this.attribute();
    const operator = this.operator();
    if (operator === null) {
      if (!this.atTermEnd()) throw this.syntaxError(this.pos, `an operator (==, !=, >, >=, <, <=, ~= or !~=), ${TERM_END}`);
      return { kind: 'exists', attribute };
    }
    let term: QTerm;
    switch (operator) {
      case '==':
      case '!=':
        term = { kind: 'equality', operator, attribute, operand: this.equalityOperand() };
        break;
      case '~=':
      case '!~=':
        term = { kind: 'pattern', operator, attribute, pattern: this.pattern() };
        break;
      default:
        term = { kind: 'ordering', operator, attribute, value: this.comparableValue(`${COMPARABLE_VALUE} after '${operator}'`) };
        if (this.peek() === ',' || this.text.startsWith('..', this.pos)) {
          throw this.syntaxError(this.pos, `${TERM_END} (lists and ranges only follow == and !=)`);
        }
    }
    if (!this.atTermEnd()) throw this.syntaxError(this.pos, TERM_END);
    return term;
  }

  private operator(): Operator | null {
    const operator = OPERATORS.find((candidate) => this.text.startsWith(candidate, this.pos)) ?? null;
    if (operator !== null) this.pos += operator.length;
    return operator;
  }

  // ------------------------------------------------------------ attribute paths

  private attribute(): QAttribute {
    const links: QLinkedEntityHop[] = [];
    const opens: number[] = [];
    let name = this.name("an attribute name or '('");
    while (this.peek() === '{') {
      opens.push(this.pos);
      this.enterNesting(this.pos);
      this.pos++;
      const entityTypes: string[] = [];
      let inner = this.name('an attribute name, or entity types and a colon (Type:attribute)');
      if (this.peek() === ',' || this.peek() === ':') {
        entityTypes.push(inner);
        while (this.accept(',')) entityTypes.push(this.name('an entity type'));
        if (!this.accept(':')) throw this.syntaxError(this.pos, "',' or ':' after the entity types");
        inner = this.name('an attribute name');
      }
      links.push({ relationship: name, entityTypes });
      name = inner;
    }
    const path: [string, ...string[]] = [name];
    while (this.accept('.')) path.push(this.name('an attribute name after the dot'));
    const trailing = this.peek() === '[' ? this.trailingPath() : null;
    const before = trailing === null ? "'.', '[' or " : '';
    for (const open of opens.reverse()) {
      if (!this.accept('}')) throw this.syntaxError(this.pos, `${before}a '}' closing the '{' at ${characterAt(this.text, open)}`);
      this.nesting--;
    }
    return { links, path, trailing };
  }

  private trailingPath(): QTrailingPath {
    const open = this.pos;
    this.pos++;
    let trailing: QTrailingPath;
    LANGUAGE_TAG.lastIndex = this.pos;
    const tag = LANGUAGE_TAG.exec(this.text)?.[0];
    if (this.accept('*')) {
      trailing = { kind: 'anyLanguage' };
    } else if (tag !== undefined) {
      this.pos += tag.length;
      trailing = { kind: 'language', tag };
    } else {
      const names: [string, ...string[]] = [this.name("a member name, a language tag or '*'")];
      while (this.accept('.')) names.push(this.name('a member name after the dot'));
      trailing = { kind: 'members', names };
    }
    if (!this.accept(']')) {
      const expected = trailing.kind === 'members' ? "'.' or " : '';
      throw this.syntaxError(this.pos, `${expected}a ']' closing the '[' at ${characterAt(this.text, open)}`);
    }
    return trailing;
  }

  private name(expected: string): string {
    const name = nameAt(this.text, this.pos);
    if (name === null) throw this.syntaxError(this.pos, expected);
    this.pos += name.length;
    return name;
  }

  // ------------------------------------------------------------ values

  private equalityOperand(): QValue | QValueList | QRange {
    const start = this.pos;
    const first = this.value(ANY_VALUE);
    if (isComparable(first) && this.text.startsWith('..', this.pos)) {
      this.pos += 2;
      const highAt = this.pos;
      const high = this.comparableValue(`${COMPARABLE_VALUE} ending the range`);
      if (high.kind !== first.kind) {
        throw new InvalidFilterError(this.parameter, `the range runs from a ${first.kind} to a ${high.kind}; both ends need the same kind`, characterAt(this.text, highAt));
      }
      return { kind: 'range', low: first, high };
    }
    if (this.peek() !== ',') return first;
    const values: QValue[] = [first];
    while (this.accept(',')) values.push(this.value(`${ANY_VALUE} in the list that starts at ${characterAt(this.text, start)}`));
    if (this.text.startsWith('..', this.pos)) throw this.syntaxError(this.pos, `',' or ${TERM_END} (a range cannot be a member of a list)`);
    return { kind: 'list', values };
  }

  private comparableValue(expected: string): QComparableValue {
    return this.comparableLiteral() ?? this.rejectValue(expected);
  }

  private value(expected: string): QValue {
    return this.comparableLiteral() ?? this.unquotedWord() ?? this.rejectValue(expected);
  }

  private comparableLiteral(): QComparableValue | null {
    if (this.peek() === '"') return { kind: 'string', value: this.quotedString() };
    const temporal = this.temporalValue();
    if (temporal !== null) return temporal;
    const start = this.pos;
    const number = this.match(JSON_NUMBER)?.[0];
    if (number === undefined) return null;
    const value = Number(number);
    if (!Number.isFinite(value)) throw new InvalidFilterError(this.parameter, `${number} is beyond the range of a double-precision number`, characterAt(this.text, start));
    return { kind: 'number', value: Object.is(value, -0) ? 0 : value };
  }

  /** true, false, a URI or a vocabulary term: they end only where a value ends, so `..` stays inside a URI. */
  private unquotedWord(): QValue | null {
    const end = this.bareValueEnd();
    const word = this.text.slice(this.pos, end);
    let value: QValue;
    if (word === 'true' || word === 'false') value = { kind: 'boolean', value: word === 'true' };
    else if (isAbsoluteUri(word)) value = { kind: 'uri', value: word };
    else if (isName(word)) value = { kind: 'term', value: word };
    else return null;
    this.pos = end;
    return value;
  }

  private rejectValue(expected: string): never {
    const word = this.text.slice(this.pos, this.bareValueEnd());
    if (word === '') throw this.syntaxError(this.pos, expected);
    // A good literal followed by a space or a stray character: point at what follows it.
    if (COMPLETE_LITERALS.some((literal) => literal.test(word))) throw this.syntaxError(this.pos + word.length, TERM_END);
    const looksTemporal = /^[0-9]{4}-[0-9]{2}-[0-9]{2}|^[0-9]{2}:[0-9]{2}/.test(word);
    throw new FilterSyntaxError(this.parameter, characterAt(this.text, this.pos), looksTemporal ? TEMPORAL_FORMS : expected, quoteExcerpt(word));
  }

  private bareValueEnd(): number {
    let end = this.pos;
    while (end < this.text.length && !BARE_VALUE_END.test(this.text[end]!)) end++;
    return end;
  }

  private temporalValue(): QComparableValue | null {
    const start = this.pos;
    const at = characterAt(this.text, start);
    const dateTime = this.match(DATE_TIME);
    if (dateTime !== null) {
      const [text, year, month, day, hour, minute, second] = dateTime;
      if (!isCalendarDay(Number(year), Number(month), Number(day))) throw this.invalidDay(text.slice(0, 10), start);
      this.checkTimeOfDay(hour!, minute!, second!, at);
      return { kind: 'dateTime', value: text.replace(',', '.') };
    }
    const date = this.match(DATE);
    if (date !== null) {
      const [text, year, month, day] = date;
      if (!isCalendarDay(Number(year), Number(month), Number(day))) throw this.invalidDay(text, start);
      return { kind: 'date', value: text };
    }
    const time = this.match(TIME);
    if (time !== null) {
      const [text, hour, minute, second] = time;
      this.checkTimeOfDay(hour!, minute!, second!, at);
      return { kind: 'time', value: text.replace(',', '.') };
    }
    return null;
  }

  /** A sticky match at the cursor that a value delimiter follows; the cursor moves past it. */
  private match(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (match === null || !this.endsValue(this.pos + match[0].length)) return null;
    this.pos += match[0].length;
    return match;
  }

  private invalidDay(text: string, start: number): InvalidFilterError {
    return new InvalidFilterError(this.parameter, `${text} is not a day of the calendar`, characterAt(this.text, start));
  }

  private checkTimeOfDay(hour: string, minute: string, second: string, at: string): void {
    if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) {
      throw new InvalidFilterError(this.parameter, `${hour}:${minute}:${second} is not a time of day`, at);
    }
  }

  private endsValue(index: number): boolean {
    return index >= this.text.length || ';|),'.includes(this.text[index]!) || this.text.startsWith('..', index);
  }

  /** RFC 8259 section 7 string; the cursor is on the opening quote. */
  private quotedString(): string {
    const open = this.pos;
    let value = '';
    let i = open + 1;
    for (;;) {
      if (i >= this.text.length) throw this.syntaxError(i, `a '"' closing the string that starts at ${characterAt(this.text, open)}`);
      const ch = this.text[i]!;
      if (ch === '"') break;
      if (ch < ' ') throw this.syntaxError(i, 'a character of the string (control characters must be written as escapes such as \\n or \\u0009)');
      if (ch !== '\\') {
        value += ch;
        i++;
        continue;
      }
      const escape = this.text[i + 1];
      const simple = escape === undefined ? undefined : SIMPLE_ESCAPES[escape];
      if (simple !== undefined) {
        value += simple;
        i += 2;
      } else if (escape === 'u' && /^[0-9A-Fa-f]{4}$/.test(this.text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(this.text.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        throw this.syntaxError(i + 1, 'an escape: \\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\u followed by four hexadecimal digits');
      }
    }
    this.pos = i + 1;
    return value;
  }

  // ------------------------------------------------------------ regular expressions

  /**
   * Clause 4.9 gives RegExp no delimiter, yet a pattern may hold q's own `;`, `|` and `)`. A quoted
   * pattern (`~="a;b"`, what Orion-LD and Stellio also accept) is the JSON string's content. An
   * unquoted one runs to the first `;`, `|` or `)` outside its own groups, bracket expressions and
   * escapes, so `name~=^(Eiffel|Pisa)` works and a top-level alternative needs a group or quotes.
   * Brackets and escapes are read as PostgreSQL's advanced regular expressions read them.
   */
  private pattern(): string {
    const start = this.pos;
    if (this.peek() === '"') {
      const pattern = this.quotedString();
      if (pattern === '') throw new InvalidFilterError(this.parameter, 'the regular expression is empty', characterAt(this.text, start));
      return this.checkedPattern(pattern, start);
    }
    const groups: number[] = [];
    let i = start;
    scan: while (i < this.text.length) {
      switch (this.text[i]) {
        case '\\':
          i += 2;
          continue;
        case '[':
          i = this.bracketExpressionEnd(i);
          continue;
        case '(':
          groups.push(i);
          break;
        case ')':
          if (groups.length === 0) break scan;
          groups.pop();
          break;
        case ';':
        case '|':
          if (groups.length === 0) break scan;
          break;
      }
      i++;
    }
    i = Math.min(i, this.text.length);
    if (groups.length > 0) throw this.syntaxError(i, `a ')' closing the group of the regular expression at ${characterAt(this.text, groups[groups.length - 1]!)}`);
    if (i === start) throw this.syntaxError(start, 'a regular expression');
    this.pos = i;
    return this.checkedPattern(this.text.slice(start, i), start);
  }

  private bracketExpressionEnd(open: number): number {
    let i = open + 1;
    if (this.text[i] === '^') i++;
    if (this.text[i] === ']') i++;
    while (i < this.text.length) {
      const ch = this.text[i]!;
      if (ch === ']') return i + 1;
      if (ch === '\\') {
        i += 2;
      } else if (ch === '[' && ':.='.includes(this.text[i + 1] ?? ']')) {
        const close = this.text.indexOf(`${this.text[i + 1]}]`, i + 2);
        if (close < 0) break;
        i = close + 2;
      } else {
        i++;
      }
    }
    throw this.syntaxError(this.text.length, `a ']' closing the bracket expression of the regular expression at ${characterAt(this.text, open)}`);
  }

  /**
   * ECMAScript is not PostgreSQL's dialect, but what it cannot compile is broken in both (unbalanced,
   * dangling quantifier, reversed range). PostgreSQL's leading embedded options such as `(?i)` are
   * set aside first, as ECMAScript has none.
   */
  private checkedPattern(pattern: string, start: number): string {
    try {
      new RegExp(pattern.replace(EMBEDDED_OPTIONS, ''));
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : String(error);
      throw new InvalidFilterError(this.parameter, `${quoteExcerpt(pattern)} is not a valid regular expression (${reason})`, characterAt(this.text, start));
    }
    return pattern;
  }

  // ------------------------------------------------------------ cursor

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private accept(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private atTermEnd(): boolean {
    return this.pos >= this.text.length || ';|)'.includes(this.text[this.pos]!);
  }

  private enterNesting(at: number): void {
    if (++this.nesting > MAX_NESTING) throw new InvalidFilterError(this.parameter, `the query nests more than ${MAX_NESTING} levels of parentheses and braces`, characterAt(this.text, at));
  }

  private syntaxError(index: number, expected: string): FilterSyntaxError {
    return new FilterSyntaxError(this.parameter, characterAt(this.text, index), expected, describeFoundAt(this.text, index, this.parameter));
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
});

function isComparable(value: QValue): value is QComparableValue {
  return value.kind !== 'boolean' && value.kind !== 'uri' && value.kind !== 'term';
}
