import type { LoadedMapping } from '../../config/mappings-loader.js';
import { HarvestError, PlacelinkError } from '../../domain/errors.js';
import { settledStart } from '../../domain/observation.js';
import { RUN_DETAIL_LIMIT, ZERO_COUNTS, type HarvestRun, type RunCounts, type RunRejection, type RunWarning } from '../../domain/harvest-run.js';
import type { Logger } from '../../logger.js';
import { followMoves, linksStale, refreshLinks } from '../../services/sensors/link-assets.js';
import { recordObservations } from '../../services/sensors/record-observations.js';
import { isSensorMapping, registerSensorMapping } from '../../services/sensors/sensor-registry.js';
import type { HarvestRunOptions, IngestStore } from '../run-options.js';
import { swappedPlaces, type NamedPlace } from '../../geo/swapped-places.js';
import { createHttpClient } from '../http/http-client.js';
import { sensorThingsReader } from './sensorthings-reader.js';

/** Pulled observations may lie this far in the future (clock skew between servers). */
const PULL_FUTURE_MS = 24 * 3_600_000;

/**
 * One pull of a SensorThings mapping, recorded like a feature harvest: Datastreams (with Thing,
 * Sensor, ObservedProperty and the Thing's location history), then each datastream's Observations
 * (with their FeaturesOfInterest) after the newest phenomenon time already harvested. Observations are stored page by page
 * (idempotently), so a failed pull keeps what it stored and the next one continues from there.
 */
export async function runSensorThingsPull(store: IngestStore, loaded: LoadedMapping, logger: Logger, options: HarvestRunOptions): Promise<HarvestRun> {
  const { mapping, redact } = loaded;
  if (!isSensorMapping(mapping) || mapping.source.type !== 'sensorthings') {
    throw new HarvestError(`mapping '${mapping.id}' has a ${mapping.source.type} source: its observations are pushed (MQTT, POST /observations), there is nothing to pull`);
  }
  const source = mapping.source;
  const warnings: RunWarning[] = [];
  const rejections: RunRejection[] = [];
  const warn = (location: string, message: string) => {
    if (warnings.length < RUN_DETAIL_LIMIT) warnings.push({ location: redact(location), message: redact(message) });
  };
  const http = createHttpClient({
    http: source.http,
    redact,
    onRetry: ({ attempt, attempts, delayMs, error }) => warn(error.url, `attempt ${attempt} of ${attempts} failed (${error.message}); retrying in ${(delayMs / 1000).toFixed(1)} s`),
  });
  const collection = mapping.target.collection;
  await store.runs.failAbandoned(collection);
  const runId = await store.runs.start({ mappingId: mapping.id, collectionId: collection, sourceType: 'sensorthings', sourceUrl: redact(source.url), trigger: options.trigger });
  const counts: RunCounts = { ...ZERO_COUNTS };
  const started = Date.now();
  logger.info({ mapping: mapping.id, runId, source: redact(source.url) }, 'SensorThings pull started');
  try {
    const { source: stored } = await registerSensorMapping(store, mapping);
    const reader = sensorThingsReader(mapping.id, source, http);
    const entries = [];
    for await (const page of reader.datastreams()) {
      if (options.signal?.aborted) throw new HarvestError('stopped because the service is shutting down');
      const rejected = await store.sensors.upsertDatastreams(stored.key, page.map((e) => e.record));
      for (const r of rejected) warn(`Datastream ${r.id}`, r.reason);
      const refused = new Set(rejected.map((r) => r.id));
      entries.push(...page.filter((e) => !refused.has(e.record.id)));
    }
    const known = new Map((await store.sensors.datastreamsOfSource(stored.key)).map((d) => [d.upstreamId, d]));
    const places: NamedPlace[] = [];
    for (const entry of entries) {
      const info = known.get(entry.record.upstreamId);
      if (!info) continue;
      const history = await reader.locations(entry, (message) => warn(entry.url, message));
      if (history.length) await store.sensors.replaceLocationHistory(history.map((location) => ({ key: info.key, location })));
      const current = history.at(-1)?.geometry;
      if (current?.type === 'Point') places.push({ id: info.id, lon: current.coordinates[0]!, lat: current.coordinates[1]! });
    }
    for (const place of swappedPlaces(places)) {
      warn(`Datastream ${place.id}`, `its place (${place.lon}, ${place.lat}) looks like latitude and longitude swapped: (${place.lat}, ${place.lon}) lies with the source's other places; stored as given (correct it upstream)`);
    }

    /** Keys of the FeaturesOfInterest stored in this pull, by upstream id. */
    const foiKeys = new Map<string, number>();
    for (const entry of entries) {
      const info = known.get(entry.record.upstreamId);
      if (!info) continue;
      const observed = new Set<number>();
      for await (const page of reader.observations(entry, info.harvestedUntil, (message) => warn(entry.url, message))) {
        if (options.signal?.aborted) throw new HarvestError('stopped because the service is shutting down');
        counts.pages++;
        counts.read += page.observations.length;
        const fresh = [...new Map(page.featuresOfInterest.flatMap((foi) => (foi && !foiKeys.has(foi.upstreamId) ? [[foi.upstreamId, foi] as const] : []))).values()];
        for (const [id, key] of await store.sensors.upsertFeaturesOfInterest(stored.key, fresh)) foiKeys.set(id, key);
        const now = Date.now();
        const outcome = await recordObservations(
          store,
          page.observations.map((input, index) => {
            const foi = page.featuresOfInterest[index];
            return { index, datastream: info, datastreamRef: info.id, input, featureOfInterestKey: foi ? (foiKeys.get(foi.upstreamId) ?? null) : null };
          }),
          { rules: () => mapping.observations, maxFutureMs: PULL_FUTURE_MS, now },
        );
        const features = page.featuresOfInterest.flatMap((foi) => (foi && foiKeys.has(foi.upstreamId) && !observed.has(foiKeys.get(foi.upstreamId)!) ? [foiKeys.get(foi.upstreamId)!] : []));
        await store.sensors.observedFeatures(info.key, [...new Set(features)]);
        for (const key of features) observed.add(key);
        counts.inserted += outcome.inserted;
        counts.unchanged += outcome.duplicates;
        counts.rejected += outcome.rejected.length;
        for (const r of outcome.rejected) {
          if (rejections.length < RUN_DETAIL_LIMIT) rejections.push({ id: String(page.observations[r.index]?.upstreamId ?? ''), location: redact(`${page.url} value[${r.index}]`), reason: r.reason });
        }
        // The normalised time (a zone-less time read at the mapping's offset, not the raw string),
        // and past rejected observations too: they are recorded once, not fetched again every run.
        let newest: { text: string; ms: number } | null = null;
        for (const observation of page.observations) {
          const start = settledStart(observation, { rules: mapping.observations, maxFutureMs: PULL_FUTURE_MS, now });
          if (start && (newest === null || start.ms > newest.ms)) newest = start;
        }
        if (newest) await store.sensors.setHarvestedUntil([{ key: info.key, until: newest.text }]);
      }
    }
    await store.sensors.refreshSourceExtent(stored.key);
    if (mapping.links.length) {
      const links = (await linksStale(store, mapping, stored)) ? await refreshLinks(store, mapping, stored) : await followMoves(store, mapping, stored, null);
      if (links.missingCollections.length) warn('links', `asset collections not found: ${links.missingCollections.join(', ')}`);
    }
    await store.runs.finish(runId, { status: 'succeeded', counts, expected: null, error: null, rejections, warnings });
    logger.info({ mapping: mapping.id, runId, ...counts, requests: reader.requests, ms: Date.now() - started }, 'SensorThings pull succeeded');
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error));
    await store.runs.finish(runId, { status: 'failed', counts, expected: null, error: message, rejections, warnings });
    if (error instanceof PlacelinkError) logger.warn({ mapping: mapping.id, runId, error: message }, 'SensorThings pull failed; observations stored before the failure are kept');
    else logger.error({ mapping: mapping.id, runId, err: error }, 'SensorThings pull failed unexpectedly');
  }
  return (await store.runs.get(runId))!;
}
