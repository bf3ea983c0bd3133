import { describe, expect, it } from 'vitest';
import { NO_HARVEST_INFO } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { HarvestRunningError, InvariantError } from '../../src/domain/errors.js';
import type { FeatureOutput, FeaturePageQuery, PagePosition } from '../../src/domain/query.js';
import type { ChangeEvent } from '../../src/services/ports/changes.js';
import type { PageChunk } from '../../src/services/ports/rows.js';
import { createFakeStore, type FakeStore } from '../helpers/fake-store.js';
import { createCollection, feature, pointGrid } from '../helpers/fixtures.js';

const STORED: FeatureOutput = { srid: 4326, swapAxes: false, decimals: 8, properties: null };

function pageQuery(collectionKey: number, position: PagePosition, limit: number, extra: Partial<FeaturePageQuery> = {}): FeaturePageQuery {
  return { collectionKey, envelopes: [], time: null, equalities: [], filter: null, order: [], position, limit, output: STORED, ...extra };
}

async function readPage(store: FakeStore, query: FeaturePageQuery): Promise<PageChunk[]> {
  const stream = await store.pages.streamPage(query);
  const chunks: PageChunk[] = [];
  for await (const batch of stream) chunks.push(...batch);
  return chunks;
}

const idsOf = (chunks: readonly PageChunk[]) => chunks.flatMap((c) => (c.n === 0 ? [] : (JSON.parse(`[${c.json}]`) as { id: string }[]).map((f) => f.id)));
const after = (seq: string): PagePosition => ({ kind: 'after', seq, keys: [], skipped: 0, dataVersion: 0 });
const before = (seq: string): PagePosition => ({ kind: 'before', seq, keys: [], skipped: 0, dataVersion: 0 });

async function storeWith(records: FeatureRecord[], id = 'things'): Promise<{ store: FakeStore; key: number }> {
  const store = createFakeStore();
  await createCollection(store, { id }, records);
  return { store, key: (await store.collections.get(id))!.key };
}

const point = (id: string, x: number, y: number, properties: Record<string, unknown> = {}, time: string | null = null) => feature(id, { type: 'Point', coordinates: [x, y] }, properties, time);

describe('pages in seq order', () => {
  it('pages forward with after positions: one chunk per page, `more` while features lie beyond, positions of the first and last feature', async () => {
    const { store, key } = await storeWith(pointGrid(12));
    const first = await readPage(store, pageQuery(key, { kind: 'start' }, 5));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ n: 5, more: true, total: '12', version: '1' });
    expect(idsOf(first)).toEqual(['P-0000', 'P-0001', 'P-0002', 'P-0003', 'P-0004']);
    expect(Number(first[0]!.firstSeq)).toBeLessThan(Number(first[0]!.lastSeq));

    const second = await readPage(store, pageQuery(key, after(first[0]!.lastSeq), 5));
    expect(idsOf(second)).toEqual(['P-0005', 'P-0006', 'P-0007', 'P-0008', 'P-0009']);
    expect(second[0]!.more).toBe(true);
    const third = await readPage(store, pageQuery(key, after(second[0]!.lastSeq), 5));
    expect(idsOf(third)).toEqual(['P-0010', 'P-0011']);
    expect(third[0]!.more).toBe(false);
    expect(await readPage(store, pageQuery(key, after(third[0]!.lastSeq), 5))).toEqual([]);
  });

  it('pages back with before positions: the features just before, in ascending order, `more` while features lie before them', async () => {
    const { store, key } = await storeWith(pointGrid(12));
    const last = await readPage(store, pageQuery(key, { kind: 'offset', offset: 10 }, 5));
    const back = await readPage(store, pageQuery(key, before(last[0]!.firstSeq), 5));
    expect(idsOf(back)).toEqual(['P-0005', 'P-0006', 'P-0007', 'P-0008', 'P-0009']);
    expect(back[0]!.more).toBe(true);
    const front = await readPage(store, pageQuery(key, before(back[0]!.firstSeq), 5));
    expect(idsOf(front)).toEqual(['P-0000', 'P-0001', 'P-0002', 'P-0003', 'P-0004']);
    expect(front[0]!.more).toBe(false);
    const short = await readPage(store, pageQuery(key, before(back[0]!.firstSeq), 7));
    expect(idsOf(short)).toEqual(['P-0000', 'P-0001', 'P-0002', 'P-0003', 'P-0004']);
  });

  it('skips `offset` matches and reads nothing past the end', async () => {
    const { store, key } = await storeWith(pointGrid(12));
    const page = await readPage(store, pageQuery(key, { kind: 'offset', offset: 10 }, 5));
    expect(idsOf(page)).toEqual(['P-0010', 'P-0011']);
    expect(page[0]!.more).toBe(false);
    const exact = await readPage(store, pageQuery(key, { kind: 'offset', offset: 5 }, 7));
    expect(exact[0]).toMatchObject({ n: 7, more: false });
    expect(await readPage(store, pageQuery(key, { kind: 'offset', offset: 12 }, 5))).toEqual([]);
  });

  it('splits pages above 250 into chunks of 250 in ascending order, with the row past the page as a last marker chunk (n 0, more)', async () => {
    const { store, key } = await storeWith(pointGrid(600));
    const forward = await readPage(store, pageQuery(key, { kind: 'start' }, 520));
    expect(forward.map((c) => [c.n, c.more])).toEqual([
      [250, false],
      [250, false],
      [20, false],
      [0, true],
    ]);
    expect(forward[3]!.json).toBe('');
    expect(forward[3]!.firstSeq).toBe(forward[3]!.lastSeq);
    expect(Number(forward[3]!.firstSeq)).toBeGreaterThan(Number(forward[2]!.lastSeq));
    expect(idsOf(forward)).toEqual(pointGrid(520).map((f) => f.id));

    // Backwards the chunks are cut from the end of the page, and still come lowest seq first.
    const back = await readPage(store, pageQuery(key, before(forward[2]!.lastSeq), 300));
    expect(back.map((c) => [c.n, c.more])).toEqual([
      [50, false],
      [250, false],
      [0, true],
    ]);
    expect(idsOf(back)).toEqual(pointGrid(519).slice(219).map((f) => f.id));

    const whole = await readPage(store, pageQuery(key, { kind: 'start' }, 1000));
    expect(whole.map((c) => [c.n, c.more])).toEqual([
      [250, false],
      [250, false],
      [100, false],
    ]);
  });

  it('streams in batches of 8 chunks and releases the cursor when read to the end or closed', async () => {
    const { store, key } = await storeWith(pointGrid(2600));
    const stream = await store.pages.streamPage(pageQuery(key, { kind: 'start' }, 2500));
    expect(store.openCursors()).toBe(1);
    const sizes: number[] = [];
    for await (const batch of stream) sizes.push(batch.length);
    expect(sizes).toEqual([8, 3]);
    expect(store.openCursors()).toBe(0);
    const abandoned = await store.pages.streamPage(pageQuery(key, { kind: 'start' }, 10));
    expect(store.openCursors()).toBe(1);
    await abandoned.close();
    expect(store.openCursors()).toBe(0);
  });

  it("carries the count and data version of the catalog, which change only when the statistics are refreshed", async () => {
    const { store, key } = await storeWith(pointGrid(3));
    expect(await store.pages.snapshot(key)).toEqual({ total: 3, version: 1 });
    await store.features.upsertBatch(key, [point('extra', 1, 1)]);
    expect((await readPage(store, pageQuery(key, { kind: 'start' }, 10)))[0]).toMatchObject({ n: 4, total: '3', version: '1' });
    await store.collections.refreshStats(key);
    expect((await readPage(store, pageQuery(key, { kind: 'start' }, 10)))[0]).toMatchObject({ n: 4, total: '4', version: '2' });
    expect(await store.pages.snapshot(key)).toEqual({ total: 4, version: 2 });
    expect(await store.pages.snapshot(key + 1000)).toBeNull();
  });
});

describe('representation', () => {
  it('is the GeoJSON text PostGIS builds: member order, 8 decimals, property keys in jsonb order, geometry without foreign members', async () => {
    const { store, key } = await storeWith([
      { ...point('a"1', 9.123456789123, -0.000000001, { zeta: 1, b: { yy: true, x: null }, aa: 'é' }), geometry: { type: 'Point', coordinates: [9.123456789123, -0.000000001], bbox: [0, 0, 1, 1] } },
      feature('none', null, {}),
    ]);
    const row = await store.pages.byId(key, 'a"1', STORED);
    expect(row!.json).toBe('{"type":"Feature","id":"a\\"1","geometry":{"type":"Point","coordinates":[9.12345679,0]},"properties":{"b":{"x":null,"yy":true},"aa":"é","zeta":1}}');
    expect((await store.pages.byId(key, 'none', STORED))!.json).toBe('{"type":"Feature","id":"none","geometry":null,"properties":{}}');
  });

  it('selects the requested properties the feature has', async () => {
    const { store, key } = await storeWith([point('a', 1, 2, { kind: 'lamp', n: 3, other: true })]);
    const row = await store.pages.byId(key, 'a', { ...STORED, properties: ['n', 'missing', 'kind'] });
    expect(JSON.parse(row!.json)).toEqual({ type: 'Feature', id: 'a', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { n: 3, kind: 'lamp' } });
    const page = await readPage(store, pageQuery(key, { kind: 'start' }, 10, { output: { ...STORED, properties: [] } }));
    expect(JSON.parse(page[0]!.json).properties).toEqual({});
  });

  it('refuses what it does not evaluate with an InvariantError saying so', async () => {
    const { store, key } = await storeWith([point('a', 1, 2)]);
    const refusals: Array<[string, Partial<FeaturePageQuery>]> = [
      ['CQL2 filters', { filter: { kind: 'compare', operator: '=', left: { kind: 'literal', type: 'number', value: 1 }, right: { kind: 'literal', type: 'number', value: 1 } } as never }],
      ['sort keys', { order: [{ field: { kind: 'id' }, type: 'string', direction: 'asc' }] as never }],
      ['output in EPSG:3857', { output: { ...STORED, srid: 3857, decimals: 3 } }],
      ['output with swapped axes', { output: { ...STORED, swapAxes: true } }],
      ['output with 3 decimals', { output: { ...STORED, decimals: 3 } }],
      ['linked sensor values', { linkedValues: { observations: 'o', timeseries: 't' } }],
      ['a bbox in EPSG:25832', { envelopes: [{ minX: 0, minY: 0, maxX: 1, maxY: 1, srid: 25832 }] }],
    ];
    for (const [what, change] of refusals) {
      const attempt = store.pages.streamPage(pageQuery(key, { kind: 'start' }, 10, change));
      await expect(attempt, what).rejects.toThrow(InvariantError);
      await expect(store.pages.streamPage(pageQuery(key, { kind: 'start' }, 10, change)), what).rejects.toThrow(`the fake store does not evaluate ${what}`);
    }
    await expect(store.pages.countFeatures({ collectionKey: key, envelopes: [], time: null, equalities: [], filter: refusals[0]![1].filter! }, 10, 100)).rejects.toThrow(InvariantError);
    await expect(store.pages.byId(key, 'a', STORED, { observations: 'o', timeseries: 't' })).rejects.toThrow(InvariantError);
  });
});

describe('selection', () => {
  const records = [
    point('inside', 10, 50, { kind: 'lamp', n: 7 }, '2020-01-05T00:00:00Z'),
    point('edge', 11, 51, { kind: 'bench', n: 7.5 }),
    point('outside', 12, 52, { kind: 'lamp', n: '7' }, '2021-01-01T00:00:00Z'),
    feature('line', { type: 'LineString', coordinates: [[9, 49], [9.5, 48]] }, { kind: 'lamp' }, null),
    feature('nowhere', null, { kind: 'lamp' }, '2020-01-01T00:00:00Z'),
    { ...point('span', 10.5, 50.5, {}), timeStart: '2019-06-01T00:00:00Z', timeEnd: '2020-06-01T00:00:00Z' },
  ];
  const count = async (store: FakeStore, key: number, selection: Partial<Parameters<FakeStore['pages']['countFeatures']>[0]>) =>
    store.pages.countFeatures({ collectionKey: key, envelopes: [], time: null, equalities: [], filter: null, ...selection }, 100, 1000);
  const ids = async (store: FakeStore, key: number, selection: Partial<FeaturePageQuery>) => idsOf(await readPage(store, pageQuery(key, { kind: 'start' }, 100, selection)));

  it('selects points in a lon/lat box by their coordinates, edges included, other geometries by their bounding box, never features without geometry', async () => {
    const { store, key } = await storeWith(records);
    const box = { minX: 10, minY: 50, maxX: 11, maxY: 51, srid: 4326 };
    expect(await ids(store, key, { envelopes: [box] })).toEqual(['inside', 'edge', 'span']);
    expect(await ids(store, key, { envelopes: [{ ...box, minX: 9.2, minY: 48.3, maxX: 9.3, maxY: 48.7 }] })).toEqual(['line']);
    const west = { ...box, minX: 8, maxX: 8.9, minY: 47, maxY: 49 };
    expect(await ids(store, key, { envelopes: [{ ...box, minX: 11.5, maxX: 12 }, west] })).toEqual([]);
    expect(await ids(store, key, { envelopes: [{ ...box, minX: 11.5, maxX: 12, minY: 51.5, maxY: 52 }, west] })).toEqual(['outside']);
    // The line's end (9, 49) is the box's corner.
    expect(await ids(store, key, { envelopes: [{ ...west, maxX: 9 }] })).toEqual(['line']);
    expect(await count(store, key, { envelopes: [box] })).toBe(3);
  });

  it('lets features meet a time interval as feature-sql.ts does, those without time always', async () => {
    const { store, key } = await storeWith(records);
    const at = (start: string | null, end: string | null) => ({ start: start ? new Date(start) : null, end: end ? new Date(end) : null });
    expect(await ids(store, key, { time: at('2020-01-05T00:00:00Z', '2020-01-05T00:00:00Z') })).toEqual(['inside', 'edge', 'line', 'span']);
    expect(await ids(store, key, { time: at('2020-07-01T00:00:00Z', null) })).toEqual(['edge', 'outside', 'line']);
    expect(await ids(store, key, { time: at(null, '2019-12-31T23:59:59Z') })).toEqual(['edge', 'line', 'span']);
    expect(await ids(store, key, { time: at(null, null) })).toHaveLength(records.length);
  });

  it('compares equalities as jsonb containment: typed, the last value of a repeated name', async () => {
    const { store, key } = await storeWith(records);
    expect(await ids(store, key, { equalities: [{ name: 'n', value: 7 }] })).toEqual(['inside']);
    expect(await ids(store, key, { equalities: [{ name: 'n', value: '7' }] })).toEqual(['outside']);
    expect(await ids(store, key, { equalities: [{ name: 'kind', value: 'lamp' }, { name: 'n', value: 7 }] })).toEqual(['inside']);
    expect(await ids(store, key, { equalities: [{ name: 'kind', value: 'bench' }, { name: 'kind', value: 'lamp' }] })).toEqual(['inside', 'outside', 'line', 'nowhere']);
    expect(await count(store, key, { equalities: [{ name: 'kind', value: 'lamp' }] })).toBe(4);
  });

  it('counts up to the cap and answers null above it', async () => {
    const { store, key } = await storeWith(pointGrid(20));
    const selection = { collectionKey: key, envelopes: [], time: null, equalities: [{ name: 'kind', value: 'lamp' }], filter: null };
    expect(await store.pages.countFeatures(selection, 7, 100)).toBe(7);
    expect(await store.pages.countFeatures(selection, 6, 100)).toBeNull();
  });
});

describe('batch upserts', () => {
  it('says inserted, updated or unchanged by the content digest, keeps positions on update and numbers new features in input order', async () => {
    const { store, key } = await storeWith([point('a', 1, 1, { x: 1, y: 2 }), point('b', 2, 2)]);
    const seqOf = (id: string) => store.storedFeatures('things').find((f) => f.id === id)!.seq;
    const seqA = seqOf('a');
    const summary = await store.features.upsertBatch(key, [
      point('a', 1, 1, { x: 1, y: 2 }),
      point('b', 2, 2.5),
      point('d', 4, 4),
      point('c', 3, 3),
    ]);
    expect(summary).toEqual({ inserted: 2, updated: 1, unchanged: 1, repaired: [], rejected: [] });
    expect(seqOf('a')).toBe(seqA);
    expect(Number(seqOf('d'))).toBeLessThan(Number(seqOf('c')));
    expect(Number(seqOf('b'))).toBeLessThan(Number(seqOf('d')));
    expect(store.storedFeatures('things').find((f) => f.id === 'b')!.geometry).toEqual({ type: 'Point', coordinates: [2, 2.5] });
  });

  it('compares the records as mapped: property order, time text and versionId count, the inspireId alone does not, the NGSI-LD id does', async () => {
    const base = { ...point('a', 1, 1, { x: 1, y: 2 }, '2020-01-01T00:00:00Z') };
    const { store, key } = await storeWith([base]);
    const write = async (record: FeatureRecord) => store.features.upsertBatch(key, [record]);
    expect((await write({ ...base, properties: { y: 2, x: 1 } })).updated).toBe(1);
    expect((await write({ ...base, properties: { y: 2, x: 1 } })).unchanged).toBe(1);
    expect((await write({ ...base, properties: { y: 2, x: 1 }, timeStart: '2020-01-01T00:00:00.000Z' })).updated).toBe(1);
    expect((await write({ ...base, properties: { y: 2, x: 1 }, timeStart: '2020-01-01T00:00:00.000Z', versionId: 'v2' })).updated).toBe(1);
    const current = { ...base, properties: { y: 2, x: 1 }, timeStart: '2020-01-01T00:00:00.000Z', versionId: 'v2' };
    expect((await write({ ...current, localId: 'other' })).unchanged).toBe(1);
    expect(store.storedFeatures('things')[0]!.localId).toBe('a');
    expect((await write({ ...current, ngsiLdId: 'urn:ngsi-ld:Thing:a' })).updated).toBe(1);
    expect(store.storedFeatures('things')[0]!.ngsiLdId).toBe('urn:ngsi-ld:Thing:a');
  });

  it('refuses an inspireId or NGSI-LD id another current feature holds, and the later of two in one batch, with the store\'s reasons', async () => {
    const { store, key } = await storeWith([
      { ...point('a', 1, 1), localId: 'L1', ngsiLdId: 'urn:x:1' },
      { ...point('b', 2, 2), localId: 'L2' },
    ]);
    const summary = await store.features.upsertBatch(key, [
      { ...point('c', 3, 3), localId: 'L1' },
      { ...point('d', 4, 4), localId: 'L4', ngsiLdId: 'urn:x:1' },
      { ...point('e', 5, 5), localId: 'L5' },
      { ...point('f', 6, 6), localId: 'L5' },
      { ...point('g', 7, 7), localId: 'L7', ngsiLdId: 'urn:x:7' },
      { ...point('h', 8, 8), localId: 'L8', ngsiLdId: 'urn:x:7' },
      { ...point('b', 2, 2.5), localId: 'L2' },
    ]);
    expect(summary.rejected).toEqual([
      { id: 'c', reason: 'its inspireId (namespace + localId) is already used by feature a' },
      { id: 'd', reason: 'its NGSI-LD entity id (identifiers.ngsiLdId) is already used by feature a' },
      { id: 'f', reason: 'its inspireId (namespace + localId) is already used by feature e' },
      { id: 'h', reason: 'its NGSI-LD entity id (identifiers.ngsiLdId) is already used by feature g' },
    ]);
    expect(summary).toMatchObject({ inserted: 2, updated: 1, unchanged: 0 });
    expect(store.storedFeatures('things').map((f) => f.id)).toEqual(['a', 'b', 'e', 'g']);
  });

  it('gives an inspireId to the first row of the batch that has it even when that row is refused (first_value over every row, as the statement does)', async () => {
    const { store, key } = await storeWith([{ ...point('holder', 1, 1), localId: 'L1' }]);
    const summary = await store.features.upsertBatch(key, [
      { ...point('claimant', 2, 2), localId: 'L1' },
      { ...point('holder', 1, 1.5), localId: 'L1' },
    ]);
    expect(summary.rejected).toEqual([
      { id: 'claimant', reason: 'its inspireId (namespace + localId) is already used by feature holder' },
      { id: 'holder', reason: 'its inspireId (namespace + localId) is already used by feature claimant' },
    ]);
    expect(store.storedFeatures('things')[0]!.geometry).toEqual({ type: 'Point', coordinates: [1, 1] });
  });

  it('brings a retired feature back as updated, and lets a new feature take a retired one\'s inspireId', async () => {
    const { store, key } = await storeWith([{ ...point('a', 1, 1), localId: 'L1' }, point('b', 2, 2)]);
    await store.harvest('things', async (session) => {
      await session.markSeen(['b']);
      expect(await session.retireVanished(key, '2024-01-01T00:00:00Z')).toBe(1);
    });
    expect(await store.pages.byId(key, 'a', STORED)).toBeNull();
    expect(store.storedFeatures('things')[0]).toMatchObject({ id: 'a', retiredAt: '2024-01-01T00:00:00Z' });
    expect(await store.features.upsertBatch(key, [{ ...point('z', 9, 9), localId: 'L1' }])).toMatchObject({ inserted: 1, rejected: [] });
    // The retired feature cannot come back under the inspireId the new one now holds …
    expect((await store.features.upsertBatch(key, [{ ...point('a', 1, 1), localId: 'L1' }])).rejected).toEqual([{ id: 'a', reason: 'its inspireId (namespace + localId) is already used by feature z' }]);
    // … but comes back, unchanged in content, as an update under another one.
    expect(await store.features.upsertBatch(key, [{ ...point('a', 1, 1), localId: 'L9' }])).toMatchObject({ updated: 1, unchanged: 0 });
    expect(await store.pages.byId(key, 'a', STORED)).not.toBeNull();
    expect(store.storedFeatures('things').find((f) => f.id === 'a')).toMatchObject({ retiredAt: null, localId: 'L9' });
  });

  it('fails a batch whose times PostgreSQL would refuse, writing none of it', async () => {
    const { store, key } = await storeWith([point('a', 1, 1)]);
    await expect(store.features.upsertBatch(key, [point('b', 2, 2), point('c', 3, 3, {}, 'not a time')])).rejects.toThrow(/invalid input syntax/);
    await expect(store.features.upsertBatch(key, [point('b', 2, 2), { ...point('c', 3, 3), timeStart: '2020-02-01T00:00:00Z', timeEnd: '2020-01-01T00:00:00Z' }])).rejects.toThrow(/check constraint/);
    expect(store.storedFeatures('things').map((f) => f.id)).toEqual(['a']);
  });
});

describe('collections', () => {
  it('creates with a key, updates descriptive fields, keeps the harvest fields unless given, and lists by id', async () => {
    const store = createFakeStore();
    const created = await store.collections.save({ id: 'zeta', title: 'Zeta', sourceSrid: 25832, harvest: { ...NO_HARVEST_INFO, mappingId: 'm', inspireTheme: 'ad', ngsiLdType: 'T', ngsiLdContext: ['c'] } });
    expect(created).toEqual({ key: expect.any(Number), created: true });
    expect(await store.collections.save({ id: 'zeta', title: 'Zeta 2', sourceSrid: 4326, keywords: ['k'] })).toEqual({ key: created.key, created: false });
    await store.collections.save({ id: 'alpha', title: 'Alpha', sourceSrid: 4326, inspireNamespace: 'ns' });
    const zeta = (await store.collections.get('zeta'))!;
    expect(zeta).toMatchObject({ title: 'Zeta 2', sourceSrid: 4326, keywords: ['k'], inspireNamespace: 'placelink.zeta', featureCount: 0, dataVersion: 0, spatialExtent: null, temporalExtent: null });
    expect(zeta.harvest).toMatchObject({ mappingId: 'm', ngsiLdType: 'T', ngsiLdContext: ['c'] });
    expect((await store.collections.list()).map((c) => c.id)).toEqual(['alpha', 'zeta']);
    expect(await store.collections.remove('alpha')).toBe(true);
    expect(await store.collections.remove('alpha')).toBe(false);
    expect(await store.collections.get('alpha')).toBeNull();
  });

  it('refreshes count, extent, geometry types and temporal extent from current features, and bumps the data version', async () => {
    const { store, key } = await storeWith([
      point('a', 1, 5, {}, '2020-01-01T10:00:00.750Z'),
      { ...feature('l', { type: 'LineString', coordinates: [[-3, 2], [4, 8]] }, {}), timeStart: '2020-03-01T00:00:00Z', timeEnd: '2021-01-01T00:00:00Z' },
      feature('n', null, {}),
    ]);
    const collection = (await store.collections.get('things'))!;
    expect(collection).toMatchObject({ key, featureCount: 3, spatialExtent: [-3, 2, 4, 8], temporalExtent: ['2020-01-01T10:00:00Z', '2021-01-01T00:00:00Z'], geometryTypes: ['LineString', 'Point'], dataVersion: 1 });
    await store.harvest('things', async (session) => {
      await session.markSeen(['a']);
      await session.retireVanished(key, '2024-01-01T00:00:00Z');
      await session.collections.refreshStats(key);
    });
    expect(await store.collections.get('things')).toMatchObject({ featureCount: 1, spatialExtent: [1, 5, 1, 5], geometryTypes: ['Point'], dataVersion: 2 });
  });

  it('gives queryables back in jsonb key order', async () => {
    const store = createFakeStore();
    const { key } = await store.collections.save({ id: 'q', title: 'Q', sourceSrid: 4326 });
    await store.collections.setQueryables(key, { weight: { type: 'number' }, n: { type: 'integer' }, kind: { type: 'string' } });
    expect(Object.keys((await store.collections.get('q'))!.queryables)).toEqual(['n', 'kind', 'weight']);
  });
});

describe('transactions', () => {
  it('shows readers the previous state until the work resolves, and all of it after', async () => {
    const { store, key } = await storeWith([point('a', 1, 1)]);
    await store.transaction(async ({ collections, features }) => {
      await features.upsertBatch(key, [point('b', 2, 2)]);
      await collections.refreshStats(key);
      expect((await collections.get('things'))!.featureCount).toBe(2);
      expect((await store.collections.get('things'))!.featureCount).toBe(1);
      expect(idsOf(await readPage(store, pageQuery(key, { kind: 'start' }, 10)))).toEqual(['a']);
    });
    expect((await store.collections.get('things'))!.featureCount).toBe(2);
    expect(idsOf(await readPage(store, pageQuery(key, { kind: 'start' }, 10)))).toEqual(['a', 'b']);
  });

  it('leaves the previous state when the work throws, new collections included', async () => {
    const { store, key } = await storeWith([point('a', 1, 1)]);
    const failure = store.transaction(async ({ collections, features }) => {
      await features.upsertBatch(key, [point('b', 2, 2), point('a', 5, 5)]);
      await collections.refreshStats(key);
      await collections.save({ id: 'fresh', title: 'Fresh', sourceSrid: 4326 });
      throw new Error('boom');
    });
    await expect(failure).rejects.toThrow('boom');
    expect(store.storedFeatures('things').map((f) => [f.id, f.geometry])).toEqual([['a', { type: 'Point', coordinates: [1, 1] }]]);
    expect(await store.collections.get('things')).toMatchObject({ featureCount: 1, dataVersion: 1 });
    expect(await store.collections.get('fresh')).toBeNull();
  });

  it('refuses every statement after a failed one, and the repositories of a transaction that has ended', async () => {
    const { store, key } = await storeWith([point('a', 1, 1)]);
    let leaked: Parameters<Parameters<FakeStore['transaction']>[0]>[0] | null = null;
    const failure = store.transaction(async (repositories) => {
      leaked = repositories;
      await repositories.features.upsertBatch(key, [point('b', 2, 2, {}, 'yesterday')]).catch(() => undefined);
      await repositories.collections.refreshStats(key);
    });
    await expect(failure).rejects.toThrow('current transaction is aborted');
    await expect(leaked!.collections.get('things')).rejects.toThrow(InvariantError);
  });

  it('fixes the write time when the transaction begins', async () => {
    let now = Date.parse('2024-05-01T10:00:00.120Z');
    const store = createFakeStore({ clock: () => new Date(now) });
    const times = await store.transaction(async ({ features }) => {
      const first = await features.writeTime();
      now += 5000;
      return [first, await features.writeTime()];
    });
    expect(times).toEqual(['2024-05-01T10:00:00.12Z', '2024-05-01T10:00:00.12Z']);
    expect(await store.features.writeTime()).toBe('2024-05-01T10:00:05.12Z');
  });

  it('announces committed feature changes after the commit, counted per collection, and nothing for rolled back or unchanged writes', async () => {
    const events: ChangeEvent[] = [];
    const seenCounts: number[] = [];
    const store: FakeStore = createFakeStore({
      changes: {
        async publish(event) {
          events.push(event);
          seenCounts.push((await store.collections.get('things'))!.featureCount);
        },
      },
    });
    await createCollection(store, { id: 'things' }, [point('a', 1, 1), point('b', 2, 2)]);
    expect(events).toEqual([{ kind: 'features', collectionKey: expect.any(Number), collectionId: 'things', since: expect.any(String), inserted: 2, updated: 0, retired: 0, purged: 0 }]);
    expect(seenCounts).toEqual([2]);
    await createCollection(store, { id: 'things' }, [point('a', 1, 1), point('b', 2, 2)]);
    expect(events).toHaveLength(1);
    const key = (await store.collections.get('things'))!.key;
    const failure = store.transaction(async ({ features }) => {
      await features.upsertBatch(key, [point('c', 3, 3)]);
      throw new Error('no');
    });
    await expect(failure).rejects.toThrow('no');
    expect(events).toHaveLength(1);
  });
});

describe('harvest sessions', () => {
  it('holds one harvest per collection id until its transaction ends, failing or not', async () => {
    const { store } = await storeWith([point('a', 1, 1)]);
    let release!: () => void;
    const running = store.harvest('things', () => new Promise<void>((resolve) => (release = resolve)));
    await expect(store.harvest('things', async () => 'second')).rejects.toThrow(HarvestRunningError);
    await expect(store.harvest('things', async () => 'second')).rejects.toThrow("a harvest into collection 'things' is already running");
    expect(await store.harvest('others', async () => 'parallel')).toBe('parallel');
    release();
    await running;
    await expect(store.harvest('things', async () => Promise.reject(new Error('failed run')))).rejects.toThrow('failed run');
    expect(await store.harvest('things', async () => 'after')).toBe('after');
  });

  it('notes ids read and tells vanished, retired and purged features apart', async () => {
    const { store, key } = await storeWith(['a', 'b', 'c', 'd'].map((id, i) => point(id, i, i)));
    await store.harvest('things', async (session) => {
      expect([...(await session.markSeen(['a', 'b', 'a']))].sort()).toEqual(['a', 'b']);
      expect([...(await session.markSeen(['b', 'x']))]).toEqual(['x']);
      expect(await session.markSeen([])).toEqual(new Set());
      expect(await session.seenCount()).toBe(3);
      expect(await session.vanished(key)).toEqual({ vanished: 2, current: 4 });
      expect(await session.retireVanished(key, '2024-02-02T00:00:00.000Z')).toBe(2);
      expect(await session.vanished(key)).toEqual({ vanished: 0, current: 2 });
      expect(await session.isEmpty(key)).toBe(false);
    });
    expect(store.storedFeatures('things').map((f) => [f.id, f.retiredAt])).toEqual([
      ['a', null],
      ['b', null],
      ['c', '2024-02-02T00:00:00Z'],
      ['d', '2024-02-02T00:00:00Z'],
    ]);
    // A new run: its seen ids start empty; purging takes earlier runs' retired features too.
    const purged = await store.harvest('things', async (session) => {
      await session.markSeen(['a']);
      return session.purgeVanished(key);
    });
    expect(purged).toBe(3);
    expect(store.storedFeatures('things').map((f) => f.id)).toEqual(['a']);
    const empty = await store.collections.save({ id: 'empty', title: 'Empty', sourceSrid: 4326 });
    expect(await store.harvest('empty', (session) => session.isEmpty(empty.key))).toBe(true);
  });

  it('announces retired and purged features with the writes of the run', async () => {
    const events: ChangeEvent[] = [];
    const store = createFakeStore({ changes: { publish: async (event) => void events.push(event) } });
    await createCollection(store, { id: 'things' }, ['a', 'b', 'c'].map((id, i) => point(id, i, i)));
    const key = (await store.collections.get('things'))!.key;
    events.length = 0;
    await store.harvest('things', async (session) => {
      await session.collections.save({ id: 'things', title: 'things', sourceSrid: 4326 });
      await session.markSeen(['a', 'd']);
      await session.features.upsertBatch(key, [point('a', 9, 9), point('d', 4, 4)]);
      await session.retireVanished(key, '2024-01-01T00:00:00Z');
    });
    expect(events).toEqual([{ kind: 'features', collectionKey: key, collectionId: 'things', since: expect.any(String), inserted: 1, updated: 1, retired: 2, purged: 0 }]);
  });
});

describe('runs', () => {
  it('records runs, lists them newest first with filters, and fails abandoned ones only when no harvest holds the lock', async () => {
    let now = Date.parse('2024-01-01T00:00:00Z');
    const store = createFakeStore({ clock: () => new Date((now += 1000)) });
    const info = { mappingId: 'm', collectionId: 'things', sourceType: 'wfs', sourceUrl: 'http://x', trigger: 'cli' as const };
    const first = await store.runs.start(info);
    const counts = { pages: 1, read: 2, inserted: 2, updated: 0, unchanged: 0, retired: 0, purged: 0, rejected: 0, repaired: 0, duplicates: 0 };
    await store.runs.progress(first, counts, 5);
    await store.runs.finish(first, { status: 'succeeded', counts, expected: 5, error: null, rejections: [{ id: 'x', location: 'feature x', reason: 'r' }], warnings: [] });
    await store.runs.progress(first, { ...counts, read: 99 }, 5);
    const second = await store.runs.start({ ...info, mappingId: 'other' });
    expect(await store.runs.get(first)).toMatchObject({ status: 'succeeded', counts: { read: 2 }, expected: 5, startedAt: '2024-01-01T00:00:01.000Z', finishedAt: '2024-01-01T00:00:02.000Z' });
    expect(Object.keys((await store.runs.get(first))!.rejections[0]!)).toEqual(['id', 'reason', 'location']);
    expect((await store.runs.list({ limit: 10 })).map((r) => r.runId)).toEqual([second, first]);
    expect((await store.runs.list({ limit: 10, status: 'running' })).map((r) => r.runId)).toEqual([second]);
    expect((await store.runs.list({ limit: 10, beforeRunId: second })).map((r) => r.runId)).toEqual([first]);
    expect((await store.runs.list({ limit: 1 })).map((r) => r.runId)).toEqual([second]);
    expect(await store.runs.lastFinished()).toEqual(new Map([['m', { status: 'succeeded', startedAt: '2024-01-01T00:00:01.000Z' }]]));

    await store.harvest('things', async () => {
      expect(await store.runs.failAbandoned('things')).toEqual([]);
    });
    expect(await store.runs.failAbandoned('things')).toEqual([second]);
    expect(await store.runs.get(second)).toMatchObject({ status: 'failed', error: 'interrupted: the process ended before the run finished (nothing it read was stored)' });
  });
});

describe('sensors and readiness', () => {
  it('has no sensor sources and no linked collections, and names any other sensor method it does not implement', async () => {
    const store = createFakeStore();
    expect(await store.sensors.sources()).toEqual([]);
    expect(await store.sensors.links.linkedCollections()).toEqual([]);
    await expect(store.sensors.insertObservations([])).rejects.toThrow('the fake store does not implement sensors.insertObservations');
    await expect(store.sensors.links.periods(1, 'a')).rejects.toThrow(InvariantError);
    await expect(store.sensors.links.periods(1, 'a')).rejects.toThrow('sensors.links.periods');
    expect(await store.ready()).toBe(true);
    expect(store.concurrentWrites).toBe(false);
  });
});
