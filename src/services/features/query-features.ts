import type { Collection } from '../../domain/collection.js';
import type { FeatureParts } from '../../domain/feature.js';
import { InvariantError } from '../../domain/errors.js';
import type { FeatureOutput, FeaturePageQuery, FeatureSelection, LinkedValueLinks, PagePosition, SortKey, SortValue } from '../../domain/query.js';
import type { PageSource } from '../ports/feature-ports.js';
import type { CollectionSnapshot } from '../ports/rows.js';

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

/**
 * A page being read: its features arrive from the cursor as pieces of GeoJSON text (one or more
 * features joined by commas); the outcome is known once they are consumed.
 */
export interface StreamedPage {
  readonly features: AsyncIterable<string>;
  outcome(): Promise<PageOutcome>;
  close(): Promise<void>;
}

/** A page read in parts (FeatureEncoding 'parts'): the features of each database chunk as a batch. */
export interface PartsPage {
  readonly parts: AsyncIterable<readonly FeatureParts[]>;
  outcome(): Promise<PageOutcome>;
  close(): Promise<void>;
}

/**
 * Pages and single items of collections. `links`: where the links of an asset's linked sensor values
 * point (the API's URL templates); features of collections with links then carry those values.
 * `page` yields GeoJSON text (the OGC API writes it as it comes); `parts` yields the same features
 * in parts, for APIs that encode them their own way.
 */
export interface FeatureQueryService {
  page(collection: Collection, request: PageRequest, links?: LinkedValueLinks): Promise<StreamedPage>;
  parts(collection: Collection, request: PageRequest): Promise<PartsPage>;
  feature(collection: Collection, id: string, output: FeatureOutput, links?: LinkedValueLinks): Promise<FeatureDocument | null>;
}

async function* partsOf(pieces: AsyncIterable<string>): AsyncGenerator<readonly FeatureParts[]> {
  for await (const piece of pieces) yield JSON.parse(`[${piece}]`) as FeatureParts[];
}

/** A page of `page(…)` asked for in parts, read as parts. */
export async function readParts(page: (request: PageRequest) => Promise<StreamedPage>, request: PageRequest): Promise<PartsPage> {
  const streamed = await page({ ...request, output: { ...request.output, encoding: 'parts' } });
  return { parts: partsOf(streamed.features), outcome: () => streamed.outcome(), close: () => streamed.close() };
}

/** One feature as GeoJSON text, with the NGSI-LD entity id of the thing it describes when it has one. */
export interface FeatureDocument {
  readonly json: string;
  readonly ngsiLdId: string | null;
}

function isUnfiltered(selection: FeatureSelection): boolean {
  return selection.envelopes.length === 0 && selection.time === null && selection.equalities.length === 0 && selection.filter === null;
}

/** What decides a selection's matches, as text; with a data version it keys the count cache. */
function selectionKey(selection: FeatureSelection): string {
  const { collectionKey, envelopes, time, equalities, filter } = selection;
  return JSON.stringify([collectionKey, envelopes, time, equalities, filter]);
}

const countKey = (selection: string, dataVersion: number) => `${dataVersion}:${selection}`;

const sortValues = (keys: string | undefined): SortValue[] => (keys ? (JSON.parse(keys) as SortValue[]) : []);

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

export interface CountOptions {
  /** numberMatched of filtered requests is counted up to this many features (0: never counted). */
  readonly countLimit: number;
  /** …and only when the count takes no longer than this. */
  readonly countBudgetMs: number;
}

/**
 * Reads pages of features in the requested order, ties broken by the stable `seq` order. numberMatched comes from the maintained
 * collection count when nothing filters, from the page itself when it is the last one, and
 * otherwise from an exact count, bounded in rows and time, that is cached per data version.
 */
export function featureQueryService(source: PageSource, options: CountOptions): FeatureQueryService {
  const counts = new CountCache(1000);

  async function numberMatched(snapshot: CollectionSnapshot, selection: FeatureSelection, selectionText: string, derived: number | null): Promise<number | null> {
    if (isUnfiltered(selection)) return snapshot.total;
    if (derived !== null) return derived;
    if (options.countLimit === 0) return null;
    const key = countKey(selectionText, snapshot.version);
    const cached = counts.get(key);
    if (cached !== undefined) return cached;
    const counted = await source.countFeatures(selection, options.countLimit, options.countBudgetMs);
    counts.set(key, counted);
    return counted;
  }

  const service: FeatureQueryService = {
    parts: (collection, request) => readParts((partsRequest) => service.page(collection, partsRequest), request),

    async page(collection, request, links) {
      const { position, limit } = request;
      // A count made earlier at this data version (the pages of one query share it) tells the store how big the selection is.
      const unfiltered = isUnfiltered(request.selection);
      const selectionText = unfiltered ? '' : selectionKey(request.selection);
      const known = unfiltered ? undefined : counts.get(countKey(selectionText, collection.dataVersion));
      const query: FeaturePageQuery = {
        ...request.selection,
        order: request.order,
        position,
        limit,
        output: request.output,
        ...(links ? { linkedValues: links } : {}),
        ...(typeof known === 'number' ? { knownMatches: known } : {}),
      };
      const chunks = await source.streamPage(query);
      let returned = 0;
      let firstSeq: string | null = null;
      let lastSeq: string | null = null;
      let firstKeys: string | undefined;
      let lastKeys: string | undefined;
      let more = false;
      let consumed = false;
      let seen: CollectionSnapshot | null = null;

      async function* features(): AsyncGenerator<string> {
        try {
          for await (const batch of chunks) {
            for (const chunk of batch) {
              seen ??= { total: Number(chunk.total), version: Number(chunk.version) };
              more = chunk.more;
              if (chunk.n === 0) continue;
              if (firstSeq === null) {
                firstSeq = chunk.firstSeq;
                firstKeys = chunk.firstKeys;
              }
              lastSeq = chunk.lastSeq;
              lastKeys = chunk.lastKeys;
              returned += chunk.n;
              yield chunk.json;
            }
          }
          consumed = true;
        } finally {
          await chunks.close();
        }
      }

      return {
        features: features(),
        close: () => chunks.close(),
        async outcome() {
          if (!consumed) throw new InvariantError('page outcome requested before its features were read');
          const snapshot = seen ?? (await source.snapshot(collection.key)) ?? { total: 0, version: collection.dataVersion };
          const exact = position.kind === 'start' || position.kind === 'offset' || position.dataVersion === snapshot.version;
          let skipped: number;
          if (position.kind === 'start') skipped = 0;
          else if (position.kind === 'offset') skipped = position.offset;
          else if (position.kind === 'after') skipped = position.skipped;
          else skipped = more ? Math.max(position.skipped - returned, 1) : 0;

          const hasNext = position.kind === 'before' ? lastSeq !== null : more;
          const hasPrev = position.kind === 'before' ? more : skipped > 0 && firstSeq !== null;
          const isLast = !hasNext && (returned > 0 || skipped === 0);
          const derived = exact && isLast ? skipped + returned : null;
          // A skipped count carried from a cursor of another data version is not exact in this one (features before it
          // may have come or gone): the positions keep that version, so the pages they lead to count their matches
          // instead of deriving them from it. A backward page with nothing before it knows its count whatever the version.
          const staleVersion = !exact && (position.kind === 'after' || (position.kind === 'before' && more)) ? position.dataVersion : null;
          const dataVersion = staleVersion ?? snapshot.version;
          return {
            numberReturned: returned,
            numberMatched: await numberMatched(snapshot, request.selection, selectionText, derived),
            next: hasNext && lastSeq !== null ? { kind: 'after', seq: lastSeq, keys: sortValues(lastKeys), skipped: skipped + returned, dataVersion } : null,
            prev: hasPrev && firstSeq !== null ? { kind: 'before', seq: firstSeq, keys: sortValues(firstKeys), skipped, dataVersion } : null,
          };
        },
      };
    },

    async feature(collection, id, output, links) {
      const row = await source.byId(collection.key, id, output, links);
      return row ? { json: row.json, ngsiLdId: row.ngsiLdId ?? null } : null;
    },
  };
  return service;
}
