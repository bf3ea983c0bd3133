/**
 * The scope query language (clause 4.19): each expression as the regular expression a whole scope
 * must match, tried on scopes with JavaScript's engine (PostgreSQL reads the same patterns: the
 * integration tests query with them), and the syntax errors with their place.
 */
import { describe, expect, it } from 'vitest';
import type { ScopeCondition } from '../../src/domain/entity.js';
import { FilterSyntaxError } from '../../src/domain/errors.js';
import { parseScopeQuery } from '../../src/ngsild/query/scope-query.js';

/** Whether an entity with these scopes is selected: a pattern is met when one of its scopes matches. */
function selects(condition: ScopeCondition, scopes: readonly string[]): boolean {
  if (condition.kind === 'scope') return scopes.some((s) => new RegExp(condition.pattern, 'u').test(s));
  return condition.kind === 'and' ? condition.operands.every((c) => selects(c, scopes)) : condition.operands.some((c) => selects(c, scopes));
}

const SCOPES = ['/Madrid', '/Madrid/Gardens', '/Madrid/Gardens/ParqueNorte', '/Madrid/Streets/ParqueNorte', '/Madrid.x/Gardens', '/CompanyA/OrganizationB/UnitC', '/Madrid/Gardens/ParqueNorte/Lake'];

describe('scopeQ', () => {
  it.each([
    ['/Madrid/Gardens/ParqueNorte', ['/Madrid/Gardens/ParqueNorte']],
    ['/Madrid/+/ParqueNorte', ['/Madrid/Gardens/ParqueNorte', '/Madrid/Streets/ParqueNorte']],
    ['/Madrid/#', ['/Madrid', '/Madrid/Gardens', '/Madrid/Gardens/ParqueNorte', '/Madrid/Streets/ParqueNorte', '/Madrid/Gardens/ParqueNorte/Lake']],
    ['/Madrid/+', ['/Madrid/Gardens']],
    ['/+/Gardens', ['/Madrid/Gardens', '/Madrid.x/Gardens']],
    ['/#', SCOPES],
    ['/Madrid/Gardens/#', ['/Madrid/Gardens', '/Madrid/Gardens/ParqueNorte', '/Madrid/Gardens/ParqueNorte/Lake']],
  ])('%s matches exactly the scopes it names (a dot is no wildcard)', (scopeQ, matching) => {
    const condition = parseScopeQuery(scopeQ);
    expect(SCOPES.filter((s) => selects(condition, [s]))).toEqual(matching);
  });

  it('binds ; (and) tighter than , (or), and parentheses group', () => {
    const entity = ['/Madrid/Gardens/ParqueNorte', '/CompanyA/OrganizationB/UnitC'];
    expect(selects(parseScopeQuery('/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB/UnitC'), entity)).toBe(true);
    expect(selects(parseScopeQuery('/Madrid/Gardens/ParqueNorte;/Other'), entity)).toBe(false);
    expect(selects(parseScopeQuery('/Other;/Madrid/#,/CompanyA/#'), entity)).toBe(true);
    expect(selects(parseScopeQuery('/Other;(/Madrid/#,/CompanyA/#)'), entity)).toBe(false);
    expect(parseScopeQuery('/a;/b,/c')).toEqual({ kind: 'or', operands: [{ kind: 'and', operands: [{ kind: 'scope', pattern: '^/a$' }, { kind: 'scope', pattern: '^/b$' }] }, { kind: 'scope', pattern: '^/c$' }] });
  });

  it.each([
    ['', 'character 1'],
    ['Madrid', 'character 1'],
    ['/Madrid/#/Gardens', 'character 1'],
    ['/Madrid//Gardens', 'character 1'],
    ['(/Madrid', 'character 9'],
    ['/a;;/b', 'character 4'],
    ['/a)', 'character 3'],
    ['/Mad rid', 'character 1'],
  ])('refuses %j, naming the place (%s)', (scopeQ, place) => {
    expect(() => parseScopeQuery(scopeQ)).toThrow(FilterSyntaxError);
    expect(() => parseScopeQuery(scopeQ)).toThrow(place);
  });
});
