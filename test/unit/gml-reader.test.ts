/**
 * The streaming GML reader against every GML fixture in ../shared/fixtures/{inspire-gml,
 * gml-geometry,wfs}. Expected lon/lat values were worked out independently with PROJ's cs2cs from
 * the first position written in each file, in the axis order its srsName form implies, e.g.
 *   echo "365160.1676 3156700.8935" | cs2cs -f %.9f EPSG:32628 EPSG:4326   → 28.530097537 -16.378133792
 *   echo "2487292.46 5236575.25"    | cs2cs -f %.9f EPSG:3035 EPSG:4326    → 44.854514795 21.615162129 (N,E input)
 * and for lat/lon files by reading the pair in the file (urn/http EPSG forms are lat/lon).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Position } from 'geojson';
import geographiclib from 'geographiclib-geodesic';
import { describe, expect, it } from 'vitest';
import { OwsExceptionError, SourceFormatError } from '../../src/domain/errors.js';
import { readGml, type GmlReadOptions, type GmlReadResult } from '../../src/ingest/gml/gml-reader.js';
import type { SourceRecord } from '../../src/ingest/source-record.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';

interface Read {
  records: SourceRecord[];
  result: GmlReadResult;
}

async function read(path: string, options: Partial<GmlReadOptions> = {}, chunkSize?: number): Promise<Read> {
  const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings: [] };
  const records: SourceRecord[] = [];
  const source = chunkSize ? createReadStream(path, { highWaterMark: chunkSize }) : createReadStream(path);
  for await (const record of readGml(source, { defaultCrs: null, ignoreSrsName: false, axisOrder: 'auto', densifyTolerance: 0.1, source: path.split('/').pop()!, ...options }, result)) {
    records.push(record);
  }
  return { records, result };
}

function firstPosition(record: SourceRecord, name?: string): Position {
  const geometry = (name ? record.geometries.find((g) => g.name === name) : record.geometries.find((g) => g.geometry))?.geometry;
  if (!geometry) throw new Error(`no geometry in ${record.location}`);
  let coordinates: unknown = (geometry as { coordinates: unknown }).coordinates;
  while (Array.isArray(coordinates) && Array.isArray(coordinates[0])) coordinates = coordinates[0];
  return coordinates as Position;
}

const problems = (records: SourceRecord[]) => records.flatMap((r) => r.geometries.flatMap((g) => (g.geometry ? [] : [g.problem])));

interface Case {
  readonly file: string;
  readonly count: number;
  readonly ids: readonly string[];
  /** Expected [lon, lat] (and z) of the first position of the first readable geometry, from cs2cs or the file. */
  readonly first?: readonly number[];
  readonly geometry?: string;
  readonly unreadable?: { count: number; message: RegExp };
  readonly warnings?: number;
  readonly options?: Partial<GmlReadOptions>;
}

const INSPIRE: readonly Case[] = [
  { file: 'aqd-at-uba-Station_50.xml', count: 50, ids: ['STA.07.2822', 'STA.06.179'], first: [11.6945417, 47.3499917] },
  { file: 'brgm-ef-3_GroundWater_Quantity_Monitoring_Facility.xml', count: 1, ids: ['EMF.GroundwaterQuantity.06512X0037'], first: [5.18713263, 46.19095417] },
  { file: 'brgm-ef-piezometer_1.xml', count: 1, ids: ['Piezometre.00463X0036.H1.2'], first: [2.3597603712661, 49.9506859240222] },
  { file: 'brgm-ef-piezometer_50.xml', count: 50, ids: ['Piezometre.00026X0040.P1.2', 'Piezometre.00027X0043.PZ3.2'], first: [1.91392813317673, 50.9652902799097] },
  // 14 Address + 7 ThoroughfareName + 2 PostalDescriptor + 1 AdminUnitName; cs2cs EPSG:32628 360300.81 3119554.33
  { file: 'catastro-es-ad-address.gml', count: 24, ids: ['ES.SDGC.AD.38.012.1.12.0295603CS6109N'], first: [-16.423306567, 28.194373462], geometry: 'position_geometry' },
  { file: 'catastro-es-bu-38023.buildingpart.gml', count: 24, ids: ['ES.SDGC.BU.000604300CS65F_part1'], first: [-16.378133792, 28.530097537], geometry: 'geometry_geometry' },
  { file: 'catastro-es-bu-othercons.gml', count: 25, ids: ['ES.SDGC.BU.000900100CS52B_PI.1'], first: [-16.440951102, 28.212801976] },
  // srsName="EPSG:4258" short form: lon/lat as written (5.2463 52.6896)
  { file: 'deegree-ad-inspire_addresses1.gml', count: 4, ids: ['NL.KAD.BAG.0532200000000003', 'NL.KAD.AA.1102'], first: [5.246345245, 52.689617949], geometry: 'position_geometry' },
  // fid instead of gml:id; cs2cs EPSG:25832 348736.888 5485310.636
  { file: 'deegree-au-featurecollection.gml', count: 3, ids: ['AdministrativeUnit_10044117', 'AdministrativeUnit_10044000'], first: [6.91081128, 49.501549856] },
  { file: 'deegree-cp-CadastralZoning_nilReasonTrue.gml', count: 1, ids: ['CP_CADASTRALZONING_Bundesland_02'], first: [10.169042606, 53.668249354] },
  // http EPSG/0/4326 lat/lon: first pair 49.780646 8.925447
  { file: 'deegree-us-govserv.xml', count: 1, ids: ['schule_3600'], first: [8.925447, 49.780646], geometry: 'areaOfResponsibility_areaOfResponsibilityByPolygon' },
  { file: 'eea-pf-EUReg.example.xml', count: 7, ids: ['_123456789.SITE', '_000000002.FACILITY'], first: [2.104334, 41.991925], geometry: 'location' },
  // urn EPSG::3035 northing first; cs2cs with N,E input
  { file: 'etsgml32-ps-geom-MultiSurface-ROSPA0080.xml', count: 1, ids: ['Geom.RO.ENV.PS.ROSPA0080'], first: [21.615162129, 44.854514795] },
  // toy coordinates ("1 2") in ETRS89: outside the CRS's area of use
  { file: 'etsval-002-au-errors.xml', count: 13, ids: ['NC.MT01402', 'NC.MT01403'], unreadable: { count: 12, message: /^position \(\d+ \d+\) \(lon\/lat [\d.]+ [\d.]+\) lies outside the area of use of EPSG:4258 ETRS89/ }, warnings: 13 },
  { file: 'etsval-004-au3-passed.xml', count: 9, ids: ['NC.MT01402', 'NC.MT01403'] },
  { file: 'etsval-006-mu-passed.xml', count: 6, ids: ['MZ001', 'MZ002'] },
  // EPSG/0/4937 (geographic) on UTM metres: rejected as not lat/lon; the gml:Point nesting error too. First readable
  // position: cs2cs EPSG:25830 "626128.74 4341477.51" → 39.213422683051 -1.539042251060 (in 010 as well)
  { file: 'etsval-007-cp-errors.xml', count: 86, ids: ['BPU001', 'CB001'], first: [-1.539042251059645, 39.21342268305071], unreadable: { count: 3, message: /gml:Point has 0 positions|is not a valid latitude\/longitude position of http:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/4937/ }, warnings: 2 },
  { file: 'etsval-010-cp-passed.xml', count: 86, ids: ['BPU001', 'CB001'], first: [-1.539042251059645, 39.21342268305071], unreadable: { count: 4, message: /is not a valid latitude\/longitude position of http:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/4937; the srsName may not match/ }, warnings: 2 },
  // cs2cs EPSG:25830 620522.887 4342751.531
  { file: 'etsval-011-cz-passed.xml', count: 86, ids: ['ES.SDGC.CP.Z.02001A001', 'ES.SDGC.CP.Z.02001A002'], first: [-1.603729416, 39.22569564] },
  // cs2cs EPSG:25830 519829.079 4110820.2295; duplicate point gml:ids reported
  { file: 'etsval-015-ad-errors.xml', count: 28, ids: ['ES.SDGC.AD.04.001.1.1.9910210WG1191S'], first: [-2.776721147, 37.143548815], geometry: 'position_geometry', warnings: 3 },
  { file: 'etsval-016-ad-passed.xml', count: 27, ids: ['ES.SDGC.AD.04.001.1.1.9910210WG1191S'], first: [-2.776721147, 37.143548815], geometry: 'position_geometry', warnings: 1 },
  { file: 'etsval-018-tn-ro-errors.xml', count: 37, ids: ['NetworkConnection_01'], unreadable: { count: 11, message: /lies outside the area of use of EPSG:3045/ }, warnings: 4 },
  { file: 'etsval-019-tn-ro-passed.xml', count: 24, ids: ['NetworkConnection_01'], unreadable: { count: 10, message: /lies outside the area of use of EPSG:3045/ }, warnings: 3 },
  { file: 'etsval-020-tn-passed.xml', count: 5, ids: ['MarkerPost_01'] },
  { file: 'etsval-026-tn-c-passed.xml', count: 12, ids: ['NetworkConnection_01'], unreadable: { count: 6, message: /lies outside the area of use of EPSG:3045/ } },
  { file: 'etsval-028-tn-w-passed.xml', count: 21, ids: ['NetworkConnection_01'], unreadable: { count: 8, message: /lies outside the area of use of EPSG:3045/ }, warnings: 1 },
  { file: 'etsval-030-tn-a-passed.xml', count: 27, ids: ['NetworkConnection_01'], unreadable: { count: 10, message: /lies outside the area of use of EPSG:3045/ }, warnings: 3 },
  // the Surface ring is not closed (49 2 … 49 3) and its gml:id is used twice; the reference point reads
  { file: 'gdal-inspire_cadastralparcel.xml', count: 2, ids: ['CadastralParcel-01', 'CadastralParcel-02'], first: [2.5, 49.5], unreadable: { count: 2, message: /^gml:LinearRing is not closed: it starts at \(2 49\) and ends at \(3 49\)/ }, warnings: 1 },
  { file: 'inspiremif-ef-emf.gml.xml', count: 1, ids: ['Piezometre.06512X0037.STREMY.2'], first: [5.18713262971692, 46.1909541655103] },
  // an SOS GetObservationResponse: one record, no feature id
  { file: 'inspiremif-ef-observation.xml', count: 1, ids: [], first: [5.18713262971692, 46.1909541655103] },
];

const GEOMETRY: readonly Case[] = [
  { file: 'etsgml32-CompositeCurve.xml', count: 1, ids: ['CompositeCurve-1'], first: [-122.929795, 49.194442] },
  // centre 49.194722 -123.183889 (lat/lon), 10 NM, start angle 90 = east: 18.52 km along the WGS 84 geodesic,
  //   echo "49.194722 -123.183889 90 18520" | geod +ellps=WGS84 -f %.9f   → 49.194442499 -122.929794952
  // (etsgml32-CompositeCurve.xml, from the same test suite, starts its arc at 49.194442 -122.929795)
  { file: 'etsgml32-Curve-ArcByCenterPoint.xml', count: 1, ids: ['Curve-ArcByCenterPoint'], first: [-122.929794952, 49.194442499] },
  { file: 'etsgml32-Curve-disconnected.xml', count: 1, ids: ['Curve-disconnected'], unreadable: { count: 1, message: /^gml:Curve is not connected: segment 2 starts at \(-123\.120561 49\.280072\), the previous one ends at \(-123\.125993 49\.281191\)/ } },
  { file: 'etsgml32-Curve-empty.xml', count: 1, ids: ['Curve-1'], unreadable: { count: 1, message: /^gml:Curve has empty gml:segments \(line 4\)$/ } },
  // AdV CRS name from the CityModel envelope; the Solid refers to a surface in another file
  // the wall surfaces read (urn:adv:crs:ETRS89_UTM32 = EPSG:25832, Z kept): cs2cs EPSG:25832 "458889 5438353 3.43094010767585" → 49.096652697 8.436841220 3.430940108
  { file: 'etsgml32-FZK-Haus-LoD2-KIT.xml', count: 1, ids: ['UUID_d281adfc-4901-0f52-540b-4cc1a9325f82'], first: [8.43684122, 49.096652697, 3.430940108], geometry: 'boundedBy_lod2MultiSurface', unreadable: { count: 1, message: /refers to \.\.\/geom\/MultiSurface\.xml#PolyID7350_878_759628_120742, outside this document/ } },
  { file: 'etsgml32-LineString-invalidCoords.xml', count: 1, ids: ['LINE-2'], unreadable: { count: 1, message: /^position \(680000 -20000\) \(lon\/lat 1\.88008 49\.65462\) lies outside the area of use of EPSG:27700/ } },
  // http EPSG/0/3044 is northing-first; cs2cs EPSG:3044 with "4889943.440 557434.439"
  { file: 'etsgml32-LineString-srsName-http.xml', count: 1, ids: ['LineString-srsName-http'], first: [9.718309266, 44.160438256] },
  // compound 7416, srsDimension 3: Z kept; cs2cs EPSG:7416 → EPSG:4979
  { file: 'etsgml32-Point-2.5D.xml', count: 1, ids: ['P1'], first: [9.944720843, 58.860642018, 2] },
  { file: 'etsgml32-Point-axisOrder.xml', count: 1, ids: ['Point-1.1'], unreadable: { count: 1, message: /the axes look swapped \(set source\.axisOrder to xy\)/ } },
  { file: 'etsgml32-Point-epsg3045.xml', count: 1, ids: ['grid_origin_tiff'], unreadable: { count: 1, message: /lies outside the area of use of EPSG:3045/ } },
  { file: 'etsgml32-Point-srsNameOnPos.xml', count: 1, ids: ['grid_origin_tiff'], unreadable: { count: 1, message: /lies outside the area of use of EPSG:3045/ } },
  // parses; invalid for PostGIS (ST_IsValid), which the store repairs or rejects per mapping
  { file: 'etsgml32-Polygon-InteriorCrossesExterior.xml', count: 1, ids: ['Polygon-Invalid-1'], first: [-123.1839, 49.1947] },
  { file: 'etsgml32-Polygon-NotClosed.xml', count: 1, ids: ['g1'], unreadable: { count: 1, message: /^gml:LinearRing is not closed: it starts at \(-124 49\) and ends at \(-123\.5 53\)/ } },
  { file: 'etsgml32-Surface-Curve-ID_250.xml', count: 1, ids: ['ID_249'], first: [-36.166666666666664, 55.233333333333334] },
  { file: 'etsgml32-Surface-ExteriorCCW.xml', count: 1, ids: ['SFIRAMSWELL'], first: [-40, 57.08] },
  // srsName on the property element; cs2cs EPSG:25832 552400.131 5941061.830
  { file: 'hale-sample-arcstring-gml32.xml', count: 1, ids: ['ageom1'], first: [9.792127927, 53.615741133] },
  // no srsName anywhere: the mapping's source.crs applies
  { file: 'hale-sample-compositecurve-gml32.xml', count: 1, ids: ['compositecurve1'], first: [0.01, 3.2], options: { defaultCrs: 'EPSG:4326' } },
  { file: 'hale-sample-curve-gml32.xml', count: 14, ids: ['one', 'two'], first: [0.01, 3.2], unreadable: { count: 4, message: /lacks gml:bulge|radius unit '' is not known/ }, options: { defaultCrs: 'EPSG:4326' } },
  { file: 'hale-sample-multisurface-gml32.xml', count: 1, ids: ['multisurface1'], first: [0.01, 3.2], options: { defaultCrs: 'EPSG:4326' } },
  { file: 'hale-sample-orientablecurve-gml32.xml', count: 1, ids: ['property1'], first: [0.01, 3.2], options: { defaultCrs: 'EPSG:4326' } },
  { file: 'hale-sample-orientablesurface-gml32.xml', count: 1, ids: ['osurface1'], first: [-122.44, 37.8], options: { defaultCrs: 'EPSG:4326' } },
  { file: 'hale-sample-surface-gml32_patches_3d.xml', count: 1, ids: ['surface1'], first: [-4.5, 3, 0], options: { defaultCrs: 'EPSG:4979' } },
  { file: 'hale-sample-surface-gml32_patches_hole.xml', count: 1, ids: ['surface1'], first: [-4.5, 3], options: { defaultCrs: 'EPSG:4326' } },
];

const WFS: readonly Case[] = [
  // numberReturned="0" but one member; namespaces declared on the feature; "EPSG:26912" x/y; cs2cs EPSG:26912 325218.003 4250567.050
  { file: 'gdal-wfs20-deegree-utah-getfeature.xml', count: 1, ids: ['SGID024_MUNICIPALITIES2004_EDITED_0'], first: [-113.001191945, 38.386246078] },
  { file: 'ogcclient-getfeature-props-cities-1-0-0.xml', count: 10, ids: ['cities.8338', 'cities.1225'] },
  { file: 'ogcclient-getfeature-props-cities-1-1-0.xml', count: 10, ids: ['cities.8338', 'cities.1225'] },
  { file: 'ogcclient-getfeature-props-cities-2-0-0.xml', count: 10, ids: ['cities.8338', 'cities.1225'] },
  { file: 'ogcclient-getfeature-props-pigma-2-0-0.xml', count: 10, ids: ['hierarchisation_l.fid--24c9db69_17b1184059d_491d'] },
  { file: 'ogcclient-getfeature-props-states-1-0-0.xml', count: 14, ids: ['states.1', 'states.2'] },
  { file: 'ogcclient-getfeature-props-states-1-1-0.xml', count: 14, ids: ['states.1', 'states.2'] },
  { file: 'ogcclient-getfeature-props-states-2-0-0.xml', count: 14, ids: ['states.1', 'states.2'] },
];

function checkCase(folder: string, c: Case) {
  it(`${c.file}: ${c.count} records${c.first ? `, first position ${c.first.join(' ')}` : ''}`, async () => {
    const { records, result } = await read(fixture(folder, c.file), c.options);
    expect(records).toHaveLength(c.count);
    expect(records.slice(0, c.ids.length).map((r) => r.id)).toEqual(c.ids);
    if (c.first) {
      const record = records.find((r) => r.geometries.some((g) => g.geometry && (!c.geometry || g.name === c.geometry)))!;
      const position = firstPosition(record, c.geometry);
      expect(position).toHaveLength(c.first.length);
      c.first.forEach((value, i) => expect(position[i]).toBeCloseTo(value, 8));
    }
    const unreadable = problems(records);
    expect(unreadable).toHaveLength(c.unreadable?.count ?? 0);
    for (const problem of unreadable) expect(problem).toMatch(c.unreadable!.message);
    expect(result.warnings).toHaveLength(c.warnings ?? 0);
  });
}

describe.skipIf(!haveFixtures)('GML fixtures: inspire-gml', () => INSPIRE.forEach((c) => checkCase('inspire-gml', c)));
describe.skipIf(!haveFixtures)('GML fixtures: gml-geometry', () => GEOMETRY.forEach((c) => checkCase('gml-geometry', c)));
describe.skipIf(!haveFixtures)('GML fixtures: wfs GetFeature responses', () => WFS.forEach((c) => checkCase('wfs', c)));

describe.skipIf(!haveFixtures)('GML fixtures that must be refused', () => {
  it('stops at the truncated CompositeSurface document with line and column', async () => {
    const error = await read(fixture('gml-geometry', 'hale-sample-compositesurface-gml32.xml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFormatError);
    expect((error as Error).message).toBe('hale-sample-compositesurface-gml32.xml is not well-formed XML at line 58, column 21: unclosed tag: gml:FeatureCollection');
  });

  // Trimmed by the fixture authors (README: "not namespace-well-formed as stored"); a server sending them would be
  // refused the same way. test/integration/wfs-describe-feature-type.test.ts injects the declarations and reads 364237.
  it.each([
    ['ogcclient-getfeature-hits-pigma-1-1-0.xml', 'line 2, column 117: unbound namespace prefix: "wfs".'],
    ['ogcclient-getfeature-hits-pigma-2-0-0.xml', 'line 4, column 104: unbound namespace prefix: "wfs".'],
    ['ogcclient-describefeaturetype-pigma-1-1-0-xsd.xml', 'line 1, column 83: unbound namespace prefix: "xsd".'],
  ])('refuses the not namespace-well-formed %s', async (file, where) => {
    const error = await read(fixture('wfs', file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFormatError);
    expect((error as Error).message).toBe(`${file} is not well-formed XML at ${where}`);
  });

  it.each(['ogcclient-exception-report-1-1-0.xml', 'ogcclient-exception-report-2-0-0.xml', 'ogcclient-service-exception-report-1-0-0.xml'])('turns the OWS exception in %s into a typed error with the server message', async (file) => {
    const error = await read(fixture('wfs', file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OwsExceptionError);
    expect(error).toMatchObject({ exceptionCode: 'InvalidParameterValue', serverMessage: 'msWFSDispatch(): WFS server error. Invalid WFS request: FooBar' });
  });

  it.each(['hale-wfsCapabilities2.xml', 'owslib-wfs_dov_getcapabilities_200.xml', 'owslib-mapserver-wfs-schema.xml'])('says %s is not a feature document', async (file) => {
    await expect(read(fixture('wfs', file))).rejects.toThrow(/the root element <[^>]+> is neither a feature collection nor a feature/);
  });
});

describe.skipIf(!haveFixtures)('GML property flattening (INSPIRE GeoJSON encoding conventions)', () => {
  it('flattens inspireId, keeps code-list hrefs and titles, nil reasons, empty elements and time periods', async () => {
    const { records } = await read(fixture('inspire-gml', 'inspiremif-ef-emf.gml.xml'));
    expect(records[0]!.properties).toMatchObject({
      inspireId_localId: 'Piezometre/06512X0037/STREMY.2',
      inspireId_namespace: 'http://ressource.brgm-rec.fr/data',
      inspireId_versionId: '',
      name: 'Piézomètre de St-Rémy - 01',
      mediaMonitored: 'water',
      mediaMonitored_href: 'http://inspire.ec.europa.eu/codelist/MediaValue/water',
      legalBackground: '',
      observingCapability_observingTime_beginPosition: '1977-10-06T13:00:00Z',
      identifier_codeSpace: 'http://www.ietf.org/rfc/rfc2616',
    });
  });

  it('reads xsi:nil with its reason, uom and repeated properties as arrays', async () => {
    const { records } = await read(fixture('inspire-gml', 'aqd-at-uba-Station_50.xml'));
    const nils = records.flatMap((r) => Object.entries(r.properties).filter(([k]) => k.endsWith('_nilReason')));
    expect(nils.length).toBe(250);
    expect(new Set(nils.map(([, v]) => v))).toEqual(new Set(['missing']));
    const addresses = await read(fixture('inspire-gml', 'catastro-es-ad-address.gml'));
    expect(addresses.records[0]!.properties).toMatchObject({
      validFrom: null,
      validFrom_nilReason: 'other:unpopulated',
      component_href: ['#ES.SDGC.PD.38.012.38570', '#ES.SDGC.TN.38.012.1', '#ES.SDGC.AU.38.012'],
      position_specification: 'Parcel',
      locator_designator_designator: 'S-N',
    });
    const buildings = await read(fixture('inspire-gml', 'catastro-es-bu-38023.buildingpart.gml'));
    expect(buildings.records[0]!.properties).toMatchObject({ geometry_horizontalGeometryEstimatedAccuracy: '0.1', geometry_horizontalGeometryEstimatedAccuracy_uom: 'm', heightBelowGround_uom: 'm' });
  });

  it('does not promote nested features: ef:NetworkFacility inside ef:belongsTo stays a flattened property', async () => {
    const { records } = await read(fixture('inspire-gml', 'brgm-ef-piezometer_1.xml'));
    expect(records).toHaveLength(1);
    expect(Object.keys(records[0]!.properties).some((k) => k.startsWith('belongsTo_'))).toBe(true);
  });

  it('takes MapServer dates written as gml:timePosition as the property value, and WFS paging attributes', async () => {
    const { records, result } = await read('test/fixtures/gml/mapserver-dates.xml');
    expect(records.map((r) => [r.id, r.properties['installed'], r.properties['wattage']])).toEqual([
      ['streetlights.SL-000001', '1968-05-01', '18'],
      ['streetlights.SL-000002', null, undefined],
    ]);
    expect(records[1]!.properties['installed_indeterminatePosition']).toBe('unknown');
    expect(result.collection).toEqual({ numberMatched: null, numberReturned: 2, next: 'http://127.0.0.1:8081/mapserv?SERVICE=WFS&STARTINDEX=2' });
    // urn EPSG::4258 is lat/lon: 52.352232 9.767327
    expect(firstPosition(records[1]!)).toEqual([9.767327, 52.352232]);
  });

  it('decodes the declared ISO-8859-1 encoding', async () => {
    const { records } = await read('test/fixtures/gml/latin1-feature.gml');
    expect(records[0]!.properties['name']).toBe('Münster, Straße à Évry');
  });

  it('gives the same records whatever the chunk boundaries', async () => {
    const file = fixture('inspire-gml', 'brgm-ef-piezometer_50.xml');
    const whole = await read(file);
    const bytes = await read(file, {}, 7);
    expect(bytes.records).toEqual(whole.records);
    expect((await readFile(file)).length).toBeGreaterThan(200_000);
  });
});

describe.skipIf(!haveFixtures)('GML curves', () => {
  it('densifies ArcByCenterPoint within the tolerance: every vertex 10 NM from the centre, chords off by ≤ 0.1 m', async () => {
    const { records } = await read(fixture('gml-geometry', 'etsgml32-Curve-ArcByCenterPoint.xml'), { densifyTolerance: 0.1 });
    const line = records[0]!.geometries[0]!.geometry as { coordinates: Position[] };
    const [lon0, lat0] = [-123.183889, 49.194722];
    const distance = (p: Position) => geographiclib.Geodesic.WGS84.Inverse(lat0, lon0, p[1]!, p[0]!).s12!;
    for (const p of line.coordinates) expect(Math.abs(distance(p) - 18_520)).toBeLessThan(0.01);
    // a quarter circle (east → north) of radius 18.52 km: sagitta ≤ 0.1 m needs ≥ 2·acos(1 − 0.1/18520) per chord
    const maxStep = 2 * Math.acos(1 - 0.1 / 18_520);
    expect(line.coordinates.length - 1).toBeGreaterThanOrEqual(Math.ceil(Math.PI / 2 / maxStep));
    // due north, 10 NM: geod +ellps=WGS84 gives 49.361246120 -123.183889 (the ETS CompositeCurve's arc ends at 49.361246)
    const end = line.coordinates[line.coordinates.length - 1]!;
    expect(end[0]).toBeCloseTo(lon0, 8);
    expect(end[1]).toBeCloseTo(49.36124612, 8);
    const coarse = await read(fixture('gml-geometry', 'etsgml32-Curve-ArcByCenterPoint.xml'), { densifyTolerance: 10 });
    expect((coarse.records[0]!.geometries[0]!.geometry as { coordinates: Position[] }).coordinates.length).toBeLessThan(line.coordinates.length / 5);
  });

  it('closes the Surface ring of GeodesicString + ArcByCenterPoint (end angle 497°) into a valid polygon ring', async () => {
    const { records } = await read(fixture('gml-geometry', 'etsgml32-Surface-Curve-ID_250.xml'));
    const polygon = records[0]!.geometries[0]!.geometry as { type: string; coordinates: Position[][] };
    expect(polygon.type).toBe('Polygon');
    const ring = polygon.coordinates[0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect(ring.length).toBeGreaterThan(100);
    // The producer placed the GeodesicString corners on the WGS 84 geodesic circle of 25 NM (46,300 m) around the centre:
    //   echo "55.233333333333334 -36.166666666666664 270 46300" | geod +ellps=WGS84 -f %.12f → 55.231163728077 -36.894373379168
    // so every arc vertex lies 46,300 m from the centre, and the arc meets those corners without a gap.
    const [lon0, lat0] = [-36.166666666666664, 55.233333333333334];
    const distance = (p: Position) => geographiclib.Geodesic.WGS84.Inverse(lat0, lon0, p[1]!, p[0]!).s12!;
    const arc = ring.filter((p) => distance(p) > 46_000);
    expect(arc.length).toBeGreaterThan(100);
    for (const p of arc) expect(Math.abs(distance(p) - 46_300)).toBeLessThan(0.01);
    expect(arc[0]![0]).toBeCloseTo(-36.894373379168, 9);
    expect(arc[0]![1]).toBeCloseTo(55.231163728077, 9);
  });

  it('reverses an OrientableCurve with orientation "-" inside a CompositeCurve', async () => {
    const { records } = await read(fixture('gml-geometry', 'etsgml32-CompositeCurve.xml'));
    const line = (records[0]!.geometries[0]!.geometry as { coordinates: Position[] }).coordinates;
    // the arc ends at 49.361246 -123.183889, where the reversed second curve starts; it ends at 49.702558 -123.0
    expect(line[line.length - 1]).toEqual([-123, 49.702558]);
  });
});
