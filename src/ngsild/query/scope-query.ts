import type { ScopeCondition } from '../../domain/entity.js';
import { FilterSyntaxError } from '../../domain/errors.js';

/**
 * The NGSI-LD scope query language, the `scopeQ` parameter (ETSI GS CIM 009 clause 4.19):
 *
 *   ScopeQ    = Or
 *   Or        = And *("," And)
 *   And       = Term *(";" Term)
 *   Term      = "(" Or ")" / Scope
 *   Scope     = 1*("/" Level) ["/#"] / "/#"     Level = a name, or "+" (any one level)
 *
 * `/Madrid/+/ParqueNorte` matches one level in between; `/CompanyA/#` matches /CompanyA and every
 * scope below it; `/#` matches any scope (entities with a scope). An entity matches a scope
 * expression when one of its scopes does. Each expression becomes a POSIX regular expression on a
 * whole scope; AND binds tighter than OR, as in q.
 */

const LEVEL = /^[^/#+;,()\s]+$/;

/** `text` as a literal of a POSIX (and JavaScript) regular expression. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regular expression of one scope expression (`/a/+/b`, `/a/#`, `/#`). */
export function scopePattern(expression: string): string | null {
  if (!expression.startsWith('/')) return null;
  const levels = expression.slice(1).split('/');
  const descendants = levels[levels.length - 1] === '#';
  if (descendants) levels.pop();
  if (levels.length === 0) return descendants ? '^/' : null;
  let pattern = '^';
  for (const level of levels) {
    if (level === '+') pattern += '/[^/]+';
    else if (LEVEL.test(level)) pattern += `/${literal(level)}`;
    else return null;
  }
  return `${pattern}${descendants ? '(/.*)?' : ''}$`;
}

class ScopeQueryParser {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly parameter: string,
  ) {}

  parse(): ScopeCondition {
    if (this.text.length === 0) throw this.error('a scope such as /Madrid/Gardens');
    const condition = this.or();
    if (this.at < this.text.length) throw this.error('; (and), , (or) or the end');
    return condition;
  }

  private error(expected: string): FilterSyntaxError {
    const found = this.at < this.text.length ? `'${this.text.slice(this.at, this.at + 20)}'` : 'the end';
    return new FilterSyntaxError(this.parameter, `character ${this.at + 1}`, expected, found);
  }

  private or(): ScopeCondition {
    const operands = [this.and()];
    while (this.text[this.at] === ',') {
      this.at++;
      operands.push(this.and());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private and(): ScopeCondition {
    const operands = [this.term()];
    while (this.text[this.at] === ';') {
      this.at++;
      operands.push(this.term());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private term(): ScopeCondition {
    if (this.text[this.at] === '(') {
      this.at++;
      const inner = this.or();
      if (this.text[this.at] !== ')') throw this.error(')');
      this.at++;
      return inner;
    }
    const start = this.at;
    while (this.at < this.text.length && !';,()'.includes(this.text[this.at]!)) this.at++;
    const pattern = scopePattern(this.text.slice(start, this.at));
    if (pattern === null) {
      this.at = start;
      throw this.error("a scope: levels each after a / (a name, or + for any one level), optionally ending in /# (this level and all below)");
    }
    return { kind: 'scope', pattern };
  }
}

export function parseScopeQuery(text: string, parameter = 'scopeQ'): ScopeCondition {
  return new ScopeQueryParser(text, parameter).parse();
}
