/**
 * WFS harvests that read the DescribeFeatureType schemas and resultType=hits answers of
 * ../shared/fixtures/wfs, served on loopback with the recorded capabilities (PIGMA, Köln) or
 * test/fixtures/wfs/points-capabilities.xml renamed to the schema's type (DOV, whose capabilities
 * list other types). GetFeature answers the recorded PIGMA page or small GML documents written here
 * to the schemas. Expected lon/lat from PROJ 9.1 cs2cs, e.g.
 *   echo "352345.67 5657890.12" | cs2cs -f %.9f EPSG:25832 EPSG:4326   → 51.053536973 6.893226193
 *   echo "153256.3 212503.9"    | cs2cs -f %.9f EPSG:31370 EPSG:4326   → 51.222468851 4.415367710
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { testLogger, uniqueId } from '../helpers/database.js';
import { upstreamBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';
import { startUpstream } from '../helpers/upstream-server.js';

interface Answers {
  capabilities: string;
  schema: string;
  hits: string;
  features: string;
}

const wfsFixture = (file: string) => readFile(fixture('wfs', file), 'utf8');

/** The trimmed hits fixtures lack their namespace declarations (README: inject them in the test). */
const withNamespaces = (hits: string) =>
  hits.replace('<wfs:FeatureCollection', `<wfs:FeatureCollection xmlns:wfs="${hits.includes('numberMatched') ? 'http://www.opengis.net/wfs/2.0' : 'http://www.opengis.net/wfs'}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`);

/** A resultType=hits answer announcing `total` features (WFS 2.0 form; the 1.1 reader takes it too). */
const hitsOf = (total: number) => `<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" numberMatched="${total}" numberReturned="0"/>`;

function collection(namespaces: string, gml: string, members: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="${gml}" ${namespaces} numberMatched="${members.length}" numberReturned="${members.length}">\n${members.map((m) => `<wfs:member>${m}</wfs:member>`).join('\n')}\n</wfs:FeatureCollection>`;
}

describe.skipIf(!haveFixtures)('WFS harvests typed by DescribeFeatureType, counted by resultType=hits', () => {
  let answers: Answers;
  const bench = upstreamBench(() => startUpstream((_request, response, url) => {
    const q = Object.fromEntries([...url.searchParams].map(([k, v]) => [k.toUpperCase(), v]));
    response.writeHead(200, { 'Content-Type': 'text/xml' });
    if (q['REQUEST'] === 'GetCapabilities') return void response.end(answers.capabilities);
    if (q['REQUEST'] === 'DescribeFeatureType') return void response.end(answers.schema);
    response.end(q['RESULTTYPE'] === 'hits' ? answers.hits : answers.features);
  }));

  /** Capabilities with their operation URLs pointed here. */
  const here = (capabilities: string) => capabilities.replace(/(xlink:href|onlineResource)="https?:\/\/[^"]*"/g, `$1="${bench.upstream.url}/wfs?"`).replaceAll('{BASE}', bench.upstream.url);
  const renamed = async (typeName: string) => here((await readFile('test/fixtures/wfs/points-capabilities.xml', 'utf8')).replaceAll('t:points', typeName));

  async function harvest(typeName: string, extra = '') {
    const target = uniqueId('wfs-dft');
    bench.collections.push(target);
    const loaded = await mappingFrom(`source:\n  type: wfs\n  url: ${bench.upstream.url}/wfs\n  typeName: "${typeName}"\n  outputFormat: gml\n  http: { retries: { attempts: 1 } }\ntarget:\n  collection: ${target}\n${extra}`);
    const run = await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' });
    const stored = await bench.store.collections.get(target);
    const feature = async (id: string) => {
      const row = await bench.store.pages.byId(stored!.key, id, { srid: 4326, swapAxes: false, decimals: 9, properties: null });
      return JSON.parse(row!.json) as { properties: Record<string, unknown>; geometry: { coordinates: unknown } | null };
    };
    return { run, stored, feature };
  }

  describe('PIGMA cd16:hierarchisation_l (GeoServer), recorded answers', () => {
    it('WFS 2.0: xsd:long values arrive as numbers, xsd:string digits stay text; the trimmed hits answer is refused with a warning', async () => {
      answers = {
        capabilities: here(await wfsFixture('ogcclient-capabilities-pigma-2-0-0.xml')),
        schema: await wfsFixture('ogcclient-describefeaturetype-pigma-2-0-0-xsd.xml'),
        hits: await wfsFixture('ogcclient-getfeature-hits-pigma-2-0-0.xml'),
        features: await wfsFixture('ogcclient-getfeature-props-pigma-2-0-0.xml'),
      };
      const { run, stored, feature } = await harvest('cd16:hierarchisation_l');
      expect(run.error).toBeNull();
      expect(run).toMatchObject({ status: 'succeeded', expected: null, counts: { read: 10, inserted: 10, rejected: 0 } });
      expect(run.warnings.map((w) => w.message)).toEqual([
        'resultType=hits failed (hits is not well-formed XML at line 4, column 104: unbound namespace prefix: "wfs".); the harvest cannot check it read every feature',
        expect.stringMatching(/^features missing from the source were kept, not retired: .* gave no total to check the harvest against \(resultType=hits failed/),
      ]);
      const first = await feature('hierarchisation_l.fid--24c9db69_17b1184059d_491d');
      expect(first.properties).toEqual({ axe: 'D941', cumuld: 19363, cumulf: 23565, plod: '38', absd: 904, plof: '43', absf: 99, categorie: 2 });
      expect(stored!.queryables).toMatchObject({ axe: { type: 'string' }, cumuld: { type: 'integer' }, plod: { type: 'string' }, categorie: { type: 'integer' } });
    });

    it('WFS 2.0: with its namespaces injected, the hits answer announces 364237 features, so a 10-feature harvest fails as incomplete', async () => {
      answers.hits = withNamespaces(await wfsFixture('ogcclient-getfeature-hits-pigma-2-0-0.xml'));
      const { run, stored } = await harvest('cd16:hierarchisation_l');
      expect(run).toMatchObject({ status: 'failed', expected: 364237 });
      expect(run.error).toBe('incomplete: the source announced 364237 features but 10 distinct ones arrived (pages overlapped or skipped features); nothing was stored');
      expect(stored?.featureCount ?? 0).toBe(0);
    });

    it('WFS 1.1: the trimmed schema (unbound xsd prefix) leaves values as text with a warning; numberOfFeatures="364237" of the repaired hits answer is read', async () => {
      answers = {
        capabilities: here(await wfsFixture('ogcclient-capabilities-pigma-1-1-0.xml')),
        schema: await wfsFixture('ogcclient-describefeaturetype-pigma-1-1-0-xsd.xml'),
        hits: await wfsFixture('ogcclient-getfeature-hits-pigma-1-1-0.xml'),
        // no WFS 1.1 GetFeature of this type was recorded: the 2.0 page stands in (the reader takes either)
        features: await wfsFixture('ogcclient-getfeature-props-pigma-2-0-0.xml'),
      };
      const text = await harvest('cd16:hierarchisation_l');
      expect(text.run).toMatchObject({ status: 'succeeded', counts: { read: 10 } });
      expect(text.run.warnings.map((w) => w.message)).toEqual([
        'DescribeFeatureType cd16:hierarchisation_l is not well-formed XML at line 1, column 83: unbound namespace prefix: "xsd".; the properties of cd16:hierarchisation_l stay text',
        'resultType=hits failed (hits is not well-formed XML at line 2, column 117: unbound namespace prefix: "wfs".); the harvest cannot check it read every feature',
        expect.stringMatching(/^features missing from the source were kept, not retired: .* gave no total to check the harvest against \(resultType=hits failed/),
      ]);
      expect((await text.feature('hierarchisation_l.fid--24c9db69_17b1184059d_491d')).properties).toMatchObject({ cumuld: '19363', categorie: '2' });

      answers.hits = withNamespaces(answers.hits);
      const counted = await harvest('cd16:hierarchisation_l');
      expect(counted.run).toMatchObject({ status: 'failed', expected: 364237 });
      expect(counted.run.error).toMatch(/^incomplete: the source announced 364237 features but 10 distinct ones arrived/);
    });
  });

  const BLUMENBERG = (gml: string) =>
    collection('xmlns:adressen_stadtteil="https://k00364:6443/arcgis/admin/services/adressen_stadtteil/MapServer/WFSServer"', gml, [
      `<adressen_stadtteil:Blumenberg gml:id="F5__4711"><adressen_stadtteil:objectid>4711</adressen_stadtteil:objectid><adressen_stadtteil:Nummer>00017</adressen_stadtteil:Nummer><adressen_stadtteil:Straße>Blumenbergsweg</adressen_stadtteil:Straße><adressen_stadtteil:Postleitzahlgebiet>50765</adressen_stadtteil:Postleitzahlgebiet><adressen_stadtteil:shape><gml:Point srsName="urn:ogc:def:crs:EPSG::25832"><gml:pos>352345.67 5657890.12</gml:pos></gml:Point></adressen_stadtteil:shape></adressen_stadtteil:Blumenberg>`,
    ]);

  it.each([
    ['1.1.0', 'owslib-wfs_koeln_arcgis_describefeaturetype_110.xml', 'http://www.opengis.net/gml'],
    ['2.0.0', 'owslib-wfs_koeln_arcgis_describefeaturetype_200.xml', 'http://www.opengis.net/gml/3.2'],
  ])('Köln (ArcGIS Server) WFS %s: xsd:int objectid becomes a number, the restricted strings (a 5-digit postcode) stay text, shape is the geometry', async (version, schema, gml) => {
    answers = {
      capabilities: version === '1.1.0' ? here(await wfsFixture('owslib-wfs_koeln_arcgis_getcapabilities_110.xml')) : await renamed('adressen_stadtteil:Blumenberg'),
      schema: await wfsFixture(schema),
      hits: hitsOf(1),
      features: BLUMENBERG(gml),
    };
    const { run, feature } = await harvest('adressen_stadtteil:Blumenberg', 'geometry:\n  property: shape\n');
    expect(run.error).toBeNull();
    expect(run.warnings).toEqual([]);
    const stored = await feature('F5__4711');
    expect(stored.properties).toEqual({ objectid: 4711, Nummer: '00017', Straße: 'Blumenbergsweg', Postleitzahlgebiet: '50765' });
    const [lon, lat] = (stored.geometry as { coordinates: number[] }).coordinates;
    expect(lon).toBeCloseTo(6.893226193, 8);
    expect(lat).toBeCloseTo(51.053536973, 8);
  });

  it('DOV dov-pub:Boringen (GeoServer, GML 3.1.1 schema): decimals, doubles, a date and booleans typed; an empty decimal is null; a value off its type stays text with a warning', async () => {
    const boring = (id: string, depth: string, z: string) =>
      `<dov-pub:Boringen gml:id="Boringen.${id}"><dov-pub:id>${id}</dov-pub:id><dov-pub:boornummer>kb15d28w-B${id}</dov-pub:boornummer><dov-pub:diepte_tot_m>${depth}</dov-pub:diepte_tot_m><dov-pub:datum_aanvang>1990-05-03</dov-pub:datum_aanvang><dov-pub:X_mL72>153256.3</dov-pub:X_mL72><dov-pub:Y_mL72>212503.9</dov-pub:Y_mL72><dov-pub:Z_mTAW>${z}</dov-pub:Z_mTAW><dov-pub:informele_stratigrafie>true</dov-pub:informele_stratigrafie><dov-pub:formele_stratigrafie>false</dov-pub:formele_stratigrafie><dov-pub:geom><gml:Point srsName="urn:ogc:def:crs:EPSG::31370"><gml:pos>153256.3 212503.9</gml:pos></gml:Point></dov-pub:geom></dov-pub:Boringen>`;
    answers = {
      capabilities: await renamed('dov-pub:Boringen'),
      schema: await wfsFixture('owslib-wfs_schema_dov_boringen.xml'),
      hits: hitsOf(2),
      features: collection('xmlns:dov-pub="http://dov.vlaanderen.be/ocdov/dov-pub"', 'http://www.opengis.net/gml', [boring('1', '12.50', '8.00'), boring('2', 'onbekend', '')]),
    };
    const { run, feature, stored } = await harvest('dov-pub:Boringen');
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 2, inserted: 2 } });
    expect(run.warnings.map((w) => [w.location, w.message])).toEqual([
      ['feature 1 (gml:id Boringen.2), line 4', 'property diepte_tot_m holds "onbekend", which is not the number its DescribeFeatureType declares; such values stay text'],
    ]);
    const first = await feature('Boringen.1');
    expect(first.properties).toEqual({ id: '1', boornummer: 'kb15d28w-B1', diepte_tot_m: 12.5, datum_aanvang: '1990-05-03', X_mL72: 153256.3, Y_mL72: 212503.9, Z_mTAW: 8, informele_stratigrafie: true, formele_stratigrafie: false });
    expect((await feature('Boringen.2')).properties).toMatchObject({ diepte_tot_m: 'onbekend', Z_mTAW: null });
    const [lon, lat] = (first.geometry as { coordinates: number[] }).coordinates;
    expect(lon).toBeCloseTo(4.41536771, 8);
    expect(lat).toBeCloseTo(51.222468851, 8);
    expect(stored!.queryables).toMatchObject({ datum_aanvang: { type: 'date' }, informele_stratigrafie: { type: 'boolean' }, X_mL72: { type: 'number' } });
  });

  it('DOV gw_varia:hhz: the xsd:long area is a number; a mapping naming another geometry property is told the schema declares geom', async () => {
    answers = {
      capabilities: await renamed('gw_varia:hhz'),
      schema: await wfsFixture('owslib-wfs_schema_dov_hhz.xml'),
      hits: hitsOf(1),
      features: collection('xmlns:gw_varia="http://dov.vlaanderen.be/grondwater/gw_varia"', 'http://www.opengis.net/gml', [
        `<gw_varia:hhz gml:id="hhz.7"><gw_varia:id>7</gw_varia:id><gw_varia:hhz_naam>Kempen</gw_varia:hhz_naam><gw_varia:opp_m2>125000</gw_varia:opp_m2><gw_varia:hhz>0100</gw_varia:hhz><gw_varia:geom><gml:Point srsName="urn:ogc:def:crs:EPSG::31370"><gml:pos>153256.3 212503.9</gml:pos></gml:Point></gw_varia:geom></gw_varia:hhz>`,
      ]),
    };
    const { run, feature } = await harvest('gw_varia:hhz', 'geometry:\n  property: the_geom\n');
    expect(run.status).toBe('succeeded');
    expect(run.warnings.map((w) => w.message)).toEqual(["geometry.property 'the_geom' is not a geometry property of gw_varia:hhz; its DescribeFeatureType declares geom"]);
    const stored = await feature('hhz.7');
    expect(stored.properties).toEqual({ id: '7', hhz_naam: 'Kempen', opp_m2: 125000, hhz: '0100' });
    // the mapping named a property the features do not have: stored without geometry, as the warning said
    expect(stored.geometry).toBeNull();
  });
});
