import { FilterSyntaxError } from '../../domain/errors.js';
import { characterAt, describeFoundAt, isAbsoluteUri, isPrefixedName, quoteExcerpt } from './query-syntax.js';

/**
 * The NGSI-LD Entity Type Selection Language, the `type` parameter (ETSI GS CIM 009 clause 4.17):
 *
 *   EntityTypes  = OrEntityType *(orOp OrEntityType)      orOp = "|" / ","
 *   OrEntityType = "(" EntityType *(";" EntityType) ")" / EntityType
 *
 * The selection is a disjunction of types and parenthesised conjunctions, and the tree below can only
 * hold that shape. `Home;Vehicle` without parentheses is rejected, because the clause says an AND
 * needs them, and so is nesting. `*` alone selects every type (OpenAPI `Query.type`).
 */
export type EntityTypeSelection = AnyEntityType | EntityTypeName | EntityTypeConjunction | EntityTypeDisjunction;

export interface AnyEntityType {
  readonly kind: 'any';
}

/** A short name (clause 4.6.2, possibly `prefix:name`) or a URI; expanding it is the caller's job. */
export interface EntityTypeName {
  readonly kind: 'type';
  readonly name: string;
}

/** `(Home;Vehicle)`: entities that have all these types. */
export interface EntityTypeConjunction {
  readonly kind: 'and';
  readonly types: readonly EntityTypeName[];
}

/** `Building,House` or `Building|House`. */
export interface EntityTypeDisjunction {
  readonly kind: 'or';
  readonly operands: readonly (EntityTypeName | EntityTypeConjunction)[];
}

export function parseTypeSelection(text: string, parameter = 'type'): EntityTypeSelection {
  if (text === '*') return { kind: 'any' };
  return new TypeSelectionParser(text, parameter).parse();
}

/** The text of a selection, such that parsing it gives the selection back; OR is written with ',', which every version reads. */
export function printTypeSelection(selection: EntityTypeSelection): string {
  switch (selection.kind) {
    case 'any':
      return '*';
    case 'type':
      return selection.name;
    case 'and':
      return `(${selection.types.map((type) => type.name).join(';')})`;
    case 'or':
      return selection.operands.map(printTypeSelection).join(',');
  }
}

/** Where a type name ends. The clause notes that `,;()` may occur in URIs; it recommends short names, and such URIs cannot be written here. */
const NAME_END = /[\s,;|()]/u;

class TypeSelectionParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly parameter: string,
  ) {}

  parse(): EntityTypeSelection {
    const operands = [...this.alternative()];
    while (this.accept(',') || this.accept('|')) operands.push(...this.alternative());
    if (this.pos < this.text.length) {
      const hint = this.text[this.pos] === ';' ? ' (an AND needs parentheses: (TypeA;TypeB))' : '';
      throw this.syntaxError(this.pos, `',', '|' or the end of ${this.parameter}${hint}`);
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  /**
   * A type, a parenthesised conjunction, or a parenthesised disjunction `(A|B)`, which the clause's
   * grammar does not have but the ETSI suite sends (046_16): it is the same as `A|B`, so its types
   * join the disjunction around it. One group joins with one operator.
   */
  private alternative(): (EntityTypeName | EntityTypeConjunction)[] {
    if (!this.accept('(')) return [this.typeName("an entity type or '('")];
    const open = this.pos - 1;
    const types = [this.typeName('an entity type')];
    const operator = this.text[this.pos];
    const joins = operator === ';' ? [';'] : operator === ',' || operator === '|' ? [',', '|'] : [];
    while (joins.some((j) => this.accept(j))) types.push(this.typeName('an entity type'));
    if (!this.accept(')')) {
      const hint = joins.length && ';,|'.includes(this.text[this.pos] ?? 'end') ? ' (one group joins its types with ; or with | only)' : '';
      throw this.syntaxError(this.pos, `${joins.length ? `'${operator}'` : "';', '|'"} or a ')' closing the '(' at ${characterAt(this.text, open)}${hint}`);
    }
    if (operator === ';' && types.length > 1) return [{ kind: 'and', types }];
    return types;
  }

  private typeName(expected: string): EntityTypeName {
    const start = this.pos;
    while (this.pos < this.text.length && !NAME_END.test(this.text[this.pos]!)) this.pos++;
    const name = this.text.slice(start, this.pos);
    if (name === '') throw this.syntaxError(start, expected);
    if (!isPrefixedName(name) && !isAbsoluteUri(name)) {
      throw new FilterSyntaxError(this.parameter, characterAt(this.text, start), 'an entity type: a name of letters, digits and _ that starts with a letter, or a URI', quoteExcerpt(name));
    }
    return { kind: 'type', name };
  }

  private accept(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private syntaxError(index: number, expected: string): FilterSyntaxError {
    return new FilterSyntaxError(this.parameter, characterAt(this.text, index), expected, describeFoundAt(this.text, index, this.parameter));
  }
}
