import { beforeEach, describe, expect, it } from 'vitest';
import type { CollectionDefinition } from '../../src/domain/collection.js';
import { HarvestRunningError } from '../../src/domain/errors.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import type { RunRejection } from '../../src/domain/harvest-run.js';
import type { DeletePolicy } from '../../src/domain/mapping.js';
import { HarvestAborted, harvestFeatures, type HarvestPlan, type HarvestSink, type MappedPage, type SourceEnd } from '../../src/services/features/harvest-features.js';
import type { ChangeEvent } from '../../src/services/ports/changes.js';
import { createFakeStore, type FakeStore } from '../helpers/fake-store.js';
import { feature } from '../helpers/fixtures.js';

const COLLECTION: CollectionDefinition = { id: 'lights', title: 'Street lights', sourceSrid: 4326 };

const light = (id: string, watts = 40, extra: Partial<FeatureRecord> = {}): FeatureRecord => ({
  ...feature(id, { type: 'Point', coordinates: [9 + Number(id.replace(/\D/g, '') || 0) / 100, 52] }, { watts, kind: 'led' }),
  ...extra,
});

function plan(deletePolicy: Partial<DeletePolicy> = {}, change: Partial<HarvestPlan> = {}): HarvestPlan {
  return { collection: COLLECTION, deletePolicy: { mode: 'retire', maxFraction: 0.5, ...deletePolicy }, repairInvalid: true, maxRejections: null, ...change };
}

/** A source that delivers the pages in turn and then ends as told; the newIds the sink answered for each page. */
function source(pages: readonly (readonly FeatureRecord[] | MappedPage)[], end: Partial<SourceEnd> = {}) {
  const newIds: number[] = [];
  const produce = async (sink: HarvestSink): Promise<SourceEnd> => {
    for (const page of pages) {
      const mapped: MappedPage = 'records' in page ? page : { records: page, rejections: [] };
      newIds.push((await sink.write(mapped)).newIds);
    }
    return { expected: null, unverified: null, ...end };
  };
  return { produce, newIds };
}

let store: FakeStore;
let events: ChangeEvent[];

const current = async () => {
  const c = (await store.collections.get('lights'))!;
  const pages = await store.pages.streamPage({ collectionKey: c.key, envelopes: [], time: null, equalities: [], filter: null, order: [], position: { kind: 'start' }, limit: 1000, output: { srid: 4326, swapAxes: false, decimals: 8, properties: null } });
  const ids: string[] = [];
  for await (const batch of pages) for (const chunk of batch) if (chunk.n) ids.push(...(JSON.parse(`[${chunk.json}]`) as { id: string }[]).map((f) => f.id));
  return ids;
};
const stored = (id: string) => store.storedFeatures('lights').find((f) => f.id === id);

async function fill(records: FeatureRecord[]): Promise<void> {
  await harvestFeatures(store, plan(), source([records]).produce);
  events.length = 0;
}

async function aborted(promise: Promise<unknown>): Promise<HarvestAborted> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HarvestAborted);
  return error as HarvestAborted;
}

beforeEach(() => {
  events = [];
  store = createFakeStore({ changes: { publish: async (event) => void events.push(event) } });
});

describe('a first fill', () => {
  it('creates the collection, writes every page, infers queryables and refreshes the statistics', async () => {
    const { produce, newIds } = source([[light('L1'), light('L2')], [light('L3', 60)]]);
    const summary = await harvestFeatures(store, plan(), produce);
    expect(summary).toMatchObject({ collectionCreated: true, expected: null, deletionsSkipped: null, rejections: [] });
    expect(summary.counts).toEqual({ pages: 2, read: 3, inserted: 3, updated: 0, unchanged: 0, retired: 0, purged: 0, rejected: 0, repaired: 0, duplicates: 0 });
    expect(newIds).toEqual([2, 1]);
    expect(await current()).toEqual(['L1', 'L2', 'L3']);
    const collection = (await store.collections.get('lights'))!;
    expect(collection).toMatchObject({ title: 'Street lights', featureCount: 3, dataVersion: 1, geometryTypes: ['Point'] });
    expect(collection.queryables).toEqual({ kind: { type: 'string' }, watts: { type: 'integer' } });
  });

  it('reports progress after each page and at the end', async () => {
    const reads: number[] = [];
    await harvestFeatures(store, plan(), source([[light('L1')], [light('L2')]]).produce, (counts) => reads.push(counts.read));
    expect(reads).toEqual([1, 2, 2]);
  });
});

describe('duplicates', () => {
  it('keeps the first of an id repeated within a page or across pages, and counts the others', async () => {
    const { produce, newIds } = source([
      [light('L1', 10), light('L2', 20), light('L1', 11)],
      [light('L2', 21), light('L3', 30)],
      [light('L3', 31)],
    ]);
    const summary = await harvestFeatures(store, plan(), produce);
    expect(summary.counts).toMatchObject({ pages: 3, read: 6, inserted: 3, duplicates: 3 });
    expect(newIds).toEqual([2, 1, 0]);
    expect(['L1', 'L2', 'L3'].map((id) => stored(id)!.properties['watts'])).toEqual([10, 20, 30]);
  });
});

describe('updates and rejections', () => {
  beforeEach(() => fill([light('L1'), light('L2'), light('L3'), light('L4', 40, { localId: 'shared' })]));

  it('updates changed features, leaves unchanged ones, and inserts new ones', async () => {
    const summary = await harvestFeatures(store, plan(), source([[light('L1', 99), light('L2'), light('L3'), light('L4', 40, { localId: 'shared' }), light('L5')]]).produce);
    expect(summary.counts).toMatchObject({ inserted: 1, updated: 1, unchanged: 3, retired: 0 });
    expect(summary.collectionCreated).toBe(false);
    expect(stored('L1')!.properties['watts']).toBe(99);
  });

  it('keeps the previous version of features the mapping or the store refused, and does not retire them', async () => {
    const rejections: RunRejection[] = [
      { id: 'L2', location: 'page 1, feature 2', reason: 'unreadable geometry' },
      { id: null, location: 'page 1, feature 5', reason: 'no id' },
    ];
    const summary = await harvestFeatures(
      store,
      plan(),
      source([{ records: [light('L1', 99), light('L4', 44, { localId: 'shared' }), light('L3', 33, { localId: 'shared' })], rejections }]).produce,
    );
    expect(summary.counts).toMatchObject({ read: 5, updated: 2, rejected: 3, retired: 0 });
    expect(summary.rejections).toEqual([
      ...rejections,
      { id: 'L3', location: 'feature L3', reason: 'its inspireId (namespace + localId) is already used by feature L4' },
    ]);
    expect(await current()).toEqual(['L1', 'L2', 'L3', 'L4']);
    expect(stored('L2')!.properties['watts']).toBe(40);
    expect(stored('L3')!.properties['watts']).toBe(40);
    expect(stored('L4')!.properties['watts']).toBe(44);
  });

  it('fails the run above rejections.max and keeps the previous data', async () => {
    const refused = [light('L1', 1, { localId: 'shared' }), light('L2', 2, { localId: 'shared' })];
    const error = await aborted(harvestFeatures(store, plan({}, { maxRejections: 1 }), source([[light('L3', 99), ...refused]]).produce));
    expect(error.message).toBe('2 features rejected, more than rejections.max (1); the previous data is kept');
    expect(error.counts).toMatchObject({ rejected: 2, updated: 1 });
    expect(stored('L3')!.properties['watts']).toBe(40);
    expect(events).toEqual([]);
  });
});

describe('the delete policy', () => {
  beforeEach(() => fill(['L1', 'L2', 'L3', 'L4', 'L5'].map((id) => light(id))));

  it('retires features the source no longer has: hidden, kept with their end of life, back when they reappear', async () => {
    const summary = await harvestFeatures(store, plan({ mode: 'retire' }), source([[light('L1'), light('L2'), light('L3')]]).produce);
    expect(summary.counts).toMatchObject({ retired: 2, unchanged: 3 });
    expect(await current()).toEqual(['L1', 'L2', 'L3']);
    expect(stored('L4')!.retiredAt).not.toBeNull();
    expect((await store.collections.get('lights'))!.featureCount).toBe(3);

    const back = await harvestFeatures(store, plan({ mode: 'retire' }), source([[light('L1'), light('L2'), light('L3'), light('L4')]]).produce);
    expect(back.counts).toMatchObject({ updated: 1, unchanged: 3, retired: 0 });
    expect(await current()).toEqual(['L1', 'L2', 'L3', 'L4']);
  });

  it('purges them, retired ones from earlier runs included', async () => {
    await harvestFeatures(store, plan({ mode: 'retire' }), source([[light('L1'), light('L2'), light('L3'), light('L4')]]).produce);
    const summary = await harvestFeatures(store, plan({ mode: 'purge' }), source([[light('L1'), light('L2'), light('L3')]]).produce);
    expect(summary.counts).toMatchObject({ purged: 2, retired: 0 });
    expect(store.storedFeatures('lights').map((f) => f.id)).toEqual(['L1', 'L2', 'L3']);
  });

  it('keeps them with mode keep, and keeps the queryables they had', async () => {
    const summary = await harvestFeatures(store, plan({ mode: 'keep' }), source([[feature('L1', null, { height: 5 })]]).produce);
    expect(summary.counts).toMatchObject({ retired: 0, purged: 0, updated: 1 });
    expect(await current()).toEqual(['L1', 'L2', 'L3', 'L4', 'L5']);
    expect(Object.keys((await store.collections.get('lights'))!.queryables).sort()).toEqual(['height', 'kind', 'watts']);
  });

  it('stops a run that would take more than maxFraction of the collection, changing nothing', async () => {
    const error = await aborted(harvestFeatures(store, plan({ mode: 'purge', maxFraction: 0.5 }), source([[light('L1', 99), light('L2')]]).produce));
    expect(error.message).toBe(
      'the source no longer has 3 of the 5 current features (60 %), more than deletePolicy.maxFraction (50 %); nothing was changed — if the source really dropped them, raise maxFraction for one run',
    );
    expect(error.counts).toMatchObject({ updated: 1, unchanged: 1, purged: 0 });
    expect(store.storedFeatures('lights').map((f) => [f.id, f.properties['watts'], f.retiredAt])).toEqual(['L1', 'L2', 'L3', 'L4', 'L5'].map((id) => [id, 40, null]));
    expect(await store.collections.get('lights')).toMatchObject({ featureCount: 5, dataVersion: 1 });
    expect(events).toEqual([]);

    const raised = await harvestFeatures(store, plan({ mode: 'purge', maxFraction: 0.6 }), source([[light('L1', 99), light('L2')]]).produce);
    expect(raised.counts.purged).toBe(3);
  });

  it('skips deletions when the source cannot show it delivered everything, and says why', async () => {
    const why = 'the mapping has a bbox: features outside it are not deleted';
    const summary = await harvestFeatures(store, plan({ mode: 'purge' }), source([[light('L1')]], { unverified: why }).produce);
    expect(summary.deletionsSkipped).toBe(why);
    expect(summary.counts).toMatchObject({ purged: 0, retired: 0 });
    expect(await current()).toEqual(['L1', 'L2', 'L3', 'L4', 'L5']);
    const keep = await harvestFeatures(store, plan({ mode: 'keep' }), source([[light('L1')]], { unverified: why }).produce);
    expect(keep.deletionsSkipped).toBeNull();
  });
});

describe('completeness', () => {
  it('fails a run that brought fewer distinct features than the source announced, storing nothing', async () => {
    const error = await aborted(harvestFeatures(store, plan(), source([[light('L1'), light('L2')], [light('L2'), light('L3')]], { expected: 5 }).produce));
    expect(error.message).toBe('incomplete: the source announced 5 features but 3 distinct ones arrived (pages overlapped or skipped features); nothing was stored');
    expect(error.expected).toBe(5);
    expect(error.counts).toMatchObject({ inserted: 3, duplicates: 1 });
    expect(await store.collections.get('lights')).toBeNull();
    expect(events).toEqual([]);
  });

  it('counts refused records, those without an id too, as delivered', async () => {
    const page: MappedPage = {
      records: [light('L1'), light('L2')],
      rejections: [
        { id: 'L3', location: 'feature 3', reason: 'bad' },
        { id: null, location: 'feature 4', reason: 'no id' },
      ],
    };
    const summary = await harvestFeatures(store, plan(), source([page], { expected: 4 }).produce);
    expect(summary).toMatchObject({ expected: 4, counts: { inserted: 2, rejected: 2 } });
    await aborted(harvestFeatures(store, plan(), source([page], { expected: 5 }).produce));
  });
});

describe('failures', () => {
  beforeEach(() => fill([light('L1'), light('L2')]));

  it('roll everything back when the source fails after pages were written, and carry the counts so far', async () => {
    const error = await aborted(
      harvestFeatures(store, plan(), async (sink) => {
        await sink.write({ records: [light('L1', 99), light('L7')], rejections: [] });
        await sink.write({ records: [light('L8')], rejections: [] });
        throw new Error('HTTP 503 after 3 retries');
      }),
    );
    expect(error.message).toBe('HTTP 503 after 3 retries');
    expect(error.reason).toBeInstanceOf(Error);
    expect(error.counts).toMatchObject({ pages: 2, read: 3, inserted: 2, updated: 1 });
    expect(store.storedFeatures('lights').map((f) => [f.id, f.properties['watts']])).toEqual([
      ['L1', 40],
      ['L2', 40],
    ]);
    expect(events).toEqual([]);
    // The lock went with the transaction.
    expect((await harvestFeatures(store, plan(), source([[light('L1'), light('L2')]]).produce)).counts.unchanged).toBe(2);
  });

  it('refuse a second harvest of the collection while one runs', async () => {
    let release!: () => void;
    const first = harvestFeatures(store, plan(), async (sink) => {
      await sink.write({ records: [light('L1'), light('L2')], rejections: [] });
      await new Promise<void>((resolve) => (release = resolve));
      return { expected: null, unverified: null };
    });
    await new Promise((resolve) => setImmediate(resolve));
    const second = await aborted(harvestFeatures(store, plan(), source([[light('L1')]]).produce));
    expect(second.reason).toBeInstanceOf(HarvestRunningError);
    expect(second.message).toBe("a harvest into collection 'lights' is already running");
    release();
    expect((await first).counts.unchanged).toBe(2);
  });
});

describe('the change event', () => {
  it('is published once after the commit, with what the run inserted, updated and retired, and the time they changed since', async () => {
    const seen: Array<{ count: number; version: number }> = [];
    const observed = createFakeStore({
      changes: {
        async publish(event) {
          events.push(event);
          const c = (await observed.collections.get('lights'))!;
          seen.push({ count: c.featureCount, version: c.dataVersion });
        },
      },
    });
    store = observed;
    await fill(['L1', 'L2', 'L3', 'L4'].map((id) => light(id)));
    expect(seen).toEqual([{ count: 4, version: 1 }]);
    seen.length = 0;

    const summary = await harvestFeatures(store, plan(), source([[light('L1', 99), light('L2'), light('L3'), light('L9')]]).produce);
    const key = (await store.collections.get('lights'))!.key;
    expect(events).toEqual([{ kind: 'features', collectionKey: key, collectionId: 'lights', since: summary.changedSince, inserted: 1, updated: 1, retired: 1, purged: 0 }]);
    // Listeners read the committed data.
    expect(seen).toEqual([{ count: 4, version: 2 }]);

    events.length = 0;
    await harvestFeatures(store, plan({ mode: 'purge' }), source([[light('L1', 99), light('L2'), light('L3')]]).produce);
    expect(events).toMatchObject([{ inserted: 0, updated: 0, retired: 0, purged: 2 }]);
  });

  it('is not published when the run changed nothing', async () => {
    await fill([light('L1'), light('L2')]);
    await harvestFeatures(store, plan(), source([[light('L1'), light('L2')]]).produce);
    expect(events).toEqual([]);
  });

  it('records the source CRS discovered while reading', async () => {
    await harvestFeatures(store, plan({}, { sourceSrid: () => 25832 }), source([[light('L1')]]).produce);
    expect((await store.collections.get('lights'))!.sourceSrid).toBe(25832);
  });
});
