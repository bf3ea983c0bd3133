/**
 * DescribeFeatureType schemas of ../shared/fixtures/wfs (GeoServer, ArcGIS Server, MapServer) and
 * of the MapServer 8 / QGIS Server peers (default XML Schema namespace, unprefixed types), read
 * into property kinds, and GML text values given those types.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OwsExceptionError, SourceFormatError } from '../../src/domain/errors.js';
import type { IdentifierRules, PropertyRules } from '../../src/domain/mapping.js';
import { declaredEncoding, readGml, type GmlReadResult } from '../../src/ingest/gml/gml-reader.js';
import { propertiesReadAsText, schemaCaster } from '../../src/ingest/wfs/schema-casts.js';
import { parseFeatureTypeSchema, type FeatureTypeSchema } from '../../src/ingest/wfs/wfs-schema.js';
import type { SourceRecord } from '../../src/ingest/source-record.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';

async function schemaOf(file: string, typeName: string): Promise<FeatureTypeSchema | null> {
  const bytes = await readFile(fixture('wfs', file));
  return parseFeatureTypeSchema(new TextDecoder(declaredEncoding(bytes)).decode(bytes), typeName, file);
}

const kinds = (schema: FeatureTypeSchema | null) => Object.fromEntries(schema!.properties);
const geometryNames = (schema: FeatureTypeSchema | null) => [...schema!.properties].filter(([, kind]) => kind === 'geometry').map(([name]) => name);

/** As MapServer 8.0 (the peer) answers DescribeFeatureType for ms:streetlights. */
const MAPSERVER_STREETLIGHTS = `<?xml version='1.0' encoding="UTF-8" ?>
<schema targetNamespace="http://mapserver.gis.umn.edu/mapserver" xmlns:ms="http://mapserver.gis.umn.edu/mapserver"
   xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://www.w3.org/2001/XMLSchema" xmlns:gml="http://www.opengis.net/gml/3.2" elementFormDefault="qualified" version="0.1">
  <import namespace="http://www.opengis.net/gml/3.2" schemaLocation="http://schemas.opengis.net/gml/3.2.1/gml.xsd" />
  <element name="streetlights" type="ms:streetlightsType" substitutionGroup="gml:AbstractFeature" />
  <complexType name="streetlightsType">
    <complexContent>
      <extension base="gml:AbstractFeatureType">
        <sequence>
          <element name="geom" type="gml:PointPropertyType" minOccurs="0" maxOccurs="1"/>
          <element name="id" minOccurs="0" type="string"/>
          <element name="wattage" minOccurs="0" type="integer"/>
          <element name="installed" minOccurs="0" type="gml:TimeInstantType"/>
        </sequence>
      </extension>
    </complexContent>
  </complexType>
</schema>`;

/** As QGIS Server 3.22 (the peer) answers it: no prefix on XML Schema types either, xsd:date. */
const QGIS_STREETLIGHTS = `<schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified" xmlns="http://www.w3.org/2001/XMLSchema"
   xmlns:gml="http://www.opengis.net/gml" xmlns:qgs="http://www.qgis.org/gml" targetNamespace="http://www.qgis.org/gml" version="1.0">
 <element name="streetlights" substitutionGroup="gml:_Feature" type="qgs:streetlightsType"/>
 <complexType name="streetlightsType">
  <complexContent>
   <extension base="gml:AbstractFeatureType">
    <sequence>
     <element minOccurs="0" name="geometry" type="gml:PointPropertyType" maxOccurs="1"/>
     <element name="id" type="string"/>
     <element name="wattage" type="int"/>
     <element name="installed" type="date"/>
    </sequence>
   </extension>
  </complexContent>
 </complexType>
</schema>`;

describe.skipIf(!haveFixtures)('DescribeFeatureType schemas: property kinds and the geometry property', () => {
  it('GeoServer WFS 2.0 (PIGMA cd16:hierarchisation_l): xsd:long and xsd:short are integers, gml:CurvePropertyType geom is the geometry', async () => {
    const schema = await schemaOf('ogcclient-describefeaturetype-pigma-2-0-0-xsd.xml', 'cd16:hierarchisation_l');
    expect(kinds(schema)).toEqual({ axe: 'text', cumuld: 'integer', cumulf: 'integer', plod: 'text', absd: 'integer', plof: 'text', absf: 'integer', categorie: 'integer', geom: 'geometry' });
    expect(geometryNames(schema)).toEqual(['geom']);
  });

  it.each([
    ['owslib-wfs_koeln_arcgis_describefeaturetype_110.xml', 'adressen_stadtteil:Blumenberg'],
    ['owslib-wfs_koeln_arcgis_describefeaturetype_200.xml', 'Blumenberg'],
  ])('ArcGIS Server %s: xsd:int objectid, 24 text properties, mostly inline xsd:string restrictions (Straße, Gebäude_ID_ALKIS …) as text, shape the geometry', async (file, typeName) => {
    const schema = await schemaOf(file, typeName);
    const all = kinds(schema);
    expect(Object.keys(all)).toHaveLength(26);
    expect(all).toMatchObject({ objectid: 'integer', Nummer: 'text', Straße: 'text', Gebäude_ID_ALKIS: 'text', globalid: 'text', shape: 'geometry' });
    expect(Object.entries(all).filter(([, kind]) => kind === 'text')).toHaveLength(24);
    expect(geometryNames(schema)).toEqual(['shape']);
  });

  it('GeoServer WFS 1.1 (DOV dov-pub:Boringen, GML 3.1.1): decimal, double, date and boolean properties', async () => {
    const schema = await schemaOf('owslib-wfs_schema_dov_boringen.xml', 'dov-pub:Boringen');
    const all = kinds(schema);
    expect(Object.keys(all)).toHaveLength(30);
    expect(all).toMatchObject({ id: 'text', diepte_tot_m: 'number', datum_aanvang: 'date', X_mL72: 'number', Y_mL72: 'number', Z_mTAW: 'number', informele_stratigrafie: 'boolean', doorheen_quartair: 'boolean', dikte_quartair: 'text', geom: 'geometry' });
    expect(Object.values(all).filter((kind) => kind === 'boolean')).toHaveLength(9);
    expect(geometryNames(schema)).toEqual(['geom']);
  });

  it('GeoServer WFS 1.1 (DOV gw_varia:hhz): xsd:long opp_m2, gml:GeometryPropertyType geom', async () => {
    const schema = await schemaOf('owslib-wfs_schema_dov_hhz.xml', 'gw_varia:hhz');
    expect(kinds(schema)).toEqual({ id: 'text', hhz_naam: 'text', opp_m2: 'integer', hhz: 'text', geom: 'geometry' });
  });

  it('MapServer (OWSLib sample, GML 2.1.2, one schema for six types under the default namespace): the type asked for, msGeometry', async () => {
    const schema = await schemaOf('owslib-mapserver-wfs-schema.xml', 'CBC_PT');
    expect(kinds(schema)).toEqual({ msGeometry: 'geometry' });
    expect(await schemaOf('owslib-mapserver-wfs-schema.xml', 'no_such_type')).toBeNull();
  });

  it('the MapServer 8 and QGIS Server peers: unprefixed integer/int/date types are resolved by namespace', () => {
    expect(kinds(parseFeatureTypeSchema(MAPSERVER_STREETLIGHTS, 'ms:streetlights', 'mapserver'))).toEqual({ geom: 'geometry', id: 'text', wattage: 'integer', installed: 'text' });
    expect(kinds(parseFeatureTypeSchema(QGIS_STREETLIGHTS, 'streetlights', 'qgis'))).toEqual({ geometry: 'geometry', id: 'text', wattage: 'integer', installed: 'date' });
  });

  it('follows named simple types to their base and leaves complex properties as other content', () => {
    const schema = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:app="urn:app" xmlns:gml="http://www.opengis.net/gml/3.2" targetNamespace="urn:app">
      <xs:simpleType name="PercentType"><xs:restriction base="xs:decimal"><xs:maxInclusive value="100"/></xs:restriction></xs:simpleType>
      <xs:element name="Site">
        <xs:complexType><xs:complexContent><xs:extension base="gml:AbstractFeatureType"><xs:sequence>
          <xs:element name="share" type="app:PercentType"/>
          <xs:element name="height" type="gml:LengthType"/>
          <xs:element name="address"><xs:complexType><xs:sequence>
            <xs:element name="postcode"><xs:simpleType><xs:restriction base="xs:int"/></xs:simpleType></xs:element>
          </xs:sequence></xs:complexType></xs:element>
          <xs:element name="position" type="gml:MultiSurfacePropertyType"/>
        </xs:sequence></xs:extension></xs:complexContent></xs:complexType>
      </xs:element>
    </xs:schema>`;
    expect(kinds(parseFeatureTypeSchema(schema, 'app:Site', 'inline'))).toEqual({ share: 'number', height: 'number', address: 'other', position: 'geometry' });
  });

  it('an empty schema (what the capabilities tests serve) declares nothing', () => {
    expect(parseFeatureTypeSchema('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>', 't:points', 'empty')).toBeNull();
  });

  // Trimmed by the fixture authors (README: "not namespace-well-formed as stored"); a server sending it would be refused the same way.
  it('refuses the trimmed PIGMA WFS 1.1 schema with the unbound prefix, line and column', async () => {
    const error = await schemaOf('ogcclient-describefeaturetype-pigma-1-1-0-xsd.xml', 'cd16:hierarchisation_l').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFormatError);
    expect((error as Error).message).toBe('ogcclient-describefeaturetype-pigma-1-1-0-xsd.xml is not well-formed XML at line 1, column 83: unbound namespace prefix: "xsd".');
  });

  it('turns an exception report answered instead of a schema into a typed error with the server message', async () => {
    const error = await schemaOf('ogcclient-exception-report-2-0-0.xml', 'cd16:hierarchisation_l').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OwsExceptionError);
    expect(error).toMatchObject({ exceptionCode: 'InvalidParameterValue', serverMessage: 'msWFSDispatch(): WFS server error. Invalid WFS request: FooBar' });
  });
});

const NO_RULES: PropertyRules = { keepUnmapped: true, flatten: false, exclude: [], rules: [] };
const GML_ID: IdentifierRules = { id: { kind: 'path', path: ['$id'] }, namespace: null, localId: null, versionId: null, ngsiLdId: '' };

async function gmlRecords(path: string): Promise<SourceRecord[]> {
  const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings: [] };
  const records: SourceRecord[] = [];
  for await (const record of readGml(createReadStream(path), { defaultCrs: null, ignoreSrsName: false, axisOrder: 'auto', densifyTolerance: 1, source: 'test' }, result)) records.push(record);
  return records;
}

describe.skipIf(!haveFixtures)('GML values given their schema types', () => {
  it('types the PIGMA GetFeature answer by its DescribeFeatureType: xsd:long numbers, xsd:string digits stay text', async () => {
    const schema = (await schemaOf('ogcclient-describefeaturetype-pigma-2-0-0-xsd.xml', 'cd16:hierarchisation_l'))!;
    const records = await gmlRecords(fixture('wfs', 'ogcclient-getfeature-props-pigma-2-0-0.xml'));
    const warnings: string[] = [];
    const typed = records.map(schemaCaster(schema, propertiesReadAsText(GML_ID, NO_RULES), (_, message) => warnings.push(message)));
    expect(records[0]!.properties).toEqual({ axe: 'D941', cumuld: '19363', cumulf: '23565', plod: '38', absd: '904', plof: '43', absf: '99', categorie: '2' });
    expect(typed[0]!.properties).toEqual({ axe: 'D941', cumuld: 19363, cumulf: 23565, plod: '38', absd: 904, plof: '43', absf: 99, categorie: 2 });
    expect(typed.every((r) => typeof r.properties['cumuld'] === 'number' && typeof r.properties['plod'] === 'string')).toBe(true);
    expect(warnings).toEqual([]);
  });

  const schema: FeatureTypeSchema = {
    properties: new Map([
      ['n', 'integer'],
      ['x', 'number'],
      ['ok', 'boolean'],
      ['day', 'date'],
      ['at', 'datetime'],
      ['code', 'integer'],
    ]),
  };
  const record = (properties: Record<string, unknown>): SourceRecord => ({ id: 'f1', properties, geometries: [], location: 'feature 0, line 3' });

  it('casts integers, decimals, booleans, dates and date-times; empty elements become null; repeated values each', () => {
    const cast = schemaCaster(schema, new Set(), () => {});
    expect(cast(record({ n: ['7', '-12'], x: '1.5E3', ok: '0', day: '2021-02-28', at: '2019-03-08T11:00:00+01:00', code: '', other: '42' })).properties).toEqual({
      n: [7, -12],
      x: 1500,
      ok: false,
      day: '2021-02-28',
      at: '2019-03-08T10:00:00.000Z',
      code: null,
      other: '42',
    });
  });

  it('keeps text that does not fit the declared type (and integers beyond 2^53) and warns once per property', () => {
    const warnings: string[] = [];
    const cast = schemaCaster(schema, new Set(), (location, message) => warnings.push(`${location}: ${message}`));
    const typed = [record({ n: 'twelve', x: 'INF', day: '2021-02-30' }), record({ n: 'thirteen', code: '9007199254740993' })].map(cast);
    expect(typed.map((r) => r.properties)).toEqual([
      { n: 'twelve', x: 'INF', day: '2021-02-30' },
      { n: 'thirteen', code: '9007199254740993' },
    ]);
    expect(warnings).toEqual([
      'feature 0, line 3: property n holds "twelve", which is not the integer its DescribeFeatureType declares; such values stay text',
      'feature 0, line 3: property x holds "INF", which is not the number its DescribeFeatureType declares; such values stay text',
      'feature 0, line 3: property day holds "2021-02-30", which is not the date its DescribeFeatureType declares; such values stay text',
      'feature 0, line 3: property code holds "9007199254740993", which is not the integer its DescribeFeatureType declares; such values stay text',
    ]);
  });

  it('leaves the identifier properties and those the mapping casts itself as the server wrote them', () => {
    const identifiers: IdentifierRules = { ...GML_ID, id: { kind: 'path', path: ['code'] } };
    const rules: PropertyRules = {
      ...NO_RULES,
      rules: [
        { name: 'amount', from: ['x'], constant: null, cast: 'string', codeValue: false, values: null, unmatched: 'keep', unit: null, default: undefined, required: false, onInvalid: 'reject' },
        { name: 'count', from: ['n'], constant: null, cast: null, codeValue: false, values: null, unmatched: 'keep', unit: null, default: undefined, required: false, onInvalid: 'reject' },
      ],
    };
    const asWritten = propertiesReadAsText(identifiers, rules);
    expect([...asWritten].sort()).toEqual(['code', 'x']);
    expect(schemaCaster(schema, asWritten, () => {})(record({ code: '007', x: '1.50', n: '3' })).properties).toEqual({ code: '007', x: '1.50', n: 3 });
  });
});
