import { describe, expect, it } from 'vitest';
import { validateMappingText } from '../../src/config/mappings-loader.js';
import type { Mapping } from '../../src/domain/mapping.js';
import { flattenProperties, ngsiLdId, recordMapper, toInstant } from '../../src/ingest/mapping/apply-mapping.js';
import type { SourceRecord } from '../../src/ingest/source-record.js';

async function mappingOf(rest: string): Promise<Mapping> {
  const text = `source:\n  type: ogcapi-features\n  url: http://127.0.0.1:8082/qgis/wfs3\n  collection: streetlights\ntarget:\n  collection: lights\n  namespace: DE.TEST\n${rest}`;
  const result = await validateMappingText(text, '/tmp/mappings/lights.yaml', {});
  if (!result.loaded) throw new Error(result.issues.map((i) => `${i.field}: ${i.message}`).join('\n'));
  return result.loaded.mapping;
}

const point = { name: 'geometry', geometry: { type: 'Point' as const, coordinates: [9.7, 52.3, 55.5] } };
const record = (properties: Record<string, unknown>, id: string | null = 'F1', geometries = [point]): SourceRecord => ({ id, properties, geometries, location: 'feature 0' });

describe('applying a mapping to source records', () => {
  it('keeps unmapped properties, flattens nested JSON and takes the INSPIRE identifier from inspireId_*', async () => {
    const map = recordMapper(await mappingOf(''));
    const outcome = map(record({ a: 1, address: { street: 'Hauptstr.', no: '3a' }, inspireId_localId: 'L-1', inspireId_namespace: 'DE.BY', inspireId_versionId: '' }));
    expect(outcome).toEqual({
      record: {
        id: 'F1',
        namespace: 'DE.BY',
        localId: 'L-1',
        versionId: null,
        ngsiLdId: 'urn:ngsi-ld:lights:DE.BY:L-1',
        geometry: point.geometry,
        properties: { a: 1, address_street: 'Hauptstr.', address_no: '3a', inspireId_localId: 'L-1', inspireId_namespace: 'DE.BY', inspireId_versionId: '' },
        timeStart: null,
        timeEnd: null,
      },
    });
  });

  it('falls back to the target namespace and the feature id', async () => {
    const map = recordMapper(await mappingOf(''));
    expect(map(record({}))).toMatchObject({ record: { namespace: 'DE.TEST', localId: 'F1' } });
  });

  it('renames, casts, maps code lists, converts units, sets constants and drops what keepUnmapped=false leaves out', async () => {
    const map = recordMapper(
      await mappingOf(`identifiers:
  id: { template: "SL-{props.no}" }
  localId: props.uuid
properties:
  keepUnmapped: false
  rules:
    - { name: status, from: state, values: { in_operation: ok, defective: defectiveLamp }, unmatched: "null" }
    - { name: powerKW, from: props.wattage, type: number, unit: { from: W, to: kW } }
    - { name: use, from: currentUse_href, codeValue: true }
    - { name: installed, from: date, type: datetime }
    - { name: storeys, from: floors, type: integer }
    - { name: lit, from: on, type: boolean }
    - { name: country, value: DE }
    - { name: colour, from: colour, default: grey }
time:
  start: date
geometry:
  dimensions: 2d
`),
    );
    const outcome = map(
      record({ state: 'planned', props: { no: 7, uuid: 'u-7', wattage: '150' }, currentUse_href: 'http://inspire.ec.europa.eu/codelist/CurrentUseValue/residential', date: '1968-05-01', floors: '3', on: 'yes', extra: 'x' }),
    );
    expect(outcome).toEqual({
      record: {
        id: 'SL-7',
        namespace: 'DE.TEST',
        localId: 'u-7',
        versionId: null,
        ngsiLdId: 'urn:ngsi-ld:lights:DE.TEST:u-7',
        geometry: { type: 'Point', coordinates: [9.7, 52.3] },
        properties: { status: null, powerKW: 0.15, use: 'residential', installed: '1968-05-01T00:00:00.000Z', storeys: 3, lit: true, country: 'DE', colour: 'grey' },
        timeStart: '1968-05-01T00:00:00.000Z',
        timeEnd: '1968-05-01T00:00:00.000Z',
      },
    });
  });

  it('rejects a record that breaks a rule, naming the rule, the record and the value', async () => {
    const map = recordMapper(
      await mappingOf(`properties:
  rules:
    - { name: storeys, from: floors, type: integer }
    - { name: kind, from: kind, values: { a: A }, unmatched: reject }
    - { name: owner, required: true }
`),
    );
    expect(map(record({ floors: '2.5', kind: 'a', owner: 'x' }))).toEqual({ rejection: { id: 'F1', location: 'feature 0', reason: 'properties.rules[0] (storeys): "2.5" is not an integer' } });
    expect(map(record({ floors: 2, kind: 'b', owner: 'x' }))).toMatchObject({ rejection: { reason: 'properties.rules[1] (kind): "b" is not one of the mapped values (a)' } });
    expect(map(record({ floors: 2, kind: 'a' }))).toMatchObject({ rejection: { reason: 'properties.rules[2] (owner): has no value (source owner)' } });
    expect(map(record({}, null))).toMatchObject({ rejection: { id: null, reason: expect.stringContaining('has no identifier') } });
  });

  it('turns a failing cast into null when onInvalid is null, and rejects bad times', async () => {
    const map = recordMapper(await mappingOf('properties:\n  rules:\n    - { name: n, type: number, onInvalid: "null" }\ntime:\n  start: t\n'));
    expect(map(record({ n: 'n/a', t: '2020-02-01T10:00:00+01:00' }))).toMatchObject({ record: { properties: { n: null }, timeStart: '2020-02-01T09:00:00.000Z' } });
    expect(map(record({ n: 1, t: 'yesterday' }))).toMatchObject({ rejection: { reason: 'time.start: "yesterday" is not a date or date-time' } });
  });

  it('chooses the named geometry property and enforces a required geometry', async () => {
    const map = recordMapper(await mappingOf('geometry:\n  property: representativePoint\n  required: true\n'));
    const rep = { name: 'representativePoint', geometry: { type: 'Point' as const, coordinates: [1, 2] } };
    expect(map(record({}, 'F', [point, rep]))).toMatchObject({ record: { geometry: rep.geometry } });
    expect(map(record({}, 'F', [point]))).toMatchObject({ rejection: { reason: "has no geometry property 'representativePoint'" } });
  });

  it('builds the NGSI-LD id from the template, escaping what a URN does not allow', async () => {
    const mapping = await mappingOf('ngsiLd:\n  type: Streetlight\n');
    expect(ngsiLdId(mapping, { id: 'SL-1', namespace: 'DE.TEST', localId: 'abc', versionId: null })).toEqual({ id: 'urn:ngsi-ld:Streetlight:DE.TEST:abc' });
    expect(ngsiLdId(mapping, { id: 'x', namespace: 'DE.TEST', localId: 'Haupt str. 3/a#1 ä', versionId: null })).toEqual({ id: 'urn:ngsi-ld:Streetlight:DE.TEST:Haupt%20str.%203/a%231%20%C3%A4' });
  });

  it('gives each mapped record its NGSI-LD id, and rejects one whose template field has no value', async () => {
    const map = recordMapper(await mappingOf('ngsiLd:\n  type: Streetlight\nidentifiers:\n  ngsiLdId: "urn:ngsi-ld:Streetlight:{namespace}:{localId}:{versionId}"\n'));
    expect(map(record({ inspireId_localId: 'L-1', inspireId_versionId: '2020' }))).toMatchObject({ record: { ngsiLdId: 'urn:ngsi-ld:Streetlight:DE.TEST:L-1:2020' } });
    expect(map(record({ inspireId_localId: 'L-2' }, 'F2'))).toEqual({
      rejection: { id: 'F2', location: 'feature 0', reason: 'identifiers.ngsiLdId: {versionId} in urn:ngsi-ld:Streetlight:{namespace}:{localId}:{versionId} has no value for this feature' },
    });
  });

  it('reads dates, zone-less and offset date-times as UTC instants', () => {
    expect(toInstant('2021-01-11T15:51:02+05:30')).toBe('2021-01-11T10:21:02.000Z');
    expect(toInstant('2024-03-30T11:35:00')).toBe('2024-03-30T11:35:00.000Z');
    expect(toInstant('2010-12-23T10:20:00-0700')).toBe('2010-12-23T17:20:00.000Z');
    expect(toInstant('2015-11-24 00:00')).toBe('2015-11-24T00:00:00.000Z');
    expect(toInstant('2019-02-30')).toBeNull();
    expect(toInstant(20190101)).toBeNull();
    expect(flattenProperties({ a: { b: { c: 1 }, d: [1, { e: 2 }] } })).toEqual({ a_b_c: 1, a_d: [1, { e: 2 }] });
  });
});
