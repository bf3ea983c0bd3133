import { beforeEach, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/domain/collection.js';
import { InvariantError } from '../../src/domain/errors.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection, PagePosition } from '../../src/domain/query.js';
import { featureQueryService, type CountOptions, type PageOutcome } from '../../src/services/features/query-features.js';
import type { PageSource } from '../../src/services/ports/feature-ports.js';
import { createFakeStore, type FakeStore } from '../helpers/fake-store.js';
import { createCollection, feature, pointGrid } from '../helpers/fixtures.js';

const STORED: FeatureOutput = { srid: 4326, swapAxes: false, decimals: 8, properties: null };
const GRID = pointGrid(50);
const LAMPS = GRID.filter((f) => f.properties['kind'] === 'lamp').map((f) => f.id);

/** The fake's PageSource, with the calls the service makes to it recorded. */
function observed(source: PageSource) {
  const counts: FeatureSelection[] = [];
  const pages: FeaturePageQuery[] = [];
  const wrapped: PageSource = {
    ...source,
    async streamPage(query) {
      pages.push(query);
      return source.streamPage(query);
    },
    async countFeatures(selection, cap, budgetMs) {
      counts.push(selection);
      return source.countFeatures(selection, cap, budgetMs);
    },
  };
  return { source: wrapped, counts, pages };
}

interface ReadPage {
  readonly ids: string[];
  readonly outcome: PageOutcome;
}

let store: FakeStore;
let calls: ReturnType<typeof observed>;

function service(options: Partial<CountOptions> = {}) {
  calls = observed(store.pages);
  return featureQueryService(calls.source, { countLimit: 100_000, countBudgetMs: 250, ...options });
}

async function collection(id = 'grid'): Promise<Collection> {
  return (await store.collections.get(id))!;
}

function selection(c: Collection, change: Partial<FeatureSelection> = {}): FeatureSelection {
  return { collectionKey: c.key, envelopes: [], time: null, equalities: [], filter: null, ...change };
}

const lamps = (c: Collection) => selection(c, { equalities: [{ name: 'kind', value: 'lamp' }] });

async function read(queries: ReturnType<typeof featureQueryService>, c: Collection, position: PagePosition, limit: number, sel: FeatureSelection = selection(c)): Promise<ReadPage> {
  const page = await queries.page(c, { selection: sel, order: [], position, limit, output: STORED });
  const pieces: string[] = [];
  for await (const piece of page.features) pieces.push(piece);
  const ids = pieces.length ? (JSON.parse(`[${pieces.join(',')}]`) as { id: string }[]).map((f) => f.id) : [];
  return { ids, outcome: await page.outcome() };
}

/** Follows next positions from the start; the pages read. */
async function walk(queries: ReturnType<typeof featureQueryService>, c: Collection, limit: number, sel?: FeatureSelection): Promise<ReadPage[]> {
  const pages: ReadPage[] = [];
  let position: PagePosition | null = { kind: 'start' };
  while (position) {
    const page = await read(queries, c, position, limit, sel);
    pages.push(page);
    position = page.outcome.next;
    if (pages.length > 100) throw new Error('next positions do not end');
  }
  return pages;
}

async function addFeatures(records: FeatureRecord[]): Promise<void> {
  await createCollection(store, { id: 'grid' }, [...GRID, ...records]);
}

beforeEach(async () => {
  store = createFakeStore();
  await createCollection(store, { id: 'grid' }, GRID);
});

describe('walking a collection', () => {
  it('gives every feature once, in order, with next positions, and the same pages back with prev positions', async () => {
    const queries = service();
    const grid = await collection();
    const pages = await walk(queries, grid, 7);
    expect(pages.flatMap((p) => p.ids)).toEqual(GRID.map((f) => f.id));
    expect(pages.map((p) => p.outcome.numberReturned)).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
    expect(pages[0]!.outcome.prev).toBeNull();
    expect(pages.at(-1)!.outcome.next).toBeNull();
    expect(pages.every((p) => p.outcome.numberMatched === 50)).toBe(true);

    const back: string[][] = [];
    let prev = pages.at(-1)!.outcome.prev;
    while (prev) {
      const page = await read(queries, grid, prev, 7);
      back.unshift(page.ids);
      expect(page.outcome.numberMatched).toBe(50);
      // Going back, the page has a next position again: the one its successor was read from.
      expect(page.outcome.next).not.toBeNull();
      prev = page.outcome.prev;
    }
    expect(back).toEqual(pages.slice(0, -1).map((p) => p.ids));
  });

  it('walks a filtered selection forward and back the same way, in pages above one chunk too', async () => {
    const queries = service();
    const grid = await collection();
    const pages = await walk(queries, grid, 4, lamps(grid));
    expect(pages.flatMap((p) => p.ids)).toEqual(LAMPS);
    const back: string[][] = [];
    for (let prev = pages.at(-1)!.outcome.prev; prev; ) {
      const page = await read(queries, grid, prev, 4, lamps(grid));
      back.unshift(page.ids);
      prev = page.outcome.prev;
    }
    expect(back).toEqual(pages.slice(0, -1).map((p) => p.ids));

    await addFeatures(pointGrid(700).slice(50));
    const big = await walk(queries, await collection(), 260);
    expect(big.map((p) => p.ids.length)).toEqual([260, 260, 180]);
    expect(big.flatMap((p) => p.ids)).toEqual(pointGrid(700).map((f) => f.id));
    const backOne = await read(queries, await collection(), big[2]!.outcome.prev!, 260);
    expect(backOne.ids).toEqual(big[1]!.ids);
  });

  it('offers a prev position only while features lie before the page, after features before it went or came back', async () => {
    const queries = service();
    const retire = async (ids: readonly string[]) =>
      store.harvest('grid', async (session) => {
        const key = (await collection()).key;
        await session.markSeen(GRID.map((f) => f.id).filter((id) => !ids.includes(id)));
        await session.retireVanished(key, '2024-01-01T00:00:00Z');
        await session.collections.refreshStats(key);
      });
    const pages = await walk(queries, await collection(), 7);

    // Five of the seven features before the third page go: paging back ends after two.
    await retire(GRID.slice(0, 5).map((f) => f.id));
    const second = await read(queries, await collection(), pages[2]!.outcome.prev!, 7);
    expect(second.ids).toEqual(GRID.slice(7, 14).map((f) => f.id));
    const first = await read(queries, await collection(), second.outcome.prev!, 7);
    expect(first.ids).toEqual(['P-0005', 'P-0006']);
    expect(first.outcome.prev).toBeNull();

    // They come back (in their old place): a page whose prev position said "nothing before" still finds them.
    const front = await read(queries, await collection(), { kind: 'start' }, 7);
    expect(front.ids[0]).toBe('P-0005');
    const afterFront = await read(queries, await collection(), front.outcome.next!, 7);
    await createCollection(store, { id: 'grid' }, GRID);
    const back = await read(queries, await collection(), afterFront.outcome.prev!, 7);
    expect(back.ids).toEqual(GRID.slice(5, 12).map((f) => f.id));
    expect(back.outcome.prev).not.toBeNull();
    const start = await read(queries, await collection(), back.outcome.prev!, 7);
    expect(start.ids).toEqual(GRID.slice(0, 5).map((f) => f.id));
    expect(start.outcome.prev).toBeNull();
  });

  it('continues after an offset page with a keyset position that counts what lies before it', async () => {
    const queries = service();
    const grid = await collection();
    const page = await read(queries, grid, { kind: 'offset', offset: 20 }, 5);
    expect(page.ids).toEqual(['P-0020', 'P-0021', 'P-0022', 'P-0023', 'P-0024']);
    expect(page.outcome.next).toMatchObject({ kind: 'after', skipped: 25 });
    expect(page.outcome.prev).toMatchObject({ kind: 'before', skipped: 20 });
    const before = await read(queries, grid, page.outcome.prev!, 5);
    expect(before.ids).toEqual(['P-0015', 'P-0016', 'P-0017', 'P-0018', 'P-0019']);
    expect(before.outcome.prev).toMatchObject({ kind: 'before', skipped: 15 });
    const next = await read(queries, grid, page.outcome.next!, 30);
    expect(next.ids[0]).toBe('P-0025');
    expect(next.outcome).toMatchObject({ numberReturned: 25, next: null });
  });

  it('closes the cursor of a page read to the end, and of one closed early', async () => {
    const queries = service();
    const grid = await collection();
    await read(queries, grid, { kind: 'start' }, 10);
    expect(store.openCursors()).toBe(0);
    const page = await queries.page(grid, { selection: selection(grid), order: [], position: { kind: 'start' }, limit: 10, output: STORED });
    expect(store.openCursors()).toBe(1);
    await page.close();
    expect(store.openCursors()).toBe(0);
  });

  it('refuses to tell the outcome before the features were read', async () => {
    const grid = await collection();
    const page = await service().page(grid, { selection: selection(grid), order: [], position: { kind: 'start' }, limit: 10, output: STORED });
    await expect(page.outcome()).rejects.toThrow(InvariantError);
    await page.close();
  });
});

describe('numberMatched', () => {
  it('is the collection count, read with the page, when nothing filters: no count is made', async () => {
    const queries = service();
    // A write whose statistics are not refreshed yet: numberMatched is the catalog's count, as the page's snapshot has it.
    await store.features.upsertBatch((await collection()).key, [feature('late', { type: 'Point', coordinates: [0, 0] })]);
    const page = await read(queries, await collection(), { kind: 'start' }, 10);
    expect(page.outcome.numberMatched).toBe(50);
    expect(calls.counts).toHaveLength(0);
    await store.collections.refreshStats((await collection()).key);
    expect((await read(queries, await collection(), { kind: 'start' }, 10)).outcome.numberMatched).toBe(51);
  });

  it('is derived on the last page of a filtered walk without counting, and counted once per data version otherwise', async () => {
    const queries = service();
    const grid = await collection();
    const single = await read(queries, grid, { kind: 'start' }, 100, lamps(grid));
    expect(single.outcome.numberMatched).toBe(17);
    expect(calls.counts).toHaveLength(0);

    const pages = await walk(queries, grid, 10, lamps(grid));
    expect(pages.map((p) => p.outcome.numberMatched)).toEqual([17, 17]);
    expect(calls.counts).toHaveLength(1);
    // The count made for the first page tells the store how big the selection is on the next.
    expect(calls.pages[1]!.knownMatches).toBeUndefined();
    expect(calls.pages[2]!.knownMatches).toBe(17);

    await read(queries, grid, { kind: 'start' }, 10, lamps(grid));
    expect(calls.counts).toHaveLength(1);

    // Another data version: the cached count is not used.
    await addFeatures([feature('more', { type: 'Point', coordinates: [1, 1] }, { kind: 'lamp' })]);
    const again = await read(queries, await collection(), { kind: 'start' }, 10, lamps(grid));
    expect(again.outcome.numberMatched).toBe(18);
    expect(calls.counts).toHaveLength(2);
  });

  it('is omitted above countLimit unless the page is the last, and never counted with countLimit 0', async () => {
    const grid = await collection();
    const limited = service({ countLimit: 16 });
    const [first, last] = await walk(limited, grid, 10, lamps(grid));
    expect(first!.outcome.numberMatched).toBeNull();
    expect(last!.outcome.numberMatched).toBe(17);
    expect((await read(limited, grid, { kind: 'start' }, 10, lamps(grid))).outcome.numberMatched).toBeNull();
    expect(calls.counts).toHaveLength(1);
    expect((await read(service({ countLimit: 17 }), grid, { kind: 'start' }, 10, lamps(grid))).outcome.numberMatched).toBe(17);

    const never = service({ countLimit: 0 });
    const [firstNever, lastNever] = await walk(never, grid, 10, lamps(grid));
    expect(firstNever!.outcome.numberMatched).toBeNull();
    expect(lastNever!.outcome.numberMatched).toBe(17);
    expect(calls.counts).toHaveLength(0);
  });

  it('answers empty pages: an empty collection, a selection without matches, an offset past the end', async () => {
    const queries = service();
    await store.collections.save({ id: 'empty', title: 'Empty', sourceSrid: 4326 });
    const empty = await read(queries, await collection('empty'), { kind: 'start' }, 10);
    expect(empty).toEqual({ ids: [], outcome: { numberReturned: 0, numberMatched: 0, next: null, prev: null } });

    const grid = await collection();
    const none = await read(queries, grid, { kind: 'start' }, 10, selection(grid, { equalities: [{ name: 'kind', value: 'nothing' }] }));
    expect(none).toEqual({ ids: [], outcome: { numberReturned: 0, numberMatched: 0, next: null, prev: null } });
    expect(calls.counts).toHaveLength(0);

    const past = await read(queries, grid, { kind: 'offset', offset: 500 }, 10);
    expect(past).toEqual({ ids: [], outcome: { numberReturned: 0, numberMatched: 50, next: null, prev: null } });
    const pastFiltered = await read(queries, grid, { kind: 'offset', offset: 500 }, 10, lamps(grid));
    expect(pastFiltered.outcome.numberMatched).toBe(17);
    expect(calls.counts).toHaveLength(1);
  });

  it('is not derived from a cursor of an older data version: counted (filtered) or the collection count', async () => {
    const queries = service();
    const grid = await collection();
    const [firstLamps] = await walk(queries, grid, 10, lamps(grid));
    const [first] = await walk(queries, grid, 40);
    expect(calls.counts).toHaveLength(1);

    // Two lamps more, and the statistics refreshed: the cursors above carry the previous data version.
    await addFeatures([
      feature('new-1', { type: 'Point', coordinates: [1, 1] }, { kind: 'lamp' }),
      feature('new-2', { type: 'Point', coordinates: [1, 1] }, { kind: 'lamp' }),
    ]);
    const now = await collection();
    expect(now.dataVersion).toBe(grid.dataVersion + 1);

    const lastLamps = await read(queries, now, firstLamps!.outcome.next!, 10, lamps(now));
    expect(lastLamps.ids).toEqual([...LAMPS.slice(10), 'new-1', 'new-2']);
    expect(lastLamps.outcome.next).toBeNull();
    // Derived from the old cursor it would be 10 + 9 = 19 as well; the count shows it was not derived.
    expect(lastLamps.outcome.numberMatched).toBe(19);
    expect(calls.counts).toHaveLength(2);
    // Its skipped count came from the old version, and its positions say so.
    expect(lastLamps.outcome.prev).toMatchObject({ skipped: 10, dataVersion: grid.dataVersion });

    const last = await read(queries, now, first!.outcome.next!, 40);
    expect(last.outcome).toMatchObject({ numberReturned: 12, numberMatched: 52, next: null });
  });

  it('does not pass a stale cursor\'s skipped count on as exact: the last page of the walk is counted, not derived from it', async () => {
    const queries = service();
    const grid = await collection();
    const first = await read(queries, grid, { kind: 'start' }, 5, lamps(grid));
    // Three lamps before the cursor go; 14 are left, of which 12 lie after it.
    const keep = GRID.filter((f) => !LAMPS.slice(0, 3).includes(f.id));
    await store.harvest('grid', async (session) => {
      await session.markSeen(keep.map((f) => f.id));
      await session.purgeVanished(grid.key);
      await session.collections.refreshStats(grid.key);
    });
    const now = await collection();
    const matched: Array<number | null> = [];
    const ids: string[] = [];
    for (let position = first.outcome.next; position; ) {
      const page = await read(queries, now, position, 5, lamps(now));
      matched.push(page.outcome.numberMatched);
      ids.push(...page.ids);
      position = page.outcome.next;
    }
    expect(ids).toEqual(LAMPS.slice(5));
    expect(matched).toEqual([14, 14, 14]);
  });

  it('derives nothing from a stale cursor whose skipped count no longer holds', async () => {
    const queries = service();
    const grid = await collection();
    const [first] = await walk(queries, grid, 10, lamps(grid));
    // Five lamps before the cursor go: its skipped (10) plus the 7 after it would say 17.
    const keep = GRID.filter((f) => f.properties['kind'] !== 'lamp' || LAMPS.indexOf(f.id) >= 5);
    await store.harvest('grid', async (session) => {
      await session.markSeen(keep.map((f) => f.id));
      await session.purgeVanished(grid.key);
      await session.collections.refreshStats(grid.key);
    });
    const rest = await read(queries, await collection(), first!.outcome.next!, 10, lamps(grid));
    expect(rest.ids).toEqual(LAMPS.slice(10));
    expect(rest.outcome.numberMatched).toBe(12);
  });
});

describe('single features', () => {
  it('returns the stored text and the NGSI-LD id of the thing it describes', async () => {
    await addFeatures([{ ...feature('lit', { type: 'Point', coordinates: [1, 2] }, { a: 1 }), ngsiLdId: 'urn:ngsi-ld:Streetlight:test:lit' }]);
    const queries = service();
    const grid = await collection();
    expect(await queries.feature(grid, 'lit', STORED)).toEqual({
      json: '{"type":"Feature","id":"lit","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1}}',
      ngsiLdId: 'urn:ngsi-ld:Streetlight:test:lit',
    });
    expect(await queries.feature(grid, 'P-0001', STORED)).toMatchObject({ ngsiLdId: null });
    expect(await queries.feature(grid, 'nothing', STORED)).toBeNull();
  });
});
