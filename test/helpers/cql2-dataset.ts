import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { parseGeoJson } from '../../src/ingest/files/geojson-file.js';
import { importFeatures, inferQueryables } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';
import { uniqueId } from './database.js';
import { conformanceDir } from './environment.js';

/** OGC conformance material, read in place (shared/conformance): CQL2 data set, examples, schemas. */
export const CONFORMANCE_DIR = conformanceDir();
export const CQL2_DIR = path.join(CONFORMANCE_DIR, 'cql2');
export const CQL2_TABLES = ['ne_110m_admin_0_countries', 'ne_110m_populated_places_simple', 'ne_110m_rivers_lake_centerlines'] as const;
export type Cql2Table = (typeof CQL2_TABLES)[number];

const GPKG = path.join(CQL2_DIR, 'data', 'ne110m4cql2.gpkg');

function hasOgr2ogr(): boolean {
  try {
    execFileSync('ogr2ogr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the OGC data set cannot be loaded here, or null when it can. */
export function cql2DatasetMissing(): string | null {
  if (!existsSync(GPKG)) return `the OGC CQL2 test data set is not at ${GPKG} (set PLACELINK_CONFORMANCE)`;
  if (!hasOgr2ogr()) return 'ogr2ogr (gdal-bin) is not installed';
  return null;
}

export interface Cql2Row {
  readonly conformance_class: string;
  readonly data_source: Cql2Table;
  readonly predicate_cql2_text: string;
  readonly expected_count: number;
}

export interface Cql2Expected {
  readonly predicates: readonly Cql2Row[];
  /** The basic-cql2 logical test: p1…p4 substituted into the template. */
  readonly logical_combinations: {
    readonly data_source: Cql2Table;
    readonly template: string;
    readonly rows: ReadonlyArray<{ readonly p1: string; readonly p2: string; readonly p3: string; readonly p4: string; readonly expected_count: number }>;
  };
}

export function cql2Expected(): Cql2Expected {
  return JSON.parse(readFileSync(path.join(CQL2_DIR, 'expected-results.json'), 'utf8')) as Cql2Expected;
}

const run = promisify(execFile);

/**
 * Loads the three tables of ne110m4cql2.gpkg through placelink's own import path: ogr2ogr writes
 * GeoJSON (ids = GeoPackage fids, 17 significant digits so coordinates round-trip exactly), the
 * GeoJSON reader and importFeatures store it, with the inferred queryables plus the geometry
 * queryable `geom` the OGC test suite names.
 */
export interface Cql2Dataset {
  /** table → collection id */
  readonly collections: Record<Cql2Table, string>;
  /** table → the records as imported */
  readonly records: Record<Cql2Table, FeatureRecord[]>;
}

export async function loadCql2Dataset(store: Store): Promise<Cql2Dataset> {
  const ids = {} as Record<Cql2Table, string>;
  const records = {} as Record<Cql2Table, FeatureRecord[]>;
  for (const table of CQL2_TABLES) {
    const { stdout } = await run('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', GPKG, table, '-preserve_fid'], { maxBuffer: 64 * 1024 * 1024 });
    const id = uniqueId(table);
    const read = parseGeoJson(stdout, `${table}.geojson`, { namespace: `ogc.cql2.${table}` });
    if (read.rejected.length) throw new Error(`${table}: ${read.rejected.length} features rejected: ${read.rejected[0]!.reason}`);
    await importFeatures(store, { id, title: table, sourceSrid: 4326 }, read.records, {
      ...inferQueryables(read.records),
      geom: { type: 'geometry', role: 'primary-geometry', title: 'geom' },
    });
    ids[table] = id;
    records[table] = read.records;
  }
  return { collections: ids, records };
}
