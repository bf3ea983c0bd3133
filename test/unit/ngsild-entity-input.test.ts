import { beforeAll, describe, expect, it } from 'vitest';
import { entityRecord, mergedInstance, storedInstance, type InstanceDraft } from '../../src/domain/entity-writes.js';
import { InvalidInputError } from '../../src/domain/errors.js';
import { contextLoader } from '../../src/ngsild/context/context-loader.js';
import { CORE_CONTEXT_URL } from '../../src/ngsild/context/offline-contexts.js';
import { termMaps, type TermMap } from '../../src/ngsild/context/term-map.js';
import { attributeIri, geometryProblem, isDateTime, parseAttribute, parseEntity, type EntityRules } from '../../src/ngsild/entities/entity-input.js';

const EX = 'https://example.org/';
const CONTEXT = [{ ex: EX, Vehicle: `${EX}Vehicle`, speed: `${EX}speed`, source: `${EX}source`, street: `${EX}street`, brand: `${EX}brand` }];
const NGSI = 'https://uri.etsi.org/ngsi-ld/';
const DEFAULT = `${NGSI}default-context/`;
const ENTITY: EntityRules = { complete: true, nullDeletes: false, partial: false };
const FRAGMENT: EntityRules = { complete: false, nullDeletes: true, partial: false };
const MERGE: EntityRules = { complete: false, nullDeletes: true, partial: true };

let names: TermMap;
beforeAll(async () => {
  names = await termMaps(contextLoader({ allow: [], timeoutMs: 1000, ttlMs: 60_000 }).load, CORE_CONTEXT_URL).of(CONTEXT);
});

const entity = (attributes: Record<string, unknown>) => ({ id: 'urn:ngsi-ld:Vehicle:1', type: 'Vehicle', ...attributes });
/** The members and sub-attributes of an attribute's instances, as plain objects. */
function plain(draft: InstanceDraft): Record<string, unknown> {
  return { ...draft.members, ...Object.fromEntries([...draft.subAttributes].map(([iri, sub]) => [iri, plain(sub)])) };
}
function attribute(raw: Record<string, unknown>, iri: string, rules = ENTITY): Record<string, unknown>[] {
  return parseEntity(entity(raw), names, rules).attributes.get(iri)!.map(plain);
}
/** The issues of a refused entity, as "pointer: reason". */
function issues(raw: unknown, rules = ENTITY): string[] {
  try {
    parseEntity(raw, names, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).issues.map((i) => `${i.location}: ${i.reason}`);
  }
  throw new Error('the entity was accepted');
}

describe('reading NGSI-LD entities for writes', () => {
  it('reads id and type, expanding names with the request @context on top of the core', () => {
    const parsed = parseEntity(entity({ speed: { type: 'Property', value: 5 }, color: { type: 'Property', value: 'red' } }), names, ENTITY);
    expect(parsed.id).toBe('urn:ngsi-ld:Vehicle:1');
    expect(parsed.types).toEqual([`${EX}Vehicle`]);
    expect([...parsed.attributes.keys()]).toEqual([`${EX}speed`, `${DEFAULT}color`]);
  });

  it.each([
    ['Property', { type: 'Property', value: { a: [1, 2] }, unitCode: 'KMH', observedAt: '2024-05-01T12:00:00Z' }],
    ['GeoProperty', { type: 'GeoProperty', value: { type: 'Point', coordinates: [9.7, 52.4] } }],
    ['Relationship', { type: 'Relationship', object: 'urn:ngsi-ld:Person:1', objectType: 'Person' }],
    ['Relationship to several', { type: 'Relationship', object: ['urn:ngsi-ld:Person:1', 'urn:ngsi-ld:Person:2'] }],
    ['LanguageProperty', { type: 'LanguageProperty', languageMap: { fr: 'Grand Place', nl: ['Grote Markt'], '@none': 'GP' } }],
    ['JsonProperty', { type: 'JsonProperty', json: { id: 'x', type: 'y', null: null } }],
    ['VocabProperty', { type: 'VocabProperty', vocab: ['monument', 'sightseeing'] }],
    ['ListProperty', { type: 'ListProperty', valueList: [1, 'two', { three: 3 }], unitCode: 'C62' }],
  ])('keeps a normalized %s as it is', (_kind, instance) => {
    expect(attribute({ street: instance }, `${EX}street`)).toEqual([instance]);
  });

  it('writes a ListRelationship objectList as {object} items, from URIs or {object}', () => {
    expect(attribute({ street: { type: 'ListRelationship', objectList: ['urn:a:1', { object: 'urn:a:2' }] } }, `${EX}street`)).toEqual([
      { type: 'ListRelationship', objectList: [{ object: 'urn:a:1' }, { object: 'urn:a:2' }] },
    ]);
  });

  it.each([
    ['a bare value', 56, { type: 'Property', value: 56 }],
    ['a bare string', 'red', { type: 'Property', value: 'red' }],
    ['an array of values', [1, 2], { type: 'Property', value: [1, 2] }],
    ['{value}', { value: 56, unitCode: 'KMH' }, { type: 'Property', value: 56, unitCode: 'KMH' }],
    ['{value: geometry}', { value: { type: 'Point', coordinates: [1, 2] } }, { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } }],
    ['{object}', { object: 'urn:x:1' }, { type: 'Relationship', object: 'urn:x:1' }],
    ['{languageMap}', { languageMap: { en: 'a' } }, { type: 'LanguageProperty', languageMap: { en: 'a' } }],
    ['{json}', { json: { a: 1 } }, { type: 'JsonProperty', json: { a: 1 } }],
    ['{vocab}', { vocab: 'monument' }, { type: 'VocabProperty', vocab: 'monument' }],
    ['{valueList}', { valueList: [1] }, { type: 'ListProperty', valueList: [1] }],
    ['{objectList}', { objectList: ['urn:x:1'] }, { type: 'ListRelationship', objectList: [{ object: 'urn:x:1' }] }],
  ])('reads the concise form %s (clause 4.5.2.2)', (_form, raw, normalized) => {
    expect(attribute({ brand: raw }, `${EX}brand`)).toEqual([normalized]);
  });

  it('reads sub-attributes at any depth, in concise form too, keyed by IRI', () => {
    const [speed] = attribute({ speed: { value: 55, source: { value: 'GPS', accuracy: { type: 'Property', value: 0.5, providedBy: { object: 'urn:x:sensor' } } } } }, `${EX}speed`);
    expect(speed).toEqual({
      type: 'Property',
      value: 55,
      [`${EX}source`]: { type: 'Property', value: 'GPS', [`${DEFAULT}accuracy`]: { type: 'Property', value: 0.5, [`${DEFAULT}providedBy`]: { type: 'Relationship', object: 'urn:x:sensor' } } },
    });
  });

  it('reads multi-attributes: instances with distinct datasetIds, one of them the default', () => {
    expect(attribute({ speed: [{ value: 55 }, { type: 'Property', value: 54.5, datasetId: 'urn:ngsi-ld:Dataset:gps' }] }, `${EX}speed`)).toEqual([
      { type: 'Property', value: 55 },
      { type: 'Property', value: 54.5, datasetId: 'urn:ngsi-ld:Dataset:gps' },
    ]);
  });

  it('leaves system and output members out of what it writes', () => {
    expect(attribute({ speed: { value: 1, createdAt: '2020-01-01T00:00:00Z', modifiedAt: 'x', instanceId: 'urn:x', previousValue: 0 } }, `${EX}speed`)).toEqual([{ type: 'Property', value: 1 }]);
    expect(parseEntity({ ...entity({}), createdAt: 'yesterday', modifiedAt: 1 }, names, ENTITY).attributes.size).toBe(0);
  });

  it('reads NGSI-LD Null where it deletes, and leaves partial instances partial in merges', () => {
    expect(attribute({ speed: 'urn:ngsi-ld:null' }, `${EX}speed`, FRAGMENT)).toEqual([{ value: 'urn:ngsi-ld:null' }]);
    expect(attribute({ street: { type: 'LanguageProperty', languageMap: { '@none': 'urn:ngsi-ld:null' } } }, `${EX}street`, FRAGMENT)).toEqual([
      { type: 'LanguageProperty', languageMap: { '@none': 'urn:ngsi-ld:null' } },
    ]);
    expect(attribute({ speed: { observedAt: '2024-01-01T00:00:00Z' } }, `${EX}speed`, MERGE)).toEqual([{ observedAt: '2024-01-01T00:00:00Z' }]);
  });

  it('takes fragments without id and type, and refuses entities without them', () => {
    expect(parseEntity({ speed: 1 }, names, FRAGMENT)).toMatchObject({ id: null, types: [] });
    expect(issues({ speed: 1 })).toEqual(['/id: an entity needs an id', '/type: an entity needs a type']);
  });

  it('keeps several types apart for the caller to refuse, and one type of an array as that type', () => {
    expect(parseEntity({ id: 'urn:x:1', type: ['Vehicle', 'Car'] }, names, ENTITY).types).toEqual([`${EX}Vehicle`, `${DEFAULT}Car`]);
    expect(parseEntity({ id: 'urn:x:1', type: ['Vehicle', `${EX}Vehicle`] }, names, ENTITY).types).toEqual([`${EX}Vehicle`]);
  });

  it('reads scopes (one or several, repeats dropped), NGSI-LD Null only where nulls delete, and refuses what is no scope', () => {
    expect(parseEntity({ ...entity({}), scope: '/Madrid' }, names, ENTITY).scopes).toEqual(['/Madrid']);
    expect(parseEntity({ ...entity({}), scope: ['/a/b', '/c', '/a/b'] }, names, ENTITY).scopes).toEqual(['/a/b', '/c']);
    expect(parseEntity(entity({}), names, ENTITY).scopes).toBeUndefined();
    expect(parseEntity({ scope: 'urn:ngsi-ld:null' }, names, { complete: false, nullDeletes: true, partial: true }).scopes).toBeNull();
    for (const scope of ['urn:ngsi-ld:null', 'Madrid', '/a//b', '/a/+', '/a b', [], ['/a', 3]]) expect(() => parseEntity({ ...entity({}), scope }, names, ENTITY), JSON.stringify(scope)).toThrow(InvalidInputError);
  });

  it.each([
    ['an id that is no URI', { id: 'not a uri', type: 'Vehicle' }, '/id: an entity id is a URI, got "not a uri"'],
    ['a type that is no name', { id: 'urn:x:1', type: 'a b' }, "/type: 'a b' is not a valid entity type name"],
    ['a type that is a keyword', { id: 'urn:x:1', type: 'type' }, "/type: the entity type 'type' does not expand to an IRI"],
    ['an empty type array', { id: 'urn:x:1', type: [] }, '/type: an entity type is a name or an IRI'],
    ['a reserved attribute name', entity({ value: 1 }), "/value: 'value' is a reserved NGSI-LD name and cannot name an attribute"],
    ['a forbidden character', entity({ 'spe(ed': 1 }), "/spe(ed: 'spe(ed' is not a valid attribute name"],
    ['an @ name', entity({ '@invalid': 1 }), "/@invalid: '@invalid' is not a valid attribute name"],
    ['two names of one attribute', entity({ speed: 1, [`${EX}speed`]: 2 }), `/${EX.replace(/\//g, '~1')}speed: two members name the attribute ${EX}speed`],
    ['a null attribute', entity({ speed: null }), '/speed: an attribute must not be null'],
    ['NGSI-LD Null in a create', entity({ speed: 'urn:ngsi-ld:null' }), '/speed: NGSI-LD Null (urn:ngsi-ld:null) only deletes'],
    ['an empty array', entity({ speed: [] }), '/speed: an attribute is an instance or a non-empty array'],
    ['an unknown attribute type', entity({ speed: { type: 'Number', value: 1 } }), '/speed/type: an attribute\'s type is one of Property'],
    ['no content', entity({ speed: { type: 'Property' } }), '/speed: a Property needs its value'],
    ['no type and no content', entity({ speed: { observedAt: '2024-01-01T00:00:00Z' } }), '/speed: an attribute needs a type or one of value'],
    ['two contents', entity({ speed: { value: 1, object: 'urn:x:1' } }), '/speed: an attribute has one of value, object'],
    ['content of another type', entity({ speed: { type: 'Property', object: 'urn:x:1' } }), '/speed/object: a Property has no member object (its content is value)'],
    ['a null value', entity({ speed: { type: 'Property', value: null } }), "/speed/value: a Property's value must not be null"],
    ['a Relationship object that is no URI', entity({ brand: { type: 'Relationship', object: 'BMW' } }), "/brand/object: a Relationship's object is a URI"],
    ['an empty Relationship object list', entity({ brand: { type: 'Relationship', object: [] } }), "/brand/object: a Relationship's object is a URI or a non-empty array"],
    ['a GeometryCollection', entity({ location: { type: 'GeoProperty', value: { type: 'GeometryCollection', geometries: [] } } }), "/location/value: a GeoProperty's value is a Point"],
    ['an invalid geometry', entity({ location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1]]] } } }), '/location/value: the GeoJSON geometry is not valid'],
    ['coordinates out of range', entity({ location: { value: { type: 'Point', coordinates: [200, 10] } } }), '/location/value: coordinates are WGS 84 longitude'],
    ['location as a Property', entity({ location: { type: 'Property', value: 1 } }), '/location: location is a GeoProperty (clause 4.7), not a Property'],
    ['observationSpace as a Relationship', entity({ observationSpace: { object: 'urn:x:1' } }), '/observationSpace: observationSpace is a GeoProperty'],
    ['a bad observedAt', entity({ speed: { value: 1, observedAt: '2024-01-01 12:00' } }), '/speed/observedAt: observedAt is an RFC 3339 date-time'],
    ['observedAt on a day that does not exist', entity({ speed: { value: 1, observedAt: '2023-02-29T00:00:00Z' } }), '/speed/observedAt: observedAt is an RFC 3339'],
    ['a datasetId that is no URI', entity({ speed: { value: 1, datasetId: 'gps' } }), '/speed/datasetId: datasetId is a URI, got "gps"'],
    ['two default instances', entity({ speed: [{ value: 1 }, { value: 2 }] }), '/speed/1: two instances without datasetId'],
    ['two instances with one datasetId', entity({ speed: [{ value: 1, datasetId: 'urn:d:1' }, { value: 2, datasetId: 'urn:d:1' }] }), '/speed/1: two instances with datasetId urn:d:1'],
    ['unitCode on a Relationship', entity({ brand: { object: 'urn:x:1', unitCode: 'KMH' } }), '/brand/unitCode: unitCode belongs to a Property or ListProperty'],
    ['objectType on a Property', entity({ brand: { value: 1, objectType: 'Brand' } }), '/brand/objectType: objectType belongs to a Relationship'],
    ['a bad language tag', entity({ street: { languageMap: { 'not a tag': 'x' } } }), "/street/languageMap/not a tag: 'not a tag' is not a language tag"],
    ['a language map of numbers', entity({ street: { languageMap: { en: 1 } } }), '/street/languageMap/en: a languageMap holds strings'],
    ['an empty vocab', entity({ street: { vocab: [] } }), "/street/vocab: a VocabProperty's vocab is a string or a non-empty array"],
    ['a valueList that is no array', entity({ street: { type: 'ListProperty', valueList: 1 } }), "/street/valueList: a ListProperty's valueList is an array"],
    ['an objectList item that is no URI', entity({ street: { objectList: ['x'] } }), '/street/objectList/0: an objectList item is a URI'],
    ['a sub-attribute with a reserved name', entity({ speed: { value: 1, id: 'x' } }), "/speed/id: 'id' is a reserved NGSI-LD name and cannot name a sub-attribute"],
    ['an invalid sub-attribute', entity({ speed: { value: 1, source: { type: 'Property' } } }), '/speed/source: a Property needs its value'],
    ['a sub-attribute array', entity({ speed: { value: 1, source: [{ value: 1 }] } }), '/speed/source: a sub-attribute is one instance'],
    ['@context inside an attribute', entity({ speed: { value: 1, '@context': [] } }), '/speed/@context: @context belongs to the entity'],
  ])('refuses %s, naming the member by JSON pointer', (_name, raw, issue) => {
    expect(issues(raw).some((i) => i.startsWith(issue)), `${issues(raw).join(' | ')}`).toBe(true);
  });

  it('reports every issue at once, in the error message too', () => {
    const all = issues(entity({ speed: null, brand: { object: 'x' } }));
    expect(all).toHaveLength(2);
    expect(() => parseEntity(entity({ speed: null, brand: { object: 'x' } }), names, ENTITY)).toThrow(/\/speed: .*; \/brand\/object: /);
  });

  it('refuses a body that is not an object', () => {
    expect(issues([])).toEqual(['/: an entity is a JSON object, got an array']);
  });
});

describe('reading attribute bodies (Partial Attribute Update, Replace Attribute)', () => {
  it('takes a partial instance for a partial update, with NGSI-LD Null', () => {
    expect(plain(parseAttribute({ value: 56, datasetId: 'urn:d:1' }, `${EX}speed`, names, { partial: true }))).toEqual({ type: 'Property', value: 56, datasetId: 'urn:d:1' });
    expect(plain(parseAttribute({ languageMap: { fr: 'x' }, providedBy: { object: 'urn:x:1' } }, `${EX}street`, names, { partial: true }))).toEqual({
      type: 'LanguageProperty',
      languageMap: { fr: 'x' },
      [`${DEFAULT}providedBy`]: { type: 'Relationship', object: 'urn:x:1' },
    });
    expect(plain(parseAttribute({ type: 'Property', value: 'urn:ngsi-ld:null', '@context': [] }, `${EX}speed`, names, { partial: true }))).toEqual({ type: 'Property', value: 'urn:ngsi-ld:null' });
  });

  it('needs a whole instance to replace one, and something in either', () => {
    expect(() => parseAttribute({ observedAt: '2024-01-01T00:00:00Z' }, `${EX}speed`, names, { partial: false })).toThrow(/needs a type or one of value/);
    expect(() => parseAttribute({}, `${EX}speed`, names, { partial: true })).toThrow(/a non-empty JSON object/);
    expect(() => parseAttribute({ '@context': [] }, `${EX}speed`, names, { partial: true })).toThrow(InvalidInputError);
  });

  it('reads attribute names of paths, refusing invalid and reserved ones', () => {
    expect(attributeIri('speed', names)).toBe(`${EX}speed`);
    expect(attributeIri(`${EX}other`, names)).toBe(`${EX}other`);
    expect(() => attributeIri('@invalid', names)).toThrow(InvalidInputError);
    expect(() => attributeIri('scope', names)).toThrow(/reserved/);
  });
});

describe('the value rules', () => {
  it.each([
    ['2024-05-01T12:00:00Z', true],
    ['2024-05-01T12:00:00.123+02:00', true],
    ['2024-05-01T12:00Z', false],
    ['2024-05-01', false],
    ['2024-13-01T00:00:00Z', false],
    ['2024-05-01T12:00:00', false],
  ])('observedAt %s is a date-time: %s', (text, expected) => {
    expect(isDateTime(text)).toBe(expected);
  });

  it('accepts the six geometry types of clause 4.7 in WGS 84', () => {
    expect(geometryProblem({ type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]]] })).toBeNull();
    expect(geometryProblem({ type: 'Feature', geometry: null, properties: {} })).toMatch(/Point, MultiPoint/);
  });
});

describe('stored attributes', () => {
  const compacting = { expand: (name: string) => `${EX}${name}`, compact: (iri: string) => (iri === 'https://uri.etsi.org/ngsi-ld/location' ? 'location' : iri.replace(EX, '')) };
  const draft = (members: Record<string, unknown>, subs: [string, InstanceDraft][] = []): InstanceDraft => ({ members, subAttributes: new Map(subs) });

  it('compacts sub-attribute names and sets the attribute system times, keeping createdAt of what it replaces', () => {
    const source = draft({ type: 'Property', value: 'GPS' });
    const stored = storedInstance(draft({ type: 'Property', value: 1 }, [[`${EX}source`, source]]), compacting, '2024-05-02T00:00:00Z', { type: 'Property', value: 0, createdAt: '2024-05-01T00:00:00Z' });
    expect(stored).toEqual({ type: 'Property', value: 1, source: { type: 'Property', value: 'GPS' }, createdAt: '2024-05-01T00:00:00Z', modifiedAt: '2024-05-02T00:00:00Z' });
    expect(mergedInstance(stored, draft({ observedAt: '2024-05-03T00:00:00Z' }), compacting, '2024-05-03T00:00:00Z')).toEqual({ ...stored, observedAt: '2024-05-03T00:00:00Z', modifiedAt: '2024-05-03T00:00:00Z' });
  });

  it('keeps in properties the content of the default instance (else the first), and location as the geometry', () => {
    const record = entityRecord(
      'urn:x:1',
      {
        speed: [
          { type: 'Property', value: 54.5, datasetId: 'urn:d:gps' },
          { type: 'Property', value: 55 },
        ],
        name: { type: 'LanguageProperty', languageMap: { en: 'a' }, datasetId: 'urn:d:1' },
        owners: { type: 'ListRelationship', objectList: [{ object: 'urn:p:1' }] },
        location: [
          { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] }, datasetId: 'urn:d:1' },
          { type: 'GeoProperty', value: { type: 'Point', coordinates: [3, 4] } },
        ],
      },
      compacting,
      null,
    );
    expect(record.properties).toEqual({ speed: 55, name: { en: 'a' }, owners: ['urn:p:1'] });
    expect(record.geometry).toEqual({ type: 'Point', coordinates: [3, 4] });
  });
});
