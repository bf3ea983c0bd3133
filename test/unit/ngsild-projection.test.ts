import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, InvalidParameterError } from '../../src/domain/errors.js';
import { parseProjection, parseProjectionTerms, printProjection, type ProjectionParameters, type ProjectionTerm } from '../../src/ngsild/query/projection.js';

const term = (name: string, linked: ProjectionTerm[] | null = null): ProjectionTerm => ({ name, linked });

function failure(parameters: ProjectionParameters): Error {
  try {
    parseProjection(parameters);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${JSON.stringify(parameters)} parsed without error`);
}

describe('pick and omit: the attribute projection language (clause 4.21)', () => {
  it.each<[string, ProjectionTerm[]]>([
    ['temperature', [term('temperature')]],
    ['temperature,humidity', [term('temperature'), term('humidity')]],
    ['temperature|humidity', [term('temperature'), term('humidity')]],
    ['observation{temperature,humidity}', [term('observation', [term('temperature'), term('humidity')])]],
    ['id,type,scope', [term('id'), term('type'), term('scope')]],
    ['id,locatedAt{id,name,isInCountry{id,description}}', [term('id'), term('locatedAt', [term('id'), term('name'), term('isInCountry', [term('id'), term('description')])])]],
    ['a{b}|c{d|e}', [term('a', [term('b')]), term('c', [term('d'), term('e')])]],
    ['température,名前', [term('température'), term('名前')]],
  ])('%s', (text, expected) => {
    expect(parseProjectionTerms(text, 'pick')).toStrictEqual(expected);
  });

  it('reads a body array element by element, each with the full grammar', () => {
    expect(parseProjectionTerms(['id', 'locatedAt{name}', 'a,b'], 'omit')).toStrictEqual([term('id'), term('locatedAt', [term('name')]), term('a'), term('b')]);
  });

  /** The projection language errors of ETSI suite tests 018_18 and 019_18 (etsi-suite/suite/TP/NGSI-LD/ContextInformation/Consumption/Entity/...), plus more. */
  it.each([
    ['id;name', 'character 3', "',', '|', '{' or the end of pick", '018_18_04, 019_18_04 RetrieveWithInvalidCharacter'],
    ['id,locatedAt{name', 'character 18', "',', '|', '{' or a '}' closing the '{' at character 13", '018_18_05, 019_18_05 RetrieveWithUnclosedBrace'],
    ['id,locatedAt{{name}', 'character 14', 'an attribute name, id, type or scope', '018_18_06, 019_18_06 RetrieveWithDoubleBraces'],
    ['id,,name', 'character 4', 'an attribute name, id, type or scope', '018_18_07, 019_18_07 RetrieveWithConsecutiveSeparators'],
    ['id,locatedAt{,name}', 'character 14', 'an attribute name, id, type or scope', '018_18_08, 019_18_08 RetrieveWithExpressionStartingWithSpecialCharacter'],
    ['id,locatedAt{}', 'character 14', 'an attribute name, id, type or scope', '018_18_09, 019_18_09 RetrieveWithExpressionContainingNoAttribute'],
    ['', 'character 1', 'an attribute name, id, type or scope', 'empty'],
    ['a,', 'character 3', 'an attribute name', 'trailing separator'],
    ['a}', 'character 2', "(this '}' closes no '{')", 'stray brace'],
    ['a{b}}', 'character 5', "(this '}' closes no '{')", 'stray brace after a group'],
    ['a b', 'character 2', "',', '|', '{' or the end of pick", 'space'],
    ['@id', 'character 1', 'an attribute name', 'JSON-LD keyword'],
    ['https://example.org/name', 'character 6', "',', '|', '{' or the end of pick", 'expanded names are not AttrNames'],
  ])('%j fails at %s (%s)', (text, location, expected) => {
    const error = failure({ pick: text });
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect((error as FilterSyntaxError).parameter).toBe('pick');
    expect((error as FilterSyntaxError).location).toBe(location);
    expect((error as FilterSyntaxError).expected).toContain(expected);
  });

  it('locates an error in a body array by item', () => {
    const error = failure({ omit: ['id', 'a{'] }) as FilterSyntaxError;
    expect(error.parameter).toBe('omit');
    expect(error.location).toBe('item 2, character 3');
  });

  it('refuses an empty body array (minItems 1)', () => {
    expect(() => parseProjection({ pick: [] })).toThrow(InvalidParameterError);
  });

  it('refuses nesting beyond 32 levels', () => {
    expect(() => parseProjectionTerms(`${'a{'.repeat(32)}b${'}'.repeat(32)}`, 'pick')).not.toThrow();
    expect(() => parseProjectionTerms(`${'a{'.repeat(33)}b${'}'.repeat(33)}`, 'pick')).toThrow(/more than 32 levels/);
  });
});

describe('attrs (deprecated)', () => {
  it.each<[ProjectionParameters['attrs'], string[]]>([
    ['name', ['name']],
    ['fuelLevel,speed', ['fuelLevel', 'speed']],
    ['name,locatedAt', ['name', 'locatedAt']],
    ['speed,speed', ['speed']],
    ['ex:speed', ['ex:speed']],
    ['https://ngsi-ld-test-suite/context#airQualityLevel,https://ngsi-ld-test-suite/context#subCategory', ['https://ngsi-ld-test-suite/context#airQualityLevel', 'https://ngsi-ld-test-suite/context#subCategory']],
    [['https://ngsi-ld-test-suite/context#brandName', 'https://uri.etsi.org/ngsi-ld/default-context/isParked'], ['https://ngsi-ld-test-suite/context#brandName', 'https://uri.etsi.org/ngsi-ld/default-context/isParked']],
  ])('%j', (attrs, expected) => {
    expect(parseProjection({ attrs })).toStrictEqual({ attrs: expected, pick: null, omit: null });
  });

  it.each([
    ['', 'character 1'],
    ['a,,b', 'character 3'],
    ['a,', 'character 3'],
    ['a b', 'character 1'],
    ['1a', 'character 1'],
    ['a,b{c}', 'character 3'],
  ])('%j fails at %s', (attrs, location) => {
    const error = failure({ attrs });
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect((error as FilterSyntaxError).location).toBe(location);
  });

  it('refuses the entity members id and type, as suite test 019_03_03 expects', () => {
    const error = failure({ attrs: 'id,type' });
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error).not.toBeInstanceOf(FilterSyntaxError);
    expect((error as InvalidParameterError).parameter).toBe('attrs');
    expect(error.message).toContain("'id' is an entity member");
  });
});

describe('projection: combinations', () => {
  it('takes pick and omit together when they name different members', () => {
    expect(parseProjection({ pick: 'id,name,locatedAt{name}', omit: 'type' })).toStrictEqual({
      attrs: null,
      pick: [term('id'), term('name'), term('locatedAt', [term('name')])],
      omit: [term('type')],
    });
    expect(parseProjection({})).toStrictEqual({ attrs: null, pick: null, omit: null });
  });

  /** ETSI suite 018_18, 019_18 (Consumption/Entity), 020_22, 021_22 (Consumption/TemporalEntity) and subscriptions/subscription-invalid-*.json. */
  it.each<[string, ProjectionParameters, string]>([
    ['018_18_01, 019_18_01 RetrieveWithSameEntityMemberInPickAndOmit', { pick: 'name', omit: 'name' }, 'omit'],
    ['020_22_01, 021_22_01', { pick: 'speed', omit: 'speed' }, 'omit'],
    ['testsuite-data subscriptions/subscription-invalid-same-member-pick-omit.json', { pick: ['id'], omit: ['id'] }, 'omit'],
    ['018_18_02, 019_18_02 RetrieveWithPickAndAttrs', { pick: 'name', attrs: 'category' }, 'attrs'],
    ['018_18_03, 019_18_03 RetrieveWithOmitAndAttrs', { omit: 'name', attrs: 'category' }, 'attrs'],
    ['020_22_02, 021_22_02', { pick: 'speed', attrs: 'fuelLevel' }, 'attrs'],
  ])('%s is refused', (_source, parameters, parameter) => {
    const error = failure(parameters);
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as InvalidParameterError).parameter).toBe(parameter);
  });

  /** The valid pick/omit values of the ETSI suite (etsi-suite/suite/TP/NGSI-LD/ContextInformation/Consumption/...). */
  it.each<[ProjectionParameters, string]>([
    [{ pick: 'name' }, 'Entity/QueryEntities/019_17.robot, Entity/RetrieveEntity/018_17.robot'],
    [{ omit: 'name' }, '019_17.robot, 018_17.robot; 019_21.robot'],
    [{ pick: 'id' }, '019_17.robot, 018_17.robot, TemporalEntity/QueryTemporalEvolutionOfEntities/021_21.robot'],
    [{ omit: 'id' }, '019_17.robot, 018_17.robot'],
    [{ pick: 'id,name' }, '019_17.robot, 018_17.robot; Entity/QueryEntities/019_20.robot'],
    [{ omit: 'type,name' }, '019_17.robot, 018_17.robot'],
    [{ pick: 'id,locatedAt{id,name}' }, '019_20.robot, 019_22.robot, Entity/RetrieveEntity/018_20.robot'],
    [{ pick: 'id,locatedAt{id,name,isInCountry{id,description}}' }, '019_22.robot, 018_20.robot'],
    [{ omit: 'name,locatedAt{name}' }, 'Entity/QueryEntities/019_21.robot'],
    [{ omit: 'type,locatedAt{name}' }, 'Entity/QueryEntities/019_23.robot, Entity/RetrieveEntity/018_21.robot'],
    [{ omit: 'type,locatedAt{name,isInCountry{description}}' }, '019_23.robot, 018_21.robot'],
    [{ pick: 'unknown' }, 'Entity/RetrieveEntity/018_19.robot, TemporalEntity/RetrieveTemporalEvolutionOfEntity/020_23.robot'],
    [{ omit: 'id,type,name,subCategory,airQualityLevel,almostFull' }, '018_19.robot'],
    [{ omit: 'id,type,fuelLevel,speed' }, '020_23.robot'],
    [{ pick: 'speed' }, 'TemporalEntity/.../021_21.robot, 020_21.robot'],
    [{ omit: 'speed' }, '021_21.robot, 020_21.robot'],
    [{ omit: 'type' }, '021_21.robot'],
    [{ pick: 'id,speed' }, '021_21.robot, 020_21.robot'],
    [{ omit: 'type,speed' }, '021_21.robot, 020_21.robot'],
    [{ pick: ['id', 'name'] }, 'testsuite-data subscriptions/subscription-building-entities-pick-members.jsonld'],
    [{ omit: ['type', 'name'] }, 'testsuite-data subscriptions/subscription-building-entities-omit-members.jsonld'],
    [{ attrs: 'name' }, 'Entity/QueryEntities/019_12.robot, ContextSource/Discovery/QueryContextSourceRegistrations/037_01.robot'],
    [{ attrs: 'name,locatedAt' }, 'ContextSource/Discovery/QueryContextSourceRegistrations/037_06.robot'],
    [{ attrs: 'speed' }, 'TemporalEntity/.../021_18.robot, DistributedOperations/.../D011_01_02_inc.robot'],
    [{ attrs: 'fuelLevel' }, '021_17.robot, 020_11.robot, 021_18.robot'],
    [{ attrs: 'fuelLevel,speed' }, 'TemporalEntity/RetrieveTemporalEvolutionOfEntity/020_03.robot'],
    [{ attrs: 'isParked2' }, 'DistributedOperations/Consumption/Entity/QueryEntities/D011_01_03_inc.robot'],
    [{ attrs: 'property_not_found' }, 'Entity/RetrieveEntity/018_03_02.robot (404 comes later, not from the syntax)'],
    [{ attrs: 'unknownAttribute' }, 'TemporalEntity/RetrieveTemporalEvolutionOfEntity/020_08.robot (404 comes later)'],
  ])('%j parses (%s)', (parameters) => {
    expect(() => parseProjection(parameters)).not.toThrow();
  });
});

describe('projection: print then parse', () => {
  const nameArb = fc.tuple(fc.constantFrom('a', 'Z', 'é', '名'), fc.array(fc.constantFrom('b', '0', '_'), { maxLength: 4 })).map(([first, rest]) => first + rest.join(''));
  const { terms: termsArb } = fc.letrec<{ terms: ProjectionTerm[]; term: ProjectionTerm }>((tie) => ({
    term: fc.record({ name: nameArb, linked: fc.oneof({ depthSize: 'small' }, fc.constant(null), tie('terms')) }, { noNullPrototype: true }),
    terms: fc.array(tie('term'), { minLength: 1, maxLength: 3 }),
  }));

  it('gives back every projection', () => {
    fc.assert(
      fc.property(termsArb, (terms) => {
        expect(parseProjectionTerms(printProjection(terms), 'pick')).toStrictEqual(terms);
      }),
    );
  });
});
