/**
 * WFS discovery over the recorded capabilities of ../shared/fixtures/wfs (GeoServer, MapServer,
 * ArcGIS, deegree-era INSPIRE services; WFS 1.0.0, 1.1.0 and 2.0.0), served on loopback with their
 * operation URLs pointed here: which version, type name, srsName and paging (COUNT/MAXFEATURES)
 * the harvest asks for. GetFeature answers an empty collection, so each harvest ends with 0 features.
 * (pigma lists application/json on the GetFeature operation only, not on the feature type: GeoJSON is asked for.)
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { testLogger, uniqueId } from '../helpers/database.js';
import { upstreamBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';
import { startUpstream } from '../helpers/upstream-server.js';

interface Case {
  readonly file: string;
  readonly typeName: string;
  /** Parameters the first GetFeature must carry (upper-case names). */
  readonly expect: Record<string, string | null>;
}

const CASES: readonly Case[] = [
  { file: 'ogcclient-capabilities-pigma-2-0-0.xml', typeName: 'cd16:hierarchisation_l', expect: { VERSION: '2.0.0', TYPENAMES: 'cd16:hierarchisation_l', SRSNAME: 'urn:ogc:def:crs:EPSG::2154', COUNT: '1000', OUTPUTFORMAT: 'application/json' } },
  { file: 'ogcclient-capabilities-pigma-1-1-0.xml', typeName: 'cd16:hierarchisation_l', expect: { VERSION: '1.1.0', TYPENAME: 'cd16:hierarchisation_l', SRSNAME: 'urn:ogc:def:crs:EPSG::2154', MAXFEATURES: '1000' } },
  { file: 'ogcclient-capabilities-pigma-1-0-0.xml', typeName: 'cd16:hierarchisation_l', expect: { VERSION: '1.0.0', TYPENAME: 'cd16:hierarchisation_l', SRSNAME: 'EPSG:2154', MAXFEATURES: null, STARTINDEX: null } },
  { file: 'ogcclient-capabilities-geo2france-2-0-0.xml', typeName: 'cr_hdf:epci_2019', expect: { VERSION: '2.0.0', TYPENAMES: 'cr_hdf:epci_2019', SRSNAME: 'urn:ogc:def:crs:EPSG::2154', COUNT: '1000' } },
  { file: 'ogcclient-capabilities-states-2-0-0.xml', typeName: 'usa:states', expect: { VERSION: '2.0.0', TYPENAMES: 'usa:states', SRSNAME: 'urn:ogc:def:crs:EPSG::4326' } },
  { file: 'hale-wfsCapabilities2.xml', typeName: 'ad:Address', expect: { VERSION: '2.0.0', TYPENAMES: 'ad:Address', SRSNAME: 'urn:ogc:def:crs:EPSG::4258' } },
  { file: 'hale-wfsCapabilities11.xml', typeName: 'ad:Address', expect: { VERSION: '1.1.0', TYPENAME: 'ad:Address', SRSNAME: 'urn:ogc:def:crs:EPSG::4258' } },
  { file: 'owslib-wfs_dov_getcapabilities_200.xml', typeName: 'gw_meetnetten:meetnetten', expect: { VERSION: '2.0.0', SRSNAME: 'urn:ogc:def:crs:EPSG::31370' } },
  { file: 'owslib-wfs_dov_getcapabilities_110.xml', typeName: 'gw_meetnetten:meetnetten', expect: { VERSION: '1.1.0', SRSNAME: 'urn:ogc:def:crs:EPSG::31370' } },
  { file: 'owslib-wfs_HSRS_GetCapabilities_1_1_0.xml', typeName: 'states', expect: { VERSION: '1.1.0', TYPENAME: 'states', SRSNAME: 'urn:ogc:def:crs:EPSG::4326' } },
  { file: 'owslib-wfs_koeln_arcgis_getcapabilities_110.xml', typeName: 'adressen_stadtteil:Altstadt_Süd', expect: { VERSION: '1.1.0', TYPENAME: 'adressen_stadtteil:Altstadt_Süd' } },
  { file: 'owslib-wfs_mapserver_demo_getcapabilities_100.xml', typeName: 'cities', expect: { VERSION: '1.0.0', TYPENAME: 'cities', MAXFEATURES: null } },
  { file: 'owslib-mapserver-wfs-cap.xml', typeName: 'glaciers', expect: { VERSION: '1.0.0', TYPENAME: 'glaciers', MAXFEATURES: null } },
];

describe.skipIf(!haveFixtures)('WFS discovery from recorded capabilities', () => {
  let capabilities = '';
  const bench = upstreamBench(() => startUpstream((_request, response, url) => {
    const q = Object.fromEntries([...url.searchParams].map(([k, v]) => [k.toUpperCase(), v]));
    response.writeHead(200, { 'Content-Type': 'text/xml' });
    if (q['REQUEST'] === 'GetCapabilities') return void response.end(capabilities);
    if (q['REQUEST'] === 'DescribeFeatureType') return void response.end('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>');
    response.end('<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" numberMatched="0" numberReturned="0"/>');
  }));

  it('names the feature types a server offers when the mapping asks for another', async () => {
    capabilities = (await readFile(fixture('wfs', 'owslib-mapserver-wfs-cap.xml'), 'utf8')).replace(/onlineResource="https?:\/\/[^"]*"/g, `onlineResource="${bench.upstream.url}/wfs?"`);
    const collection = uniqueId('wfs-discovery');
    bench.collections.push(collection);
    const loaded = await mappingFrom(`source:\n  type: wfs\n  url: ${bench.upstream.url}/wfs\n  typeName: park\ntarget:\n  collection: ${collection}\n`);
    const run = await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' });
    expect(run.error).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wfs has no feature type 'park' \(it offers antarctic_ice_shelves_fill, antarctic_continent, .*glaciers/);
  });

  it.each(CASES)('$file: GetFeature for $typeName', async ({ file, typeName, expect: wanted }) => {
    // Operation URLs (and schema locations) point at the recording hosts; send them here.
    capabilities = (await readFile(fixture('wfs', file), 'utf8')).replace(/(xlink:href|onlineResource)="https?:\/\/[^"]*"/g, `$1="${bench.upstream.url}/wfs?"`);
    const collection = uniqueId('wfs-discovery');
    bench.collections.push(collection);
    const loaded = await mappingFrom(`source:\n  type: wfs\n  url: ${bench.upstream.url}/wfs\n  typeName: "${typeName}"\n  http: { retries: { attempts: 1 } }\ntarget:\n  collection: ${collection}\n`);
    const before = bench.upstream.requests.length;
    const run = await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' });
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: 0 } });
    const getFeature = bench.upstream.requests
      .slice(before)
      .map((r) => new URL(r, bench.upstream.url))
      .find((u) => [...u.searchParams].some(([k, v]) => k.toUpperCase() === 'REQUEST' && v === 'GetFeature') && ![...u.searchParams].some(([k]) => k.toUpperCase() === 'RESULTTYPE'))!;
    expect(getFeature, 'no GetFeature request').toBeDefined();
    const parameters = Object.fromEntries([...getFeature.searchParams].map(([k, v]) => [k.toUpperCase(), v]));
    for (const [name, value] of Object.entries(wanted)) {
      expect(parameters[name] ?? null, name).toBe(value);
    }
  });
});
