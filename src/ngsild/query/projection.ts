import { FilterSyntaxError, InvalidParameterError } from '../../domain/errors.js';
import { characterAt, describeFoundAt, isAbsoluteUri, isPrefixedName, nameAt, quoteExcerpt } from './query-syntax.js';

/**
 * What of each entity a response carries: `attrs` (deprecated), `pick` and `omit`.
 *
 * pick and omit use the Attribute Projection Language (ETSI GS CIM 009 clause 4.21):
 *
 *   ProjectionTerm   = AttrName *1(LinkedEntityTerm) *(orOp ProjectionTerm)     orOp = "|" / ","
 *   LinkedEntityTerm = "{" ProjectionTerm "}"
 *
 * where AttrName is clause 4.9's (short names only) and may also be the entity members `id`, `type`
 * and `scope`. `locatedAt{name}` projects the entities that `locatedAt` links to (linked entity
 * retrieval). attrs is a plain list of attribute names, short or expanded.
 */
export interface Projection {
  /** Attribute names in request order; null when attrs was not given. */
  readonly attrs: readonly string[] | null;
  readonly pick: readonly ProjectionTerm[] | null;
  readonly omit: readonly ProjectionTerm[] | null;
}

export interface ProjectionTerm {
  /** An attribute name, or `id`, `type` or `scope`. */
  readonly name: string;
  /** `name{…}`: the projection of the linked entities; null when there are no braces. */
  readonly linked: readonly ProjectionTerm[] | null;
}

/**
 * A query string gives each parameter as one string (or several when repeated); a request body or
 * subscription gives an array of strings. Every string is read with the full grammar, so
 * `["id,name"]` and `["id", "name"]` mean the same.
 */
export type ProjectionInput = string | readonly string[];

export interface ProjectionParameters {
  readonly attrs?: ProjectionInput | undefined;
  readonly pick?: ProjectionInput | undefined;
  readonly omit?: ProjectionInput | undefined;
}

/** The entity members that are not attributes; attrs cannot name them. */
const ENTITY_MEMBERS = new Set(['id', 'type']);

export function parseProjection(parameters: ProjectionParameters): Projection {
  const attrs = parameters.attrs === undefined ? null : parseAttrs(parameters.attrs);
  const pick = parameters.pick === undefined ? null : parseProjectionTerms(parameters.pick, 'pick');
  const omit = parameters.omit === undefined ? null : parseProjectionTerms(parameters.omit, 'omit');
  // Clauses 5.7.1 and 5.7.2 (Retrieve and Query Entities) as of V1.8.1, which introduced pick and omit:
  // the suite's tests 018_18_02/03 and 019_18_02/03 (tagged 5_7_1/5_7_2, 4_21, since_v1.8.1) and the
  // temporal 020_22/021_22 expect BadRequestData when attrs comes with pick or omit. The V1.8.1 OpenAPI
  // calls attrs "a synonym for a combination of the pick and q parameters" and deprecates it. The
  // clause text itself could not be read for this module; the rule is taken from the suite.
  if (attrs !== null && (pick !== null || omit !== null)) {
    throw new InvalidParameterError('attrs', `attrs cannot be combined with ${pick !== null ? 'pick' : 'omit'}; attrs is deprecated, use pick (and q to require the attributes)`);
  }
  if (pick !== null && omit !== null) {
    const omitted = new Set(omit.map((term) => term.name));
    const both = pick.map((term) => term.name).filter((name) => omitted.has(name));
    // Suite tests 018_18_01, 019_18_01, 020_22_01 and 021_22_01 (since V1.8.1).
    if (both.length > 0) throw new InvalidParameterError('omit', `${both.map((name) => `'${name}'`).join(', ')} cannot be both picked and omitted`);
  }
  return { attrs, pick, omit };
}

/** One pick or omit value, e.g. `id,locatedAt{name}`. */
export function parseProjectionTerms(input: ProjectionInput, parameter: 'pick' | 'omit'): readonly ProjectionTerm[] {
  return eachString(input, parameter).flatMap(({ text, item }) => new ProjectionParser(text, parameter, item).parse());
}

/** The text of a projection, such that parsing it gives the terms back. */
export function printProjection(terms: readonly ProjectionTerm[]): string {
  return terms.map((term) => (term.linked === null ? term.name : `${term.name}{${printProjection(term.linked)}}`)).join(',');
}

function parseAttrs(input: ProjectionInput): readonly string[] {
  const names: string[] = [];
  for (const { text, item } of eachString(input, 'attrs')) {
    let start = 0;
    for (const name of text.split(',')) {
      const location = locate(text, start, item);
      if (name === '') throw new FilterSyntaxError('attrs', location, 'an attribute name', describeFoundAt(text, start, 'attrs'));
      if (!isPrefixedName(name) && !isAbsoluteUri(name)) {
        throw new FilterSyntaxError('attrs', location, 'an attribute name (letters, digits and _, starting with a letter) or a URI', quoteExcerpt(name));
      }
      if (ENTITY_MEMBERS.has(name)) throw new InvalidParameterError('attrs', `'${name}' is an entity member, not an attribute; use pick to select it`);
      if (!names.includes(name)) names.push(name);
      start += name.length + 1;
    }
  }
  return names;
}

function eachString(input: ProjectionInput, parameter: string): { text: string; item: number | null }[] {
  if (typeof input === 'string') return [{ text: input, item: null }];
  if (input.length === 0) throw new InvalidParameterError(parameter, `${parameter} needs at least one member`);
  return input.map((text, item) => ({ text, item }));
}

function locate(text: string, index: number, item: number | null): string {
  return item === null ? characterAt(text, index) : `item ${item + 1}, ${characterAt(text, index)}`;
}

const MAX_NESTING = 32;

class ProjectionParser {
  private pos = 0;
  private nesting = 0;

  constructor(
    private readonly text: string,
    private readonly parameter: string,
    private readonly item: number | null,
  ) {}

  parse(): ProjectionTerm[] {
    const terms = this.terms();
    if (this.pos < this.text.length) {
      const expected = this.text[this.pos] === '}' ? `',', '|' or the end of ${this.parameter} (this '}' closes no '{')` : `',', '|', '{' or the end of ${this.parameter}`;
      throw this.syntaxError(expected);
    }
    return terms;
  }

  private terms(): ProjectionTerm[] {
    const terms = [this.term()];
    while (this.accept(',') || this.accept('|')) terms.push(this.term());
    return terms;
  }

  private term(): ProjectionTerm {
    const name = nameAt(this.text, this.pos);
    if (name === null) throw this.syntaxError('an attribute name, id, type or scope');
    this.pos += name.length;
    if (!this.accept('{')) return { name, linked: null };
    const open = this.pos - 1;
    if (++this.nesting > MAX_NESTING) throw new InvalidParameterError(this.parameter, `${this.parameter} nests linked entities more than ${MAX_NESTING} levels deep`);
    const linked = this.terms();
    if (!this.accept('}')) throw this.syntaxError(`',', '|', '{' or a '}' closing the '{' at ${characterAt(this.text, open)}`);
    this.nesting--;
    return { name, linked };
  }

  private accept(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private syntaxError(expected: string): FilterSyntaxError {
    return new FilterSyntaxError(this.parameter, locate(this.text, this.pos, this.item), expected, describeFoundAt(this.text, this.pos, this.parameter));
  }
}
