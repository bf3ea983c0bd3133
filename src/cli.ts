#!/usr/bin/env node
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import path from 'node:path';
import { loadConfig, type Config } from './config/env.js';
import { formatIssue, loadMappings, validateMappings, type LoadedMapping } from './config/mappings-loader.js';
import type { HarvestRun } from './domain/harvest-run.js';
import { progressReporter } from './ingest/harvest-progress.js';
import { runHarvest } from './ingest/harvest-runner.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open-database.js';
import { createStore } from './db/store.js';
import { defaultNamespace } from './db/collection-repository.js';
import { isValidCollectionId } from './domain/collection.js';
import { InvalidInputError, PlacelinkError } from './domain/errors.js';
import { resolveCrs } from './geo/crs-registry.js';
import { readGeoJsonFile } from './ingest/files/geojson-file.js';
import { createLogger, type Logger } from './logger.js';
import { createChangeFeed } from './services/change-feed.js';
import { importFeatures, inferQueryables } from './services/features/import-features.js';
import type { Store } from './services/ports/store.js';
import { parseAssetReference } from './services/sensors/link-assets.js';
import { sensorMappings } from './services/sensors/sensor-registry.js';
import { sensorService, type SensorService } from './services/sensors/sensor-service.js';

const USAGE = `placelink — OGC API Features and NGSI-LD over PostGIS

Usage:
  placelink serve                 apply pending migrations and start the HTTP service
  placelink migrate               apply pending migrations and exit
  placelink import <file> --collection <id> [options]
                                  load a GeoJSON file into a collection (created if missing); with
                                  $PLACELINK_MAPPINGS set, links of sensor mappings follow it
      --crs <EPSG code or URI>    CRS of the file's coordinates (default CRS84, or the file's legacy crs member)
      --title <text>              collection title (default: the id)
      --description <text>
      --id-property <name>        take feature ids from this property (default: the feature's id member)
      --time-property <name>      property holding the feature's date or date-time (for datetime queries)
      --namespace <ns>            INSPIRE namespace of the features (default placelink.<collection>)
      --skip-invalid              load the valid features and report the others (default: refuse the file)
  placelink ingest <mapping-id> [--mappings <path>]
                                  harvest the mapping's source now (progress on a terminal; exit 0
                                  when the run succeeded, 1 when it failed — the previous data stays)
  placelink runs [<mapping-id>] [--limit <n>] [--run <id>] [--json]
                                  list recorded harvest runs, or show one with its rejections
  placelink links refresh [<mapping-id>] [--mappings <path>]
                                  recompute the asset links of sensor mappings (all, or one) now
  placelink links explain --asset <collection>/<feature id> --datastream <id> [--json]
                                  say why an asset and a datastream are linked or not: every rule
                                  with distances, thresholds and the candidates it considered
  placelink mappings validate [path]
                                  check mapping files (default: $PLACELINK_MAPPINGS or ./mappings);
                                  every problem is printed as file:line:column: field: message
  placelink help

Configuration comes from the environment (DATABASE_URL, PORT, HOST, …; see README).`;

function fail(message: string): never {
  process.stderr.write(`placelink: ${message}\n`);
  process.exit(2);
}

async function serve(config: Config, logger: Logger): Promise<void> {
  // The HTTP stack is loaded only to serve, so one-shot commands stay light.
  const { startService } = await import('./main.js');
  const service = await startService(config, logger);
  service.prepared.catch((error) => {
    logger.fatal({ err: error }, 'database preparation failed');
    void service.stop().finally(() => process.exit(1));
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    service.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function runMigrations(config: Config, logger: Logger): Promise<void> {
  const opened = await openDatabase(config, logger, 'placelink-migrate');
  try {
    const { applied } = await migrate(opened.db, logger);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is current\n');
  } finally {
    await opened.close();
  }
}

function parseSrid(text: string): number {
  return resolveCrs(/^\d+$/.test(text) ? `EPSG:${text}` : text, '--crs').srid;
}

async function runImport(args: string[], config: Config, logger: Logger): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      collection: { type: 'string' },
      crs: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      'id-property': { type: 'string' },
      'time-property': { type: 'string' },
      namespace: { type: 'string' },
      'skip-invalid': { type: 'boolean', default: false },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length) fail('import takes exactly one file: placelink import <file> --collection <id>');
  const collectionId = values.collection;
  if (!collectionId) fail('--collection <id> is required');
  if (!isValidCollectionId(collectionId)) fail(`collection id '${collectionId}' must start with a letter or digit and contain only letters, digits, '_', '-', '.'`);

  const crs = values.crs ? resolveCrs(/^\d+$/.test(values.crs) ? `EPSG:${values.crs}` : values.crs, '--crs') : undefined;
  const namespace = values.namespace ?? defaultNamespace(collectionId);
  const read = await readGeoJsonFile(file, {
    namespace,
    ...(crs ? { crs } : {}),
    ...(values['id-property'] ? { idProperty: values['id-property'] } : {}),
    ...(values['time-property'] ? { timeProperty: values['time-property'] } : {}),
  });
  for (const issue of read.rejected.slice(0, 50)) process.stderr.write(`  ${issue.location}: ${issue.reason}\n`);
  if (read.rejected.length > 50) process.stderr.write(`  … and ${read.rejected.length - 50} more\n`);
  if (read.rejected.length && !values['skip-invalid']) {
    throw new InvalidInputError(`${read.rejected.length} of ${read.records.length + read.rejected.length} features are invalid; nothing was imported (use --skip-invalid to load the others)`, read.rejected);
  }

  // Sensor mappings whose links follow the import (checked before anything is written).
  const loaded = config.mappingsPath ? await loadMappings(config.mappingsPath) : [];
  await withSession(config, logger, 'placelink-import', loaded, async ({ store }) => {
    const existing = await store.collections.get(collectionId);
    const summary = await importFeatures(
      store,
      {
        id: collectionId,
        title: values.title ?? existing?.title ?? collectionId,
        description: values.description ?? existing?.description ?? null,
        keywords: existing?.keywords ?? [],
        license: existing?.license ?? null,
        attribution: existing?.attribution ?? null,
        sourceSrid: parseSrid(crs?.uri ?? read.sourceCrs.uri),
        inspireNamespace: namespace,
      },
      read.records,
      inferQueryables(read.records),
    );
    for (const repair of summary.repaired.slice(0, 50)) process.stderr.write(`  repaired ${repair.id}: ${repair.reason}\n`);
    for (const refusal of summary.rejected.slice(0, 50)) process.stderr.write(`  not written ${refusal.id}: ${refusal.reason}\n`);
    process.stdout.write(
      `${summary.collectionId}: ${summary.featureCount} features read from ${file} (${read.sourceCrs.uri}); ` +
        `${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged, ` +
        `${summary.repaired.length} geometries repaired, ${read.rejected.length + summary.rejected.length} rejected\n`,
    );
  });
}

/** The mappings location of one-shot commands: the argument, $PLACELINK_MAPPINGS, or ./mappings. */
function mappingsLocation(config: Config, argument: string | undefined): string {
  return argument ?? config.mappingsPath ?? 'mappings';
}

async function runMappings(args: string[], config: Config): Promise<void> {
  const [subcommand, location, ...extra] = args;
  if (subcommand !== 'validate' || extra.length) fail('usage: placelink mappings validate [path]');
  const results = await validateMappings(mappingsLocation(config, location));
  if (results.length === 0) fail(`no mapping files (*.yaml, *.yml, *.json) in ${mappingsLocation(config, location)}`);
  let problems = 0;
  for (const result of results) {
    const name = path.relative(process.cwd(), result.file) || result.file;
    if (result.loaded) {
      const { mapping, redact } = result.loaded;
      const from = mapping.source.type === 'file' ? mapping.source.path : mapping.source.type === 'http-push' ? 'POST /observations' : mapping.source.url;
      process.stdout.write(`${name}: ok — ${mapping.id}: ${mapping.source.type} ${redact(from)} → collection ${mapping.target.collection}\n`);
    }
    for (const issue of result.issues) process.stdout.write(`${formatIssue(issue)}\n`);
    problems += result.issues.length;
  }
  if (problems) {
    process.stderr.write(`placelink: ${problems} problem${problems === 1 ? '' : 's'} in ${results.filter((r) => r.issues.length).length} of ${results.length} mapping files\n`);
    process.exit(3);
  }
}

interface Session {
  readonly store: Store;
  readonly sensors: SensorService;
}

/**
 * Runs a one-shot command on a migrated store. The links of the loaded sensor mappings follow the
 * asset collections the command changes (reported on stdout), as they do in the service.
 */
async function withSession<T>(config: Config, logger: Logger, name: string, loaded: readonly LoadedMapping[], work: (session: Session) => Promise<T>): Promise<T> {
  const opened = await openDatabase(config, logger, name);
  try {
    await migrate(opened.db, logger);
    const changes = createChangeFeed(logger);
    const store = await createStore(opened.db, { changes });
    const sensors = sensorService(store, sensorMappings(loaded.map((m) => m.mapping)), logger, { maxFutureMs: config.observationsFutureSkewMs });
    changes.subscribe(async (change) => {
      if (change.kind !== 'features') return;
      for (const { mapping, summary } of await sensors.assetsChanged(change.collectionId, change.since)) {
        process.stdout.write(`links of ${mapping}: ${summary.opened} opened, ${summary.closed} closed, ${summary.updated} updated, ${summary.unchanged} unchanged\n`);
      }
    });
    return await work({ store, sensors });
  } finally {
    await opened.close();
  }
}

function runSummary(run: HarvestRun): string {
  const c = run.counts;
  const took = run.finishedAt ? ` in ${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s` : '';
  return (
    `run ${run.runId} ${run.status}${took}: ${c.read} read${run.expected !== null ? ` of ${run.expected}` : ''} in ${c.pages} pages; ` +
    `${c.inserted} inserted, ${c.updated} updated, ${c.unchanged} unchanged, ${c.retired} retired, ${c.purged} purged, ` +
    `${c.rejected} rejected, ${c.repaired} repaired, ${c.duplicates} duplicates`
  );
}

/**
 * A harvest streams: its live heap stays near 50 MB whatever the source's size, but V8 by default
 * lets the heap grow to several times that before collecting. A batch job favours a bounded
 * footprint over the last few per cent of speed (set NODE_OPTIONS to override).
 */
function boundHeapGrowth(): void {
  if (!/heap-growing-percent|max-old-space-size/.test(`${process.env['NODE_OPTIONS'] ?? ''} ${process.execArgv.join(' ')}`)) {
    v8.setFlagsFromString('--heap-growing-percent=30');
  }
}

async function runIngest(args: string[], config: Config, logger: Logger): Promise<void> {
  boundHeapGrowth();
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { mappings: { type: 'string' } } });
  const [mappingId, ...extra] = positionals;
  if (!mappingId || extra.length) fail('usage: placelink ingest <mapping-id> [--mappings <path>]');
  const loaded = await loadMappings(mappingsLocation(config, values.mappings));
  const chosen = loaded.find((m) => m.mapping.id === mappingId);
  if (!chosen) fail(`no mapping '${mappingId}' in ${mappingsLocation(config, values.mappings)} (there are: ${loaded.map((m) => m.mapping.id).join(', ') || 'none'})`);
  const run = await withSession(config, logger, 'placelink-ingest', loaded, async ({ store }) => {
    const progress = progressReporter(process.stderr);
    try {
      return await runHarvest(store, chosen, logger, { trigger: 'cli', onProgress: (p) => progress.update(p) });
    } finally {
      progress.done();
    }
  });
  for (const rejection of run.rejections.slice(0, 20)) process.stderr.write(`  rejected ${rejection.id ?? '(no id)'} at ${rejection.location}: ${rejection.reason}\n`);
  if (run.counts.rejected > 20) process.stderr.write(`  … ${run.counts.rejected - 20} more rejections (placelink runs --run ${run.runId})\n`);
  for (const warning of run.warnings.slice(0, 10)) process.stderr.write(`  warning at ${warning.location}: ${warning.message}\n`);
  process.stdout.write(`${chosen.mapping.id} → ${chosen.mapping.target.collection}: ${runSummary(run)}\n`);
  if (run.status === 'failed') {
    process.stderr.write(`placelink: the harvest failed: ${run.error}\nThe collection keeps its previous data.\n`);
    process.exit(1);
  }
}

async function runLinks(args: string[], config: Config, logger: Logger): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { mappings: { type: 'string' }, asset: { type: 'string' }, datastream: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (subcommand !== 'refresh' && subcommand !== 'explain') fail('usage: placelink links refresh [<mapping-id>] | placelink links explain --asset <collection>/<id> --datastream <id>');
  const loaded = config.mappingsPath || values.mappings ? await loadMappings(mappingsLocation(config, values.mappings)) : [];
  const mappings = sensorMappings(loaded.map((m) => m.mapping));
  await withSession(config, logger, 'placelink-links', loaded, async ({ sensors }) => {
    await sensors.prepare();
    if (subcommand === 'refresh') {
      const [only, ...extra] = positionals;
      if (extra.length) fail('usage: placelink links refresh [<mapping-id>]');
      const chosen = mappings.filter((m) => m.links.length > 0 && (!only || m.id === only));
      if (only && chosen.length === 0) fail(`no sensor mapping '${only}' with link rules (sensor mappings: ${mappings.map((m) => m.id).join(', ') || 'none'})`);
      for (const mapping of chosen) {
        const summary = await sensors.refreshLinks(mapping.id);
        const missing = summary.missingCollections.length ? `; asset collections not found: ${summary.missingCollections.join(', ')}` : '';
        process.stdout.write(`${mapping.id}: ${summary.opened} links opened, ${summary.closed} closed, ${summary.updated} updated, ${summary.unchanged} unchanged${missing}\n`);
      }
      return;
    }
    if (!values.asset || !values.datastream) fail('usage: placelink links explain --asset <collection>/<feature id> --datastream <id>');
    const explanation = await sensors.explainLink({ ...parseAssetReference(values.asset), datastreamId: values.datastream });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${explanation.asset.collection}/${explanation.asset.id} ↔ ${explanation.datastream.id}: ${explanation.summary}\n`);
    for (const rule of explanation.rules) {
      const declared = rule.declaredIn === explanation.datastream.source ? '' : `, declared in ${rule.declaredIn}`;
      process.stdout.write(`  ${rule.rule} (${rule.kind}, priority ${rule.priority}${declared}${rule.applies ? '' : ', does not apply'}): ${rule.reason}\n`);
      if (rule.candidates.length) process.stdout.write(`    considered: ${rule.candidates.map((c) => `${c.assetId} ${c.distanceM} m`).join(', ')}\n`);
    }
    for (const link of explanation.history) process.stdout.write(`  link ${link.linkId}: ${link.rule}, ${link.validFrom} → ${link.validTo ?? 'now'}\n`);
  });
}

async function runRuns(args: string[], config: Config, logger: Logger): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { limit: { type: 'string', default: '20' }, run: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) fail('--limit must be an integer from 1 to 1000');
  await withSession(config, logger, 'placelink-runs', [], async ({ store }) => {
    if (values.run) {
      const run = await store.runs.get(Number(values.run));
      if (!run) fail(`no run ${values.run}`);
      if (values.json) return void process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
      process.stdout.write(`${run.mappingId} → ${run.collectionId} (${run.sourceType} ${run.sourceUrl}), ${run.trigger}, started ${run.startedAt}\n${runSummary(run)}\n`);
      if (run.error) process.stdout.write(`error: ${run.error}\n`);
      for (const r of run.rejections) process.stdout.write(`  rejected ${r.id ?? '(no id)'} at ${r.location}: ${r.reason}\n`);
      for (const w of run.warnings) process.stdout.write(`  warning at ${w.location}: ${w.message}\n`);
      return;
    }
    const runs = await store.runs.list({ ...(positionals[0] ? { mappingId: positionals[0] } : {}), limit });
    if (values.json) return void process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    if (runs.length === 0) return void process.stdout.write('no runs recorded\n');
    for (const run of runs) process.stdout.write(`${run.startedAt}  ${run.mappingId.padEnd(20)} ${runSummary(run)}${run.error ? `\n    error: ${run.error}` : ''}\n`);
  });
}

async function main(argv: string[]): Promise<void> {
  const [command = 'help', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  // One-shot commands keep the terminal for their own output unless asked to be chatty.
  const logger = createLogger(command === 'serve' || process.env['LOG_LEVEL'] ? config.logLevel : 'warn');
  switch (command) {
    case 'serve':
      return serve(config, logger);
    case 'migrate':
      return runMigrations(config, logger);
    case 'import':
      return runImport(rest, config, logger);
    case 'mappings':
      return runMappings(rest, config);
    case 'ingest':
      return runIngest(rest, config, logger);
    case 'links':
      return runLinks(rest, config, logger);
    case 'runs':
      return runRuns(rest, config, logger);
    default:
      fail(`unknown command '${command}'\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof PlacelinkError) {
    process.stderr.write(`placelink: ${error.message}\n`);
    process.exit(error instanceof InvalidInputError ? 3 : 1);
  }
  if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail(error.message);
  process.stderr.write(`placelink: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
