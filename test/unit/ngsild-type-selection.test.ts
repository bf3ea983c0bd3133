import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FilterSyntaxError } from '../../src/domain/errors.js';
import { parseTypeSelection, printTypeSelection, type EntityTypeName, type EntityTypeSelection } from '../../src/ngsild/query/type-selection.js';

const type = (name: string): EntityTypeName => ({ kind: 'type', name });
const all = (...names: string[]) => ({ kind: 'and', types: names.map(type) }) as const;

function failure(text: string): FilterSyntaxError {
  try {
    parseTypeSelection(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw error;
  }
  throw new Error(`'${text}' parsed without error`);
}

describe('type: the entity type selection language (clause 4.17)', () => {
  it.each<[string, EntityTypeSelection]>([
    ['Building', type('Building')],
    ['*', { kind: 'any' }],
    ['Building|House', { kind: 'or', operands: [type('Building'), type('House')] }],
    ['Building,House', { kind: 'or', operands: [type('Building'), type('House')] }],
    ['(Home;Vehicle)', all('Home', 'Vehicle')],
    ['(Home;Vehicle)|Motorhome', { kind: 'or', operands: [all('Home', 'Vehicle'), type('Motorhome')] }],
    ['(Home;Vehicle),Motorhome', { kind: 'or', operands: [all('Home', 'Vehicle'), type('Motorhome')] }],
    ['A,(B;C;D)|E', { kind: 'or', operands: [type('A'), all('B', 'C', 'D'), type('E')] }],
    ['(Building)', type('Building')],
    ['ex:Building', type('ex:Building')],
    ['https://smartdatamodels.org/dataModel.Streetlighting/Streetlight', type('https://smartdatamodels.org/dataModel.Streetlighting/Streetlight')],
    ['Straßenlaterne_2', type('Straßenlaterne_2')],
  ])('%s', (text, expected) => {
    expect(parseTypeSelection(text)).toStrictEqual(expected);
  });

  /** Every type selection of the ETSI test suite (shared/conformance/ngsi-ld/etsi-suite/suite/TP/NGSI-LD/...). */
  it.each([
    ['Building', 'ContextInformation/Consumption/Entity/QueryEntities/019_08.robot (019_08_01) and many others'],
    ['(Building;TouristDestination)', '019_08.robot (019_08_02)'],
    ['Building,Parking', '019_08.robot (019_08_03)'],
    ['Parking,TouristDestination', '019_08.robot (019_08_04)'],
    ['(Building;Parking),TouristDestination', '019_08.robot (019_08_05)'],
    ['Vehicle', 'ContextInformation/Consumption/TemporalEntity/QueryTemporalEvolutionOfEntities/021_17.robot and others'],
    ['Building,Vehicle', 'ContextInformation/Consumption/Entity/QueryEntities/019_17.robot, 019_18.robot; TemporalEntity/QueryTemporalEvolutionOfEntities/021_22.robot'],
    ['Bus,Vehicle', 'ContextInformation/Consumption/TemporalEntity/QueryTemporalEvolutionOfEntities/021_21.robot'],
    ['OffStreetParking', 'ContextSource/Discovery/QueryContextSourceRegistrations/037_05.robot'],
    ['https://ngsi-ld-test-suite/context#Building', 'ContextInformation/Consumption/Entity/QueryEntities/019_01_03.robot (${entity_type})'],
    ['https://ngsi-ld-test-suite/context#Vehicle,https://ngsi-ld-test-suite/context#OffStreetParking', 'ContextInformation/Consumption/Entity/QueryEntities/019_02_05.robot'],
  ])('the suite selection %s parses (%s)', (text) => {
    expect(() => parseTypeSelection(text)).not.toThrow();
  });

  it('reads a parenthesised disjunction as the disjunction it is (046_16)', () => {
    expect(parseTypeSelection('(Building|Tower)')).toStrictEqual({ kind: 'or', operands: [type('Building'), type('Tower')] });
    expect(parseTypeSelection('(A,B),(C;D)')).toStrictEqual({ kind: 'or', operands: [type('A'), type('B'), all('C', 'D')] });
  });

  it('reads 019_08_05 as the suite counts it', () => {
    expect(parseTypeSelection('(Building;Parking),TouristDestination')).toStrictEqual({ kind: 'or', operands: [all('Building', 'Parking'), type('TouristDestination')] });
  });

  it.each([
    ['', 'character 1', "an entity type or '('"],
    ['Building;House', 'character 9', '(an AND needs parentheses: (TypeA;TypeB))'],
    ['Building,', 'character 10', "an entity type or '('"],
    [',Building', 'character 1', "an entity type or '('"],
    ['A,,B', 'character 3', "an entity type or '('"],
    ['(A;B', 'character 5', "';' or a ')' closing the '(' at character 1"],
    ['(A|B;C)', 'character 5', 'one group joins its types with ; or with | only'],
    ['(A;B|C)', 'character 5', 'one group joins its types with ; or with | only'],
    ['((A;B))', 'character 2', 'an entity type'],
    ['(A;(B;C))', 'character 4', 'an entity type'],
    ['()', 'character 2', 'an entity type'],
    ['A)', 'character 2', "',', '|' or the end of type"],
    ['A B', 'character 2', "',', '|' or the end of type"],
    ['1Building', 'character 1', 'an entity type: a name of letters, digits and _ that starts with a letter, or a URI'],
    ['Build-ing', 'character 1', 'an entity type'],
    ['*,Building', 'character 1', 'an entity type'],
    ['A,http://x y', 'character 11', "',', '|' or the end of type"],
  ])('%j fails at %s', (text, location, expected) => {
    const error = failure(text);
    expect(error.parameter).toBe('type');
    expect(error.location).toBe(location);
    expect(error.expected).toContain(expected);
  });

  it('names the parameter it was given', () => {
    expect(() => parseTypeSelection('A;B', 'entities[0].type')).toThrow(/^entities\[0\]\.type has a syntax error at character 2/);
  });
});

describe('type: print then parse', () => {
  const nameArb = fc
    .tuple(fc.constantFrom('A', 'b', 'É', '漢'), fc.array(fc.constantFrom('a', 'Z', '0', '_', 'ß'), { maxLength: 5 }), fc.option(fc.constantFrom('ex:', 'https://example.org/ns#'), { nil: '' }))
    .map(([first, rest, prefix]) => prefix + first + rest.join(''));
  const typeArb = nameArb.map(type);
  const alternativeArb = fc.oneof(typeArb, fc.array(nameArb, { minLength: 2, maxLength: 3 }).map((names) => all(...names)));
  const selectionArb: fc.Arbitrary<EntityTypeSelection> = fc.oneof(
    fc.constant({ kind: 'any' } as const),
    alternativeArb,
    fc.array(alternativeArb, { minLength: 2, maxLength: 4 }).map((operands) => ({ kind: 'or', operands }) as const),
  );

  it('gives back every selection', () => {
    fc.assert(
      fc.property(selectionArb, (selection) => {
        expect(parseTypeSelection(printTypeSelection(selection))).toStrictEqual(selection);
      }),
    );
  });
});
