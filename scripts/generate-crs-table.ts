/**
 * Regenerates src/geo/crs-definitions.json from PROJ's database (the EPSG dataset as PROJ ships it):
 *   node --import tsx scripts/generate-crs-table.ts > src/geo/crs-definitions.json
 * Needs `projinfo` and `sqlite3` (Debian: proj-bin, sqlite3) and /usr/share/proj/proj.db.
 * To support another CRS, add its code to CODES and run it again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PROJ_DB = process.env['PROJ_DB'] ?? '/usr/share/proj/proj.db';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const CODES = [
  4326, 4979, 4258, 4937, 4269, 4171, 3857, 3395, 3035, 3034, ...range(3038, 3051), ...range(25828, 25838), ...range(32628, 32638),
  ...range(31466, 31469), 2154, 27700, 28992, 31370, 3067, 3006, 2056, 5514, 2180, 3763, 2100, 2169, 3416, 31287, 3794, 3301, 3059, 3346,
  // world and UTM zones (WGS 84 north/south, NAD83, NAD27 13N) seen in WFS/OGC API responses
  4087, 4088, 3786, 3031, ...range(32601, 32627), ...range(32639, 32660), ...range(32701, 32760), ...range(26901, 26923), 26713,
  // compound CRSs (horizontal + height) used by INSPIRE and city 3D data
  5555, 5556, 7415, 7416, 7409,
  // PTRA08 (Azores and Madeira) and its UTM zones, named by the INSPIRE validator (helpdesk issue 307)
  5013, 5014, 5015,
];

const PROJ_DATA = process.env['PROJ_DATA'] ?? '/usr/share/proj';

/** One way PROJ takes the CRS's datum to WGS 84, where it applies and how accurate it is. */
export interface GeneratedDatumShift {
  /** [west, south, east, north] in degrees (west > east: across the antimeridian) */
  bbox: [number, number, number, number];
  /** metres; null: unknown (ballpark) */
  accuracy: number | null;
  /** proj4 parameter: +towgs84=… or +nadgrids=…, '' for none */
  parameter: string;
}

const TRANSFORMATION_TABLES = "'helmert_transformation', 'grid_transformation', 'other_transformation', 'concatenated_operation'";

/**
 * The candidate datum shifts to WGS 84 that PROJ itself (and so PostGIS ST_Transform) considers
 * for the CRS's geodetic datum, with the grids installed here, in PROJ's order. At run time the
 * most accurate one whose area contains a position is used, as PROJ's proj_trans does. A Helmert (or
 * Molodensky-Badekas, rewritten as the equivalent Helmert) becomes +towgs84, an NTv2 grid +nadgrids
 * (src/geo/reproject.ts loads it from PROJ's data directory), a ballpark offset nothing.
 */
function datumShifts(geodeticCode: string): { shifts: GeneratedDatumShift[]; ellps: string | null } {
  if (geodeticCode === '4326') return { shifts: [], ellps: null };
  const output = execFileSync('projinfo', ['-s', `EPSG:${geodeticCode}`, '-t', 'EPSG:4326', '-o', 'PROJ', '--single-line', '--spatial-test', 'intersects', '--grid-check', 'discard_missing'], { encoding: 'utf8' });
  const shifts: GeneratedDatumShift[] = [];
  let ellps: string | null = null;
  for (const block of output.split(/^-+$/m).slice(1)) {
    const header = /^([^,\n]+), (.*?), (unknown accuracy|[\d.]+ m), /m.exec(block);
    const pipeline = /^\+proj=.*$/m.exec(block)?.[0];
    if (!header || !pipeline) continue;
    ellps ??= /\+ellps=(\S+)/.exec(pipeline)?.[1] ?? null;
    const code = /(?:EPSG|DERIVED_FROM\(EPSG\)):(\d+)/.exec(header[1]!)?.[1];
    const accuracy = header[3] === 'unknown accuracy' ? null : Number.parseFloat(header[3]!);
    const [extent] = code
      ? sqlite(`SELECT e.west_lon, e.south_lat, e.east_lon, e.north_lat FROM usage u JOIN extent e ON e.auth_name = u.extent_auth_name AND e.code = u.extent_code
                WHERE u.object_auth_name = 'EPSG' AND u.object_code = '${code}' AND u.object_table_name IN (${TRANSFORMATION_TABLES}) LIMIT 1`)
      : [];
    const bbox = (extent ? extent.map(Number) : [-180, -90, 180, 90]) as [number, number, number, number];
    const grid = /\+proj=hgridshift \+grids=(\S+)/.exec(pipeline)?.[1];
    if (grid) {
      if (/\+inv \+proj=hgridshift/.test(pipeline)) continue;
      // proj4 reads NTv2 (.gsb); PROJ >= 7 names the GeoTIFF version of the same grid.
      const [alternative] = sqlite(`SELECT coalesce(old_proj_grid_name, ''), proj_grid_name FROM grid_alternatives WHERE proj_grid_name = '${grid}' OR original_grid_name = '${grid}'`);
      const file = [alternative?.[0], alternative?.[1], grid].find((name) => name?.endsWith('.gsb'));
      if (!file || !existsSync(`${PROJ_DATA}/${file}`)) continue;
      shifts.push({ bbox, accuracy, parameter: `+nadgrids=${file}` });
      continue;
    }
    const helmert = helmertOf(pipeline);
    if (!helmert && /gridshift|deformation|tinshift/.test(pipeline)) continue;
    shifts.push({ bbox, accuracy, parameter: helmert ? `+towgs84=${helmert}` : '' });
  }
  return { shifts, ellps };
}

function helmertOf(pipeline: string): string | null {
  const step = /\+proj=(helmert|molobadekas)((?: \+[a-z_0-9]+(?:=\S+)?)*)/.exec(pipeline);
  if (!step) return null;
  const params = Object.fromEntries([...step[2]!.matchAll(/\+([a-z_0-9]+)(?:=(\S+))?/g)].map((m) => [m[1]!, m[2] ?? '']));
  const n = (key: string) => Number(params[key] ?? 0);
  // proj4's towgs84 uses the position-vector convention.
  const sign = params['convention'] === 'coordinate_frame' ? -1 : 1;
  let [tx, ty, tz] = [n('x'), n('y'), n('z')];
  const [rx, ry, rz] = [sign * n('rx'), sign * n('ry'), sign * n('rz')];
  const scale = n('s');
  if (step[1] === 'molobadekas') {
    // X' = T + P + (1+s)R(X - P)  is the Helmert  X' = T' + (1+s)R X  with  T' = T + P - (1+s)R P.
    const arc = Math.PI / (180 * 3600);
    const [a, b, c] = [rx * arc, ry * arc, rz * arc];
    const [px, py, pz] = [n('px'), n('py'), n('pz')];
    const k = 1 + scale * 1e-6;
    tx += px - k * (px - c * py + b * pz);
    ty += py - k * (c * px + py - a * pz);
    tz += pz - k * (-b * px + a * py + pz);
  }
  const values = rx || ry || rz || scale ? [tx, ty, tz, rx, ry, rz, scale] : [tx, ty, tz];
  return values.map((v) => String(Number(v.toFixed(10)))).join(',');
}

function sqlite(sql: string): string[][] {
  return execFileSync('sqlite3', ['-separator', '|', PROJ_DB, sql], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('|'));
}

export interface GeneratedCrs {
  srid: number;
  name: string;
  geographic: boolean;
  northFirst: boolean;
  dimensions: 2 | 3;
  /** Without the datum shift: add one of `datumShifts` (none: the datum is WGS 84 or treated as such). */
  proj4: string;
  datumShifts: GeneratedDatumShift[];
  /** [west, south, east, north] in degrees */
  areaOfUse: [number, number, number, number] | null;
}

/** Compound CRSs (horizontal + vertical) take axis order and proj4 from their horizontal part; Z is height. */
function describeCompound(code: number): GeneratedCrs | null {
  const [row] = sqlite(`SELECT name, horiz_crs_code FROM compound_crs WHERE auth_name = 'EPSG' AND code = '${code}' AND horiz_crs_auth_name = 'EPSG'`);
  if (!row) return null;
  const horizontal = describe(Number(row[1]));
  return { ...horizontal, srid: code, name: row[0]!, dimensions: 3 };
}

export function describe(code: number): GeneratedCrs {
  const compound = describeCompound(code);
  if (compound) return compound;
  const [row] = sqlite(
    `SELECT 'projected', name, coordinate_system_auth_name, coordinate_system_code FROM projected_crs WHERE auth_name = 'EPSG' AND code = '${code}'
     UNION ALL SELECT 'geodetic', name, coordinate_system_auth_name, coordinate_system_code FROM geodetic_crs WHERE auth_name = 'EPSG' AND code = '${code}'`,
  );
  if (!row) throw new Error(`EPSG:${code} is not in ${PROJ_DB}`);
  const [kind, name, csAuthority, csCode] = row as [string, string, string, string];
  const axes = sqlite(`SELECT orientation FROM axis WHERE coordinate_system_auth_name = '${csAuthority}' AND coordinate_system_code = '${csCode}' ORDER BY coordinate_system_order`).map((r) => r[0]!);
  const table = kind === 'projected' ? 'projected_crs' : 'geodetic_crs';
  const [extent] = sqlite(
    `SELECT e.west_lon, e.south_lat, e.east_lon, e.north_lat FROM usage u JOIN extent e ON e.auth_name = u.extent_auth_name AND e.code = u.extent_code
     WHERE u.object_table_name = '${table}' AND u.object_auth_name = 'EPSG' AND u.object_code = '${code}' LIMIT 1`,
  );
  const exported = execFileSync('projinfo', [`EPSG:${code}`, '-o', 'PROJ', '--single-line', '-q'], { encoding: 'utf8' }).trim();
  const [geodetic] = kind === 'projected' ? sqlite(`SELECT geodetic_crs_code FROM projected_crs WHERE auth_name = 'EPSG' AND code = '${code}'`) : [[String(code)]];
  const { shifts, ellps } = datumShifts(geodetic![0]!);
  // The CRS's own parameters with the datum replaced by its ellipsoid: the shift comes from `datumShifts`.
  let proj4 = exported.replace(/ \+(towgs84|nadgrids)=\S+/g, '');
  if (shifts.length && ellps) proj4 = proj4.replace(/ \+datum=\S+/, ` +ellps=${ellps}`);
  return {
    srid: code,
    name,
    geographic: kind === 'geodetic',
    northFirst: axes[0] === 'north',
    dimensions: axes.length === 3 ? 3 : 2,
    proj4,
    datumShifts: shifts,
    areaOfUse: extent ? (extent.map(Number) as [number, number, number, number]) : null,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`[\n${CODES.map((code) => `  ${JSON.stringify(describe(code))}`).join(",\n")}\n]\n`);
}
