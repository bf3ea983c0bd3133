import type { LoadedMapping } from '../config/mappings-loader.js';
import { NO_HARVEST_INFO, type CollectionDefinition } from '../domain/collection.js';
import type { AttributeInfo } from '../domain/entity.js';
import { unitCode } from '../domain/units.js';
import { HarvestError, PlacelinkError } from '../domain/errors.js';
import { RUN_DETAIL_LIMIT, type HarvestRun, type RunCounts, type RunRejection, type RunWarning } from '../domain/harvest-run.js';
import { isSensorSource, type FeatureSource, type Mapping } from '../domain/mapping.js';
import type { Logger } from '../logger.js';
import { HarvestAborted, harvestFeatures, type MappedPage } from '../services/features/harvest-features.js';
import type { FeatureSourceReader, PageFeedback } from './feature-source.js';
import { fileSource } from './files/file-source.js';
import { createHttpClient, type HttpClient } from './http/http-client.js';
import { recordMapper } from './mapping/apply-mapping.js';
import type { HarvestRunOptions, IngestStore } from './run-options.js';
import { runSensorThingsPull } from './sensorthings/sensorthings-runner.js';
import { ogcApiSource } from './ogcapi-features/ogcapi-source.js';
import { wfsSource } from './wfs/wfs-source.js';

/** The mapping's feature source; sensor sources are harvested by runSensorThingsPull. */
function featureSource(mapping: Mapping): FeatureSource {
  if (isSensorSource(mapping.source)) throw new HarvestError(`mapping '${mapping.id}' has a ${mapping.source.type} source, not a feature source`);
  return mapping.source;
}

function discoveryHeaders(mapping: Mapping): Record<string, string> {
  const source = featureSource(mapping);
  if (source.type === 'file') return {};
  const { headers, auth } = source.http;
  const out: Record<string, string> = { ...headers };
  if (auth?.type === 'basic') out['Authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  if (auth?.type === 'bearer') out['Authorization'] = `Bearer ${auth.token}`;
  return out;
}

/** The reader for a mapping's source.type. */
function readerFor(mapping: Mapping, http: HttpClient | null): FeatureSourceReader {
  const source = featureSource(mapping);
  switch (source.type) {
    case 'wfs':
      return wfsSource({ source, identifiers: mapping.identifiers, properties: mapping.properties, geometry: mapping.geometry, http: http!, discoveryHeaders: discoveryHeaders(mapping) });
    case 'ogcapi-features':
      return ogcApiSource({ source, http: http!, discoveryHeaders: discoveryHeaders(mapping) });
    case 'file':
      return fileSource(source, mapping.geometry);
  }
}

/**
 * What NGSI-LD should know of the mapped properties: the unit a conversion rule writes in, and the
 * Smart Data Models convention that `ref…` properties hold ids of other entities (Relationships).
 */
function attributeInfo(mapping: Mapping): Record<string, AttributeInfo> {
  const info: Record<string, AttributeInfo> = {};
  for (const rule of mapping.properties.rules) {
    const code = rule.unit?.to ? unitCode(rule.unit.to) : null;
    const relationship = /^ref[A-Z]/.test(rule.name);
    if (code || relationship) info[rule.name] = { ...(code ? { unitCode: code } : {}), ...(relationship ? { relationship } : {}) };
  }
  return info;
}

export function collectionDefinition(mapping: Mapping, sourceSrid: number): CollectionDefinition {
  const target = mapping.target;
  return {
    id: target.collection,
    title: target.title ?? mapping.title,
    description: target.description ?? mapping.description,
    keywords: target.keywords,
    license: target.license,
    attribution: target.attribution,
    sourceSrid,
    inspireNamespace: target.namespace ?? `placelink.${target.collection}`,
    harvest: {
      ...NO_HARVEST_INFO,
      mappingId: mapping.id,
      inspireTheme: target.inspireTheme,
      metadataUrl: target.metadataUrl,
      ngsiLdType: mapping.ngsiLd?.type ?? null,
      ngsiLdContext: mapping.ngsiLd?.context ?? [],
      ngsiLdIdTemplate: mapping.identifiers.ngsiLdId,
      ngsiLdAttributes: attributeInfo(mapping),
    },
  };
}

/** Records mapped between two turns of the event loop. */
const MAP_SLICE = 100;

/**
 * Runs one harvest of a mapping and records it: source → mapping rules → the collection, in one
 * transaction. Whatever happens, the run record ends 'succeeded' or 'failed' with the reason; a
 * failed run has changed nothing. Returns the run as recorded.
 */
export async function runHarvest(store: IngestStore, loaded: LoadedMapping, logger: Logger, options: HarvestRunOptions): Promise<HarvestRun> {
  if (isSensorSource(loaded.mapping.source)) return runSensorThingsPull(store, loaded, logger, options);
  const { mapping, redact } = loaded;
  const source = featureSource(mapping);
  const warnings: RunWarning[] = [];
  const warn = (warning: RunWarning) => {
    if (warnings.length < RUN_DETAIL_LIMIT) warnings.push({ location: redact(warning.location), message: redact(warning.message) });
  };
  const http =
    source.type === 'file'
      ? null
      : createHttpClient({
          http: source.http,
          redact,
          onRetry: ({ attempt, attempts, delayMs, error }) => {
            warn({ location: error.url, message: `attempt ${attempt} of ${attempts} failed (${error.message}); retrying in ${(delayMs / 1000).toFixed(1)} s` });
            logger.warn({ mapping: mapping.id, attempt, attempts, delayMs, error: redact(error.message) }, 'upstream request failed; retrying');
          },
        });
  const reader = readerFor(mapping, http);
  const collection = mapping.target.collection;
  const abandoned = await store.runs.failAbandoned(collection);
  if (abandoned.length) logger.warn({ mapping: mapping.id, runs: abandoned }, 'earlier runs were interrupted; marked failed');
  const runId = await store.runs.start({ mappingId: mapping.id, collectionId: collection, sourceType: mapping.source.type, sourceUrl: reader.description, trigger: options.trigger });
  const started = Date.now();
  logger.info({ mapping: mapping.id, runId, source: reader.description }, 'harvest started');

  const map = recordMapper(mapping);
  let lastWrite = 0;
  const interval = options.progressIntervalMs ?? 2000;
  const onProgress = (counts: Readonly<RunCounts>, expected: number | null) => {
    options.onProgress?.({ runId, counts, expected, elapsedMs: Date.now() - started });
    if (store.concurrentWrites && Date.now() - lastWrite > interval) {
      lastWrite = Date.now();
      store.runs.progress(runId, { ...counts }, expected).catch((error: unknown) => logger.warn({ err: error, runId }, 'could not record progress'));
    }
  };

  try {
    const summary = await harvestFeatures(
      store,
      {
        collection: collectionDefinition(mapping, reader.sourceSrid),
        sourceSrid: () => reader.sourceSrid,
        deletePolicy: mapping.deletePolicy,
        repairInvalid: mapping.geometry.invalid === 'repair',
        maxRejections: mapping.rejections.max,
      },
      async (sink) => {
        const feedback: PageFeedback = { newIds: 0 };
        for await (const page of reader.pages(feedback)) {
          if (options.signal?.aborted) throw new HarvestError('stopped because the service is shutting down');
          const mapped: { records: MappedPage['records'][number][]; rejections: RunRejection[] } = { records: [], rejections: [] };
          for (const [index, record] of page.records.entries()) {
            // Mapping runs while the database writes the previous page: yield now and then so its answers are taken at once.
            if (index % MAP_SLICE === MAP_SLICE - 1) await new Promise((resolve) => setImmediate(resolve));
            const outcome = map(record);
            if ('record' in outcome) mapped.records.push(outcome.record);
            else mapped.rejections.push({ ...outcome.rejection, reason: redact(outcome.rejection.reason) });
          }
          feedback.newIds = (await sink.write(mapped)).newIds;
        }
        for (const warning of reader.warnings) warn(warning);
        return { expected: reader.expected(), unverified: reader.unverified() };
      },
      onProgress,
    );
    if (summary.deletionsSkipped !== null) {
      const message = `features missing from the source were kept, not ${mapping.deletePolicy.mode === 'retire' ? 'retired' : 'purged'}: ${summary.deletionsSkipped}`;
      warn({ location: reader.description, message });
      logger.warn({ mapping: mapping.id, runId, reason: redact(summary.deletionsSkipped) }, 'delete policy skipped');
    }
    await store.runs.finish(runId, { status: 'succeeded', counts: summary.counts, expected: summary.expected, error: null, rejections: summary.rejections, warnings });
    logger.info({ mapping: mapping.id, runId, ...summary.counts, ms: Date.now() - started }, 'harvest succeeded');
  } catch (error) {
    const aborted = error instanceof HarvestAborted ? error : null;
    const cause = aborted ? aborted.reason : error;
    for (const warning of reader.warnings) warn(warning);
    const message = redact(cause instanceof Error ? cause.message : String(cause));
    await store.runs.finish(runId, {
      status: 'failed',
      counts: aborted?.counts ?? { pages: 0, read: 0, inserted: 0, updated: 0, unchanged: 0, retired: 0, purged: 0, rejected: 0, repaired: 0, duplicates: 0 },
      expected: aborted?.expected ?? null,
      error: message,
      rejections: aborted?.rejections ?? [],
      warnings,
    });
    if (cause instanceof PlacelinkError) logger.warn({ mapping: mapping.id, runId, error: message }, 'harvest failed; the previous data is unchanged');
    else logger.error({ mapping: mapping.id, runId, err: cause }, 'harvest failed unexpectedly; the previous data is unchanged');
  }
  return (await store.runs.get(runId))!;
}
