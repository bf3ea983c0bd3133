import type { CollectionDefinition, Queryable } from '../../domain/collection.js';
import { HarvestError, PlacelinkError } from '../../domain/errors.js';
import type { FeatureRecord } from '../../domain/feature.js';
import { RUN_DETAIL_LIMIT, type RunCounts, type RunRejection, ZERO_COUNTS } from '../../domain/harvest-run.js';
import type { DeletePolicy } from '../../domain/mapping.js';
import { QueryableInference, mergeQueryables } from './queryable-inference.js';
import type { FeatureWrites, HarvestSession } from '../ports/feature-ports.js';

export const BATCH_SIZE = 1000;

/** Planner statistics are refreshed in the run each time the features it inserted grow fourfold, from this many. */
const ANALYZE_FROM = 1000;

export interface HarvestPlan {
  readonly collection: CollectionDefinition;
  /** The CRS the data came in, known once the source has been read (discovery happens while reading). */
  readonly sourceSrid?: () => number;
  readonly deletePolicy: DeletePolicy;
  /** Invalid geometries: repaired with ST_MakeValid (and flagged), or the feature rejected. */
  readonly repairInvalid: boolean;
  /** Fail the run when more features than this are rejected. */
  readonly maxRejections: number | null;
}

/** One page of a source, mapped: records to write and records the mapping refused. */
export interface MappedPage {
  readonly records: readonly FeatureRecord[];
  readonly rejections: readonly RunRejection[];
}

export interface HarvestSink {
  /** Writes a page; says how many of its ids this run had not read before (0 on a repeated page). */
  write(page: MappedPage): Promise<{ newIds: number }>;
  readonly counts: Readonly<RunCounts>;
}

/** What the source says once it has delivered everything. */
export interface SourceEnd {
  /** The total the source announced (numberMatched, hits), if it did. */
  readonly expected: number | null;
  /** Why the source cannot show it delivered everything; the delete policy is then not applied. */
  readonly unverified: string | null;
}

export interface HarvestSummary {
  readonly collectionKey: number;
  readonly collectionCreated: boolean;
  /** Features inserted, updated or retired by the harvest have been updated since this time. */
  readonly changedSince: string;
  readonly counts: RunCounts;
  readonly rejections: RunRejection[];
  readonly expected: number | null;
  /** Set when the delete policy was skipped: why. */
  readonly deletionsSkipped: string | null;
}

/** Thrown inside the transaction to roll it back, carrying what was counted up to then. */
export class HarvestAborted extends PlacelinkError {
  readonly code = 'harvest-aborted';
  constructor(
    readonly reason: unknown,
    readonly counts: RunCounts,
    readonly rejections: RunRejection[],
    readonly expected: number | null,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/**
 * Streams a source into a collection in one transaction: pages are written as they come, in
 * batches of 1000 (nothing like the whole source is ever in memory), ids already read in the run
 * are skipped, unchanged features (same content hash) are left alone, and at the end features the
 * source no longer has follow the delete policy. Readers see the previous data until the commit; a
 * failure anywhere rolls everything back.
 */
export async function harvestFeatures(
  store: FeatureWrites,
  plan: HarvestPlan,
  produce: (sink: HarvestSink) => Promise<SourceEnd>,
  onProgress?: (counts: Readonly<RunCounts>, expected: number | null) => void,
): Promise<HarvestSummary> {
  const counts: RunCounts = { ...ZERO_COUNTS };
  const rejections: RunRejection[] = [];
  let expected: number | null = null;
  const reject = (rejection: RunRejection) => {
    counts.rejected++;
    if (rejections.length < RUN_DETAIL_LIMIT) rejections.push(rejection);
  };

  let summary: HarvestSummary;
  try {
    summary = await store.harvest(plan.collection.id, async (session) => {
      const { key, created } = await session.collections.save(plan.collection);
      const changedSince = await session.features.writeTime();
      // A first fill: each id read once (markSeen) is new, so batches take the cheaper insert.
      const fresh = created || (await session.isEmpty(key));
      const inference = new QueryableInference();
      let idlessRejections = 0;
      let analyzedAt = ANALYZE_FROM / 4;

      /** Writes one page's new records; runs while the producer reads and maps the next page. */
      async function upsert(toWrite: readonly FeatureRecord[]): Promise<void> {
        for (let start = 0; start < toWrite.length; start += BATCH_SIZE) {
          const batch = toWrite.slice(start, start + BATCH_SIZE);
          const summary = await session.features.upsertBatch(key, batch, { repairInvalid: plan.repairInvalid, fresh });
          counts.inserted += summary.inserted;
          counts.updated += summary.updated;
          counts.unchanged += summary.unchanged;
          counts.repaired += summary.repaired.length;
          for (const refusal of summary.rejected) reject({ id: refusal.id, location: `feature ${refusal.id}`, reason: refusal.reason });
          inference.add(batch);
        }
        // Rows the run inserts into a collection with no statistics (a first fill lands here after a
        // clash) make the planner take the upsert's per-row lookups for scans of a few rows, and every
        // batch reads the whole partition. ANALYZE in the run's transaction counts the rows it inserted.
        if (!fresh && counts.inserted >= 4 * analyzedAt) {
          await session.collections.analyze(key);
          analyzedAt = counts.inserted;
        }
        if (plan.maxRejections !== null && counts.rejected > plan.maxRejections) {
          throw new HarvestError(`${counts.rejected} features rejected, more than rejections.max (${plan.maxRejections}); the previous data is kept`);
        }
        onProgress?.(counts, expected);
      }

      // The database writes one page while the producer maps the next (one page in flight).
      let writing: Promise<void> = Promise.resolve();
      const sink: HarvestSink = {
        counts,
        async write(page) {
          await writing;
          counts.pages++;
          counts.read += page.records.length + page.rejections.length;
          const inPage = new Map<string, FeatureRecord>();
          for (const record of page.records) {
            if (inPage.has(record.id)) counts.duplicates++;
            else inPage.set(record.id, record);
          }
          // Rejected ids count as read: their previous version stays instead of being retired.
          const ids = [...inPage.keys(), ...page.rejections.flatMap((r) => (r.id && !inPage.has(r.id) ? [r.id] : []))];
          const fresh = await session.markSeen(ids);
          for (const rejection of page.rejections) {
            if (!rejection.id) idlessRejections++;
            reject(rejection);
          }
          const toWrite = [...inPage.values()].filter((record) => {
            if (fresh.has(record.id)) return true;
            counts.duplicates++;
            return false;
          });
          writing = upsert(toWrite);
          // A failure surfaces at the next write or at the end; until then nothing may wait on it unobserved.
          writing.catch(() => {});
          return { newIds: fresh.size };
        },
      };

      let end: SourceEnd;
      try {
        end = await produce(sink);
      } finally {
        // The transaction's connection must be idle before it rolls back or goes on.
        await writing.catch(() => {});
      }
      await writing;
      expected = end.expected;
      await checkComplete(session, end, idlessRejections);
      const deletionsSkipped = plan.deletePolicy.mode !== 'keep' && end.unverified !== null ? end.unverified : null;
      // A first fill wrote only ids it read: nothing can have vanished.
      if (deletionsSkipped === null && !fresh) await applyDeletePolicy(session, key, plan.deletePolicy, counts);

      const sourceSrid = plan.sourceSrid?.();
      if (sourceSrid !== undefined && sourceSrid !== plan.collection.sourceSrid) await session.collections.save({ ...plan.collection, sourceSrid });
      const existing = created ? {} : ((await session.collections.get(plan.collection.id))?.queryables ?? {});
      const inferred = inference.result();
      const queryables: Record<string, Queryable> = plan.deletePolicy.mode === 'keep' ? mergeQueryables(existing, inferred) : inferred;
      await session.collections.setQueryables(key, queryables);
      await session.collections.refreshStats(key);
      onProgress?.(counts, expected);
      return { collectionKey: key, collectionCreated: created, changedSince, counts, rejections, expected, deletionsSkipped };
    });
  } catch (error) {
    throw new HarvestAborted(error, counts, rejections, expected);
  }
  // Fresh planner statistics once the rows are committed: paging plans depend on them.
  if (counts.inserted + counts.updated + counts.retired + counts.purged > 0) await store.collections.analyze(summary.collectionKey);
  return summary;
}

async function checkComplete(session: HarvestSession, end: SourceEnd, idlessRejections: number): Promise<void> {
  if (end.expected === null) return;
  const distinct = (await session.seenCount()) + idlessRejections;
  if (distinct < end.expected) {
    throw new HarvestError(
      `incomplete: the source announced ${end.expected} features but ${distinct} distinct ones arrived (pages overlapped or skipped features); nothing was stored`,
    );
  }
}

async function applyDeletePolicy(session: HarvestSession, key: number, policy: DeletePolicy, counts: RunCounts): Promise<void> {
  if (policy.mode === 'keep') return;
  const { vanished, current } = await session.vanished(key);
  if (vanished === 0) return;
  if (current > 0 && vanished / current > policy.maxFraction) {
    const share = Math.round((vanished / current) * 100);
    throw new HarvestError(
      `the source no longer has ${vanished} of the ${current} current features (${share} %), more than deletePolicy.maxFraction (${policy.maxFraction * 100} %); ` +
        'nothing was changed — if the source really dropped them, raise maxFraction for one run',
    );
  }
  if (policy.mode === 'retire') counts.retired = await session.retireVanished(key, new Date().toISOString());
  else counts.purged = await session.purgeVanished(key);
}
