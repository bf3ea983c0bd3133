/**
 * Regenerates src/geo/crs-definitions.json from PROJ's database (the EPSG dataset as PROJ ships it):
 *   node --import tsx test/helpers/generate-crs-table.ts > src/geo/crs-definitions.json
 * Needs `projinfo` and `sqlite3` (Debian: proj-bin, sqlite3) and /usr/share/proj/proj.db.
 * To support another CRS, add its code to CODES and run it again.
 */
import { execFileSync } from 'node:child_process';

const PROJ_DB = process.env['PROJ_DB'] ?? '/usr/share/proj/proj.db';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const CODES = [
  4326, 4979, 4258, 4937, 4269, 4171, 3857, 3395, 3035, 3034, ...range(3038, 3051), ...range(25828, 25838), ...range(32628, 32638),
  ...range(31466, 31469), 2154, 27700, 28992, 31370, 3067, 3006, 2056, 5514, 2180, 3763, 2100, 2169, 3416, 31287, 3794, 3301, 3059, 3346,
];

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
  proj4: string;
  /** [west, south, east, north] in degrees */
  areaOfUse: [number, number, number, number] | null;
}

export function describe(code: number): GeneratedCrs {
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
  const proj4 = execFileSync('projinfo', [`EPSG:${code}`, '-o', 'PROJ', '--single-line', '-q'], { encoding: 'utf8' }).trim();
  return {
    srid: code,
    name,
    geographic: kind === 'geodetic',
    northFirst: axes[0] === 'north',
    dimensions: axes.length === 3 ? 3 : 2,
    proj4,
    areaOfUse: extent ? (extent.map(Number) as [number, number, number, number]) : null,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`[\n${CODES.map((code) => `  ${JSON.stringify(describe(code))}`).join(",\n")}\n]\n`);
}
