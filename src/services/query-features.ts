import type { Collection } from '../domain/collection.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection, PagePosition, SortKey, SortValue } from '../domain/query.js';
import type { FeatureRow, Store } from './ports.js';

export interface PageRequest {
  readonly selection: FeatureSelection;
  /** Sort keys; empty for the stable default order. */
  readonly order: readonly SortKey[];
  readonly position: PagePosition;
  readonly limit: number;
  readonly output: FeatureOutput;
}

export interface PageOutcome {
  readonly numberReturned: number;
  /** Exact, or null when it could not be had cheaply (never an estimate). */
  readonly numberMatched: number | null;
  readonly next: PagePosition | null;
  readonly prev: PagePosition | null;
}

/** A page being read: features arrive from the cursor, the outcome is known once they are consumed. */
export interface StreamedPage {
  readonly features: AsyncIterable<string>;
  outcome(): Promise<PageOutcome>;
  close(): Promise<void>;
}

export interface FeatureQueryService {
  page(collection: Collection, request: PageRequest): Promise<StreamedPage>;
  feature(collection: Collection, id: string, output: FeatureOutput): Promise<string | null>;
}

function isUnfiltered(selection: FeatureSelection): boolean {
  return selection.envelopes.length === 0 && selection.time === null && selection.equalities.length === 0 && selection.filter === null;
}

function selectionKey(collection: Collection, selection: FeatureSelection): string {
  const { envelopes, time, equalities, filter } = selection;
  return JSON.stringify([collection.key, collection.dataVersion, envelopes, time, equalities, filter]);
}

function sortValues(row: FeatureRow): SortValue[] {
  return row.keys ? (JSON.parse(row.keys) as SortValue[]) : [];
}

/** Small LRU of exact counts; a key includes the collection's data version, so writes invalidate it. */
class CountCache {
  private readonly entries = new Map<string, number | null>();
  constructor(private readonly capacity: number) {}

  get(key: string): number | null | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key)!;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: number | null): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * Reads pages of features in the requested order, ties broken by the stable `seq` order. numberMatched comes from the maintained
 * collection count when nothing filters, from the page itself when it is the last one, and
 * otherwise from a bounded exact count that is cached per data version.
 */
export function featureQueryService(store: Store, options: { countLimit: number }): FeatureQueryService {
  const counts = new CountCache(1000);

  async function numberMatched(collection: Collection, selection: FeatureSelection, derived: number | null): Promise<number | null> {
    if (isUnfiltered(selection)) return collection.featureCount;
    if (derived !== null) return derived;
    if (options.countLimit === 0) return null;
    const key = selectionKey(collection, selection);
    const cached = counts.get(key);
    if (cached !== undefined) return cached;
    const counted = await store.features.countMatches(selection, options.countLimit);
    counts.set(key, counted);
    return counted;
  }

  return {
    async page(collection, request) {
      const { position, limit } = request;
      const query: FeaturePageQuery = { ...request.selection, order: request.order, position, fetch: limit + 1, output: request.output };
      const rows = await store.streamPage(query);
      let returned = 0;
      let first: FeatureRow | null = null;
      let last: FeatureRow | null = null;
      let lookAhead = false;
      let lookBehind = false;
      let consumed = false;

      async function* features(): AsyncGenerator<string> {
        try {
          for await (const row of rows as AsyncIterable<FeatureRow>) {
            if (row.extra) {
              lookBehind = true;
              continue;
            }
            if (returned === limit) {
              lookAhead = true;
              break;
            }
            if (first === null) first = row;
            last = row;
            returned++;
            yield row.json;
          }
          consumed = true;
        } finally {
          await rows.close();
        }
      }

      return {
        features: features(),
        close: () => rows.close(),
        async outcome() {
          if (!consumed) throw new Error('page outcome requested before its features were read');
          const exact = position.kind === 'start' || position.kind === 'offset' || position.dataVersion === collection.dataVersion;
          let skipped: number;
          if (position.kind === 'start') skipped = 0;
          else if (position.kind === 'offset') skipped = position.offset;
          else if (position.kind === 'after') skipped = position.skipped;
          else skipped = lookBehind ? Math.max(position.skipped - returned, 1) : 0;

          const firstRow = first as FeatureRow | null;
          const lastRow = last as FeatureRow | null;
          const hasNext = position.kind === 'before' ? lastRow !== null : lookAhead;
          const hasPrev = position.kind === 'before' ? lookBehind : skipped > 0 && firstRow !== null;
          const isLast = !hasNext && (returned > 0 || skipped === 0);
          const derived = exact && isLast ? skipped + returned : null;
          const dataVersion = collection.dataVersion;
          return {
            numberReturned: returned,
            numberMatched: await numberMatched(collection, request.selection, derived),
            next: hasNext && lastRow !== null ? { kind: 'after', seq: lastRow.seq, keys: sortValues(lastRow), skipped: skipped + returned, dataVersion } : null,
            prev: hasPrev && firstRow !== null ? { kind: 'before', seq: firstRow.seq, keys: sortValues(firstRow), skipped, dataVersion } : null,
          };
        },
      };
    },

    async feature(collection, id, output) {
      const row = await store.features.byId(collection.key, id, output);
      return row?.json ?? null;
    },
  };
}
