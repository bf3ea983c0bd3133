/**
 * `npm run bench:ingest`: three measurements of the ingest side, each against a reference taken in
 * the same run on the same machine:
 *   1. GML: MB/s of placelink's reader (streamed parse, INSPIRE flattening, geometry, reprojection,
 *      mapping rules) ÷ MB/s of saxes alone (the same parser, no-op handlers) on the same file;
 *   2. WFS harvest: features/s of a full harvest of the MapServer peer's 200 000 street lights
 *      with mappings/streetlights.yaml (WFS 2.0, GeoJSON as offered; GML 3.2 too, for scale) ÷
 *      rows/s of a raw `COPY` of the same rows into PostGIS: into a table of placelink's own
 *      layout, and (for scale) into a bare three-column table;
 *   3. peak RSS of `placelink ingest` harvesting 1 000 000 features (a GML file), with Node's
 *      default heap sizing and with --max-old-space-size=160.
 *
 * Knobs: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/placelink_bench_ingest, recreated),
 * BENCH_PARTS (gml,harvest,million), BENCH_ROUNDS (5: first harvests and COPYs, median reported), BENCH_GML_FEATURES (50000), BENCH_MILLION (1000000),
 * BENCH_OUT (.bench/ingest-results.json).
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextDecoder } from 'node:util';
import pg from 'pg';
import { SaxesParser } from 'saxes';
import { validateMappingText, type LoadedMapping } from '../src/config/mappings-loader.js';
import { createDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createStore } from '../src/db/store.js';
import { readGml, type GmlReadResult } from '../src/ingest/gml/gml-reader.js';
import { runHarvest } from '../src/ingest/harvest-runner.js';
import { recordMapper } from '../src/ingest/mapping/apply-mapping.js';
import { createLogger } from '../src/logger.js';
import { log, median, recreateDatabase as recreateDatabaseAt } from './bench-support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/placelink_bench_ingest';
const MAPSERVER = process.env['PLACELINK_PEER_MAPSERVER'] ?? 'http://127.0.0.1:8081/mapserv';
const PEERS_DB = process.env['PLACELINK_PEERS_DB'] ?? 'postgresql://peers:peers@127.0.0.1:5432/peers';
const GML_FEATURES = Number(process.env['BENCH_GML_FEATURES'] ?? 50_000);
const MILLION = Number(process.env['BENCH_MILLION'] ?? 1_000_000);
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'gml,harvest,million').split(','));
/** Rounds of the first harvest and of the COPY it is compared with: this shared 2-core machine varies by a third from run to run; the median round counts. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const OUT = process.env['BENCH_OUT'] ?? path.join(ROOT, '.bench', 'ingest-results.json');
const logger = createLogger('warn');
const results: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.loadavg()[0]!.toFixed(2)} load at start` };

const mb = (bytes: number) => bytes / 1e6;

async function reachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function recreateDatabase(): Promise<void> {
  await recreateDatabaseAt(DATABASE_URL);
  const db = createDatabase({ connectionString: DATABASE_URL, poolSize: 2, statementTimeoutMs: 600_000 }, logger);
  await migrate(db, logger);
  await db.close();
}

async function mapping(yaml: string, file: string): Promise<LoadedMapping> {
  const result = await validateMappingText(yaml, file, {});
  if (!result.loaded) throw new Error(result.issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  return result.loaded;
}

/** A GML 3.2 WFS answer with `count` street lights: the MapServer peer's own output when it is up, else one written like it. */
async function gmlFile(directory: string, count: number, peers: boolean): Promise<string> {
  const file = path.join(directory, `streetlights-${count}.gml`);
  if (peers) {
    const response = await fetch(`${MAPSERVER}?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=ms:streetlights&COUNT=${count}&SRSNAME=urn:ogc:def:crs:EPSG::25832`);
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    return file;
  }
  const handle = await open(file, 'w');
  await handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection xmlns:ms="http://mapserver.gis.umn.edu/mapserver" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:wfs="http://www.opengis.net/wfs/2.0">\n');
  for (let i = 1; i <= count; i++) {
    const id = `SL-${String(i).padStart(6, '0')}`;
    await handle.write(
      `<wfs:member><ms:streetlights gml:id="streetlights.${id}"><ms:geom><gml:Point gml:id="streetlights.${id}.1" srsName="urn:ogc:def:crs:EPSG::25832"><gml:pos>${(550000 + (i % 1000) * 7.3).toFixed(6)} ${(5800000 + Math.floor(i / 1000) * 11.9).toFixed(6)}</gml:pos></gml:Point></ms:geom><ms:id>${id}</ms:id><ms:status>in_operation</ms:status><ms:lamp_type>LED</ms:lamp_type><ms:wattage>${20 + (i % 9) * 10}</ms:wattage><ms:installed gml:id="streetlights.${id}.installed"><gml:timePosition>19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}</gml:timePosition></ms:installed><ms:street>Street ${i % 500}</ms:street></ms:streetlights></wfs:member>\n`,
    );
  }
  await handle.write('</wfs:FeatureCollection>\n');
  await handle.close();
  return file;
}

async function best<T>(runs: number, work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let fastest = Infinity;
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    value = await work();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: fastest, value: value! };
}

async function measureGml(file: string): Promise<void> {
  const bytes = statSync(file).size;
  const events = await best(3, async () => {
    const parser = new SaxesParser({ xmlns: true, position: true });
    let count = 0;
    parser.on('opentag', () => count++);
    parser.on('text', () => {});
    parser.on('closetag', () => {});
    const decoder = new TextDecoder('utf-8');
    for await (const chunk of createReadStream(file)) parser.write(decoder.decode(chunk as Buffer, { stream: true }));
    parser.close();
    return count;
  });
  const loaded = await mapping(readFileSync(path.join(ROOT, 'mappings/streetlights.yaml'), 'utf8'), path.join(ROOT, 'mappings/streetlights.yaml'));
  const map = recordMapper(loaded.mapping);
  const pipeline = await best(3, async () => {
    const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings: [] };
    let records = 0;
    for await (const record of readGml(createReadStream(file), { defaultCrs: null, ignoreSrsName: false, axisOrder: 'auto', densifyTolerance: 0.1, source: 'bench' }, result)) {
      if ('record' in map(record)) records++;
    }
    return records;
  });
  const eventsMBs = mb(bytes) / (events.ms / 1000);
  const pipelineMBs = mb(bytes) / (pipeline.ms / 1000);
  results['gml'] = { file: path.basename(file), megabytes: +mb(bytes).toFixed(1), features: pipeline.value, saxesEventsOnlyMBs: +eventsMBs.toFixed(1), placelinkMBs: +pipelineMBs.toFixed(1), ratio: +(pipelineMBs / eventsMBs).toFixed(3) };
  log(`GML: saxes events only ${eventsMBs.toFixed(1)} MB/s; placelink reader + mapping ${pipelineMBs.toFixed(1)} MB/s (${pipeline.value} features) → ratio ${(pipelineMBs / eventsMBs).toFixed(3)} (goal ≥ 0.3)`);
}

function psql(args: string[], input?: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('psql', args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'inherit'] });
    if (input) input.pipe(child.stdin!);
    child.once('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`psql exited ${code}`))));
  });
}

/** Raw COPY of the street lights into a bare table (id, geometry in EPSG:4326, attributes as JSON), piped from the peers database. */
function bareCopy(): Promise<number> {
  const select = "SELECT id, ST_Transform(geom, 4326), json_build_object('status', status, 'lamp_type', lamp_type, 'wattage', wattage, 'installed', installed, 'street', street) FROM streetlights";
  const source = spawn('psql', [PEERS_DB, '-qc', `\\copy (${select}) TO STDOUT`], { stdio: ['ignore', 'pipe', 'inherit'] });
  return psql([DATABASE_URL, '-qc', '\\copy copy_bench FROM STDIN'], source.stdout);
}

/**
 * Raw COPY of the rows the harvest stored, as stored (every column but the generated GeoJSON), into a
 * table of placelink's own layout (LIKE the collection's partition: the same indexes, constraints and
 * generated column): what the database itself needs to store these rows.
 */
async function sameLayoutCopy(client: pg.Client, directory: string): Promise<number> {
  const { rows } = await client.query<{ key: number; partition: string }>("SELECT collection_key AS key, 'feature_c' || collection_key AS partition FROM collection WHERE id = 'streetlights'");
  const { key, partition } = rows[0]!;
  const { rows: columns } = await client.query<{ name: string }>(
    "SELECT quote_ident(column_name) AS name FROM information_schema.columns WHERE table_name = 'feature' AND is_generated = 'NEVER' ORDER BY ordinal_position",
  );
  const list = columns.map((c) => c.name).join(', ');
  const file = path.join(directory, 'streetlights.copy');
  await psql([DATABASE_URL, '-qc', `\\copy (SELECT ${list} FROM feature WHERE collection_key = ${Number(key)}) TO '${file}'`]);
  await client.query(`DROP TABLE IF EXISTS copy_layout; CREATE TABLE copy_layout (LIKE ${partition} INCLUDING ALL)`);
  return psql([DATABASE_URL, '-qc', `\\copy copy_layout (${list}) FROM '${file}'`]);
}

/** The upstream's own pace: the harvest's pages, downloaded one after another and thrown away. */
async function upstreamRate(pageSize: number, format: string | null): Promise<number> {
  const download = await best(1, async () => {
    for (let start = 0; start < 200_000; start += pageSize) {
      const response = await fetch(
        `${MAPSERVER}?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=ms:streetlights&COUNT=${pageSize}&STARTINDEX=${start}&SORTBY=id%20ASC&SRSNAME=urn:ogc:def:crs:EPSG::25832${format ? `&OUTPUTFORMAT=${format}` : ''}`,
      );
      await response.arrayBuffer();
    }
  });
  return 200_000 / (download.ms / 1000);
}

/**
 * Each measured round starts after a checkpoint: one falling inside a round (the harvests write
 * gigabytes of WAL) makes that round pay for full-page images the others do not.
 */
async function checkpoint(): Promise<void> {
  const client = new pg.Client(DATABASE_URL);
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } catch (error) {
    log(`no CHECKPOINT before the round (${(error as Error).message}); rounds may differ more`);
  } finally {
    await client.end();
  }
}

async function measureHarvest(directory: string): Promise<void> {
  const db = createDatabase({ connectionString: DATABASE_URL, poolSize: 4, statementTimeoutMs: 600_000 }, logger);
  const store = await createStore(db);
  // The example mapping as shipped: GeoJSON (MapServer offers it), pages of 20 000.
  const shipped = await mapping(readFileSync(path.join(ROOT, 'mappings/streetlights.yaml'), 'utf8').replace(/\$\{PLACELINK_STREETLIGHTS_WFS:-[^}]*\}/, MAPSERVER), path.join(ROOT, 'mappings/streetlights.yaml'));
  const source = shipped.mapping.source;
  if (source.type !== 'wfs') throw new Error('mappings/streetlights.yaml is not a WFS mapping');
  // The same with GML 3.2 into a collection of its own, for scale.
  const gml: LoadedMapping = { ...shipped, mapping: { ...shipped.mapping, source: { ...source, outputFormat: 'gml' }, target: { ...shipped.mapping.target, collection: 'streetlights-gml' } } };
  const rate = (run: Awaited<ReturnType<typeof runHarvest>>) => {
    if (run.status !== 'succeeded') throw new Error(`harvest failed: ${run.error}`);
    return run.counts.read / ((Date.parse(run.finishedAt!) - Date.parse(run.startedAt)) / 1000);
  };
  // First harvests into an empty collection, ROUNDS times (removed in between): the median round.
  const firstRates: number[] = [];
  let first: Awaited<ReturnType<typeof runHarvest>> | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) await store.collections.remove(shipped.mapping.target.collection);
    await checkpoint();
    first = await runHarvest(store, shipped, logger, { trigger: 'cli' });
    firstRates.push(Math.round(rate(first)));
    log(`harvest round ${round + 1}: ${firstRates.at(-1)} features/s`);
  }
  const second = await runHarvest(store, shipped, logger, { trigger: 'cli' });
  const firstGml = await runHarvest(store, gml, logger, { trigger: 'cli' });
  await db.close();
  const client = new pg.Client(DATABASE_URL);
  await client.connect();
  await client.query('CREATE TABLE copy_bench (id text PRIMARY KEY, geom geometry(Point, 4326), properties jsonb)');
  const bareMs = await bareCopy();
  const layoutRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await checkpoint();
    layoutRates.push(Math.round(200_000 / ((await sameLayoutCopy(client, directory)) / 1000)));
    log(`COPY into the same layout, round ${round + 1}: ${layoutRates.at(-1)} rows/s`);
  }
  await client.end();
  const upstreamJson = await upstreamRate(source.pageSize, 'geojson');
  const upstreamGml = await upstreamRate(source.pageSize, null);
  const harvestRate = median(firstRates);
  const bareRate = 200_000 / (bareMs / 1000);
  const layoutRate = median(layoutRates);
  results['wfsHarvest'] = {
    features: first!.counts.read,
    pageSize: source.pageSize,
    outputFormat: 'GeoJSON (outputFormat: auto)',
    rounds: ROUNDS,
    firstHarvestRoundFeaturesPerSecond: firstRates,
    copyIntoSameLayoutRoundRowsPerSecond: layoutRates,
    firstHarvestFeaturesPerSecond: Math.round(harvestRate),
    unchangedHarvestFeaturesPerSecond: Math.round(rate(second)),
    gmlFirstHarvestFeaturesPerSecond: Math.round(rate(firstGml)),
    copyIntoSameLayoutRowsPerSecond: Math.round(layoutRate),
    ratioToSameLayoutCopy: +(harvestRate / layoutRate).toFixed(3),
    copyIntoBareTableRowsPerSecond: Math.round(bareRate),
    ratioToBareTableCopy: +(harvestRate / bareRate).toFixed(3),
    mapserverDownloadOnlyGeoJsonFeaturesPerSecond: Math.round(upstreamJson),
    mapserverDownloadOnlyGmlFeaturesPerSecond: Math.round(upstreamGml),
  };
  log(`WFS harvest of the MapServer peer's 200 000 street lights (mappings/streetlights.yaml: GeoJSON, pages of ${source.pageSize}), median of ${ROUNDS} first harvests: ${Math.round(harvestRate)} features/s; unchanged re-harvest ${Math.round(rate(second))}/s; with GML 3.2 ${Math.round(rate(firstGml))}/s`);
  log(`  ÷ raw COPY of the same rows into placelink's table layout (same indexes, generated GeoJSON), median of ${ROUNDS}: ${Math.round(layoutRate)} rows/s → ratio ${(harvestRate / layoutRate).toFixed(3)} (goal ≥ 0.4)`);
  log(`  ÷ raw COPY into a bare table (id primary key, geometry, jsonb; no other index): ${Math.round(bareRate)} rows/s → ratio ${(harvestRate / bareRate).toFixed(3)}`);
  log(`  for scale: MapServer alone serves these pages at ${Math.round(upstreamJson)} features/s as GeoJSON, ${Math.round(upstreamGml)} as GML (downloaded and discarded)`);
}

/** Peak RSS (VmHWM) of `placelink ingest` harvesting a file of `count` features. */
async function peakRss(directory: string, file: string, count: number, nodeFlags: string[]): Promise<{ peakMB: number; seconds: number }> {
  const collection = `bench-million-${nodeFlags.length ? 'capped' : 'default'}`;
  writeFileSync(path.join(directory, `${collection}.yaml`), `id: ${collection}\nsource:\n  type: file\n  path: ${file}\ntarget:\n  collection: ${collection}\nidentifiers:\n  id: id\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL, PLACELINK_MAPPINGS: directory, LOG_LEVEL: 'warn' };
  const start = Date.now();
  const child = spawn(process.execPath, [...nodeFlags, path.join(ROOT, 'dist/cli.js'), 'ingest', collection], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', () => {});
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
    } catch {
      // the process has ended
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  if (code !== 0 || !output.includes(`${count} read`)) throw new Error(`ingest of ${count} features failed (exit ${code}): ${output}`);
  return { peakMB: Math.round(peak / 1024), seconds: (Date.now() - start) / 1000 };
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: run npm run build');
  const peers = (await reachable(`${MAPSERVER}?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities`)) && existsSync('/usr/bin/psql');
  if (!peers) log(`the MapServer peer at ${MAPSERVER} (or psql) is not available: the GML file is synthesized and the WFS harvest ratio is skipped (start the peers: bash ../shared/peers/setup.sh)`);
  await recreateDatabase();
  const directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-bench-ingest-'));
  try {
    if (PARTS.has('gml')) await measureGml(await gmlFile(directory, GML_FEATURES, peers));
    if (peers && PARTS.has('harvest')) await measureHarvest(directory);
    if (PARTS.has('million')) {
      log(`writing a GML file of ${MILLION} features …`);
      const million = await gmlFile(directory, MILLION, false);
      const standard = await peakRss(directory, million, MILLION, []);
      log(`1M harvest, default heap sizing: peak RSS ${standard.peakMB} MB in ${standard.seconds.toFixed(0)} s (goal < 300 MB)`);
      const capped = await peakRss(directory, million, MILLION, ['--max-old-space-size=160']);
      log(`1M harvest, --max-old-space-size=160: peak RSS ${capped.peakMB} MB in ${capped.seconds.toFixed(0)} s`);
      results['million'] = { features: MILLION, fileMegabytes: +mb(statSync(million).size).toFixed(0), defaultHeap: standard, maxOldSpace160: capped, featuresPerSecond: Math.round(MILLION / standard.seconds) };
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${JSON.stringify(results, null, 2)}\nresults written to ${path.relative(process.cwd(), OUT)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
