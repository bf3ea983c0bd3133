/**
 * One persistent identifier per thing: each harvested feature gets the NGSI-LD entity id of its
 * mapping's template (stored, unique among a collection's current features), shown with the OGC API
 * item as a `describes` link; the collection shows the mapping's metadata URL (rel describedby) and
 * INSPIRE theme (keyword and rel tag link to the registry URI).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import { testLogger, uniqueId } from '../helpers/database.js';
import { getJson, type Link } from '../helpers/http-json.js';
import { harvestBench } from '../helpers/harvest-bench.js';
import { mappingFrom } from '../helpers/mappings.js';

describe('NGSI-LD entity ids and dataset links of harvested collections', () => {
  const bench = harvestBench('ngsi');

  const feature = (id: string, properties: Record<string, unknown>) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates: [9.7, 52.3] }, properties });

  async function harvest(features: unknown[], template = 'urn:ngsi-ld:Streetlight:{namespace}:{localId}') {
    const collection = uniqueId('ngsi');
    bench.collections.push(collection);
    await writeFile(path.join(bench.directory, `${collection}.geojson`), JSON.stringify({ type: 'FeatureCollection', features }));
    const loaded = await mappingFrom(
      `source:\n  type: file\n  path: ${collection}.geojson\ntarget:\n  collection: ${collection}\n  namespace: DE.HANNOVER.SL\n  keywords: [lighting]\n  inspireTheme: us\n  metadataUrl: https://geo.example.org/csw?id=abc\n` +
        `identifiers:\n  localId: asset\n  versionId: version\n  ngsiLdId: "${template}"\nngsiLd:\n  type: Streetlight\n  context: [https://smartdatamodels.org/context.jsonld]\n`,
      path.join(bench.directory, 'inline.yaml'),
    );
    return { run: await runHarvest(bench.store, loaded, testLogger, { trigger: 'api' }), collection };
  }

  it('stores the entity id of each feature and shows it with the OGC API item as a describes link', async () => {
    const { run, collection } = await harvest([feature('a', { asset: 'SL 1/ä' }), feature('b', { asset: 'SL-2' })]);
    expect(run).toMatchObject({ status: 'succeeded', counts: { inserted: 2, rejected: 0 } });
    const rows = await bench.db.query<{ id: string; ngsi_ld_id: string }>({
      text: 'SELECT f.id, f.ngsi_ld_id FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 ORDER BY f.id',
      values: [collection],
    });
    expect(rows).toEqual([
      { id: 'a', ngsi_ld_id: 'urn:ngsi-ld:Streetlight:DE.HANNOVER.SL:SL%201/%C3%A4' },
      { id: 'b', ngsi_ld_id: 'urn:ngsi-ld:Streetlight:DE.HANNOVER.SL:SL-2' },
    ]);
    const { body } = await getJson<{ links: Link[] }>(`${bench.server.url}/collections/${collection}/items/b?f=json`);
    expect(body.links.filter((l) => l.rel === 'describes')).toEqual([{ href: 'urn:ngsi-ld:Streetlight:DE.HANNOVER.SL:SL-2', rel: 'describes', title: 'NGSI-LD entity id of the thing this feature describes' }]);
  });

  it('rejects a feature whose template field has no value, and one whose entity id another feature holds', async () => {
    const withVersion = await harvest([feature('a', { asset: 'X-1', version: '3' }), feature('b', { asset: 'X-2' })], 'urn:ngsi-ld:Streetlight:{localId}:{versionId}');
    expect(withVersion.run).toMatchObject({ status: 'succeeded', counts: { inserted: 1, rejected: 1 } });
    expect(withVersion.run.rejections).toEqual([
      { id: 'b', location: expect.stringMatching(/feature 1 \(id b\)$/), reason: 'identifiers.ngsiLdId: {versionId} in urn:ngsi-ld:Streetlight:{localId}:{versionId} has no value for this feature' },
    ]);
    // {type} alone gives every feature the same entity id: the second one is refused.
    const same = await harvest([feature('a', { asset: 'Y-1' }), feature('b', { asset: 'Y-2' })], 'urn:ngsi-ld:{type}:{collection}');
    expect(same.run).toMatchObject({ status: 'succeeded', counts: { inserted: 1, rejected: 1 } });
    expect(same.run.rejections).toEqual([{ id: 'b', location: 'feature b', reason: 'its NGSI-LD entity id (identifiers.ngsiLdId) is already used by feature a' }]);
  });

  it('refuses a feature whose inspireId an earlier feature of the same batch holds (the first fill falls back to the checking statement)', async () => {
    const first = await harvest([feature('a', { asset: 'Z-1' }), feature('b', { asset: 'Z-2' }), feature('c', { asset: 'Z-1' })], 'urn:ngsi-ld:Streetlight:{id}');
    expect(first.run).toMatchObject({ status: 'succeeded', counts: { inserted: 2, rejected: 1 } });
    expect(first.run.rejections).toEqual([{ id: 'c', location: 'feature c', reason: 'its inspireId (namespace + localId) is already used by feature a' }]);
    const rows = await bench.db.query<{ id: string }>({ text: 'SELECT f.id FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 ORDER BY f.id', values: [first.collection] });
    expect(rows.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('links the metadata record (describedby) and the INSPIRE theme (keyword, tag link to the registry)', async () => {
    const { collection } = await harvest([feature('a', { asset: 'M-1' })]);
    const { body } = await getJson<{ keywords: string[]; links: Link[] }>(`${bench.server.url}/collections/${collection}?f=json`);
    expect(body.keywords).toEqual(['lighting', 'Utility and governmental services']);
    expect(body.links.filter((l) => ['describedby', 'tag'].includes(l.rel))).toEqual([
      { href: 'https://geo.example.org/csw?id=abc', rel: 'describedby', title: 'Metadata of inline' },
      { href: 'http://inspire.ec.europa.eu/theme/us', rel: 'tag', title: 'INSPIRE theme: Utility and governmental services' },
    ]);
  });
});
