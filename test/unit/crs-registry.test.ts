import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UnsupportedCrsError } from '../../src/domain/errors.js';
import { CRS84_URI, resolveApiCrs, resolveCrs } from '../../src/geo/crs-registry.js';
import { CRS_TABLE } from '../../src/geo/crs-table.js';
import { positionTransform } from '../../src/geo/reproject.js';

// Axis order by identifier form: authority forms follow EPSG, short and GML2 forms are x/y.
const AXIS_MATRIX: Array<[identifier: string, srid: number, swapAxes: boolean]> = [
  ['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 4326, false],
  ['http://www.opengis.net/def/crs/OGC/0/CRS84', 4326, false],
  ['urn:ogc:def:crs:OGC:1.3:CRS84', 4326, false],
  ['http://www.opengis.net/def/crs/OGC/0/CRS84h', 4979, false],
  ['http://www.opengis.net/def/crs/EPSG/0/4326', 4326, true],
  ['urn:ogc:def:crs:EPSG::4326', 4326, true],
  ['urn:ogc:def:crs:EPSG:9.6.2:4326', 4326, true],
  ['urn:x-ogc:def:crs:EPSG:4326', 4326, true],
  ['[EPSG:4326]', 4326, true],
  ['EPSG:4326', 4326, false],
  ['http://www.opengis.net/gml/srs/epsg.xml#4326', 4326, false],
  ['http://www.opengis.net/def/crs/EPSG/0/4258', 4258, true],
  ['urn:ogc:def:crs:EPSG::4258', 4258, true],
  ['EPSG:4258', 4258, false],
  ['http://www.opengis.net/def/crs/EPSG/9.6.2/25832', 25832, false],
  ['urn:ogc:def:crs:EPSG::25832', 25832, false],
  ['http://www.opengis.net/def/crs/EPSG/0/3035', 3035, true],
  ['EPSG:3035', 3035, false],
  ['http://www.opengis.net/def/crs/EPSG/0/3034', 3034, true],
  ['http://www.opengis.net/def/crs/EPSG/0/3045', 3045, true],
  ['http://www.opengis.net/def/crs/EPSG/0/3857', 3857, false],
  ['http://www.opengis.net/def/crs/EPSG/0/31467', 31467, true],
  ['http://www.opengis.net/def/crs/EPSG/0/2180', 2180, true],
  ['http://www.opengis.net/def/crs/EPSG/0/2056', 2056, false],
];

describe('CRS identifiers', () => {
  it.each(AXIS_MATRIX)('%s is EPSG:%i with swapped axes = %s', (identifier, srid, swapAxes) => {
    const ref = resolveCrs(identifier);
    expect(ref.srid).toBe(srid);
    expect(ref.swapAxes).toBe(swapAxes);
  });

  it('gives every CRS one canonical URI', () => {
    expect(resolveCrs('urn:ogc:def:crs:EPSG::25832').uri).toBe('http://www.opengis.net/def/crs/EPSG/0/25832');
    expect(resolveCrs('urn:ogc:def:crs:OGC:1.3:CRS84').uri).toBe(CRS84_URI);
  });

  it.each(['EPSG:999999', 'http://www.opengis.net/def/crs/EPSG/0/1234567', 'urn:ogc:def:crs:OGC::CRS27', 'WGS84', ''])('rejects %j naming it', (identifier) => {
    expect(() => resolveCrs(identifier)).toThrow(UnsupportedCrsError);
    try {
      resolveCrs(identifier);
    } catch (error) {
      expect((error as Error).message).toContain(identifier === '' ? "''" : identifier.replace(/^.*[/:]/, ''));
    }
  });

  it('refuses short forms on the API so Content-Crs never misstates the axis order', () => {
    expect(() => resolveApiCrs('EPSG:4326', 'crs')).toThrow(/ambiguous axis order/);
    expect(resolveApiCrs('http://www.opengis.net/def/crs/EPSG/0/4326', 'crs').swapAxes).toBe(true);
  });
});

describe('reprojection', () => {
  it('reads lat/lon input in EPSG axis order', () => {
    const fromUrn = positionTransform(resolveCrs('urn:ogc:def:crs:EPSG::4258'), 4326);
    const fromShort = positionTransform(resolveCrs('EPSG:4258'), 4326);
    expect(fromUrn([52.352232, 9.767327])).toEqual([9.767327, 52.352232]);
    expect(fromShort([9.767327, 52.352232])).toEqual([9.767327, 52.352232]);
  });

  it('takes EPSG:25832 to lon/lat (value from PostGIS ST_Transform, see peers-local.md)', () => {
    const [lon, lat] = positionTransform(resolveCrs('EPSG:25832'), 4326)([552262.59, 5800492.68]);
    // PostGIS 3.3 / PROJ 9.1: POINT(9.76732716081437 52.352231512624265)
    expect(lon).toBeCloseTo(9.76732716081437, 8);
    expect(lat).toBeCloseTo(52.352231512624265, 8);
  });

  it('keeps Z through a transform', () => {
    const out = positionTransform(resolveCrs('EPSG:25832'), 4326)([552262.59, 5800492.68, 61.5]);
    expect(out[2]).toBe(61.5);
  });
});

const PROJ_DB = '/usr/share/proj/proj.db';
const haveProjDb = existsSync(PROJ_DB) && (() => {
  try {
    execFileSync('sqlite3', ['-version']);
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveProjDb)('CRS table against PROJ database', () => {
  it.each(CRS_TABLE.map((d) => [d.srid, d] as const))('EPSG:%i axis order and kind match proj.db', (code, definition) => {
    // A compound CRS (horizontal + height) takes both from its horizontal part.
    const horizontal = execFileSync('sqlite3', [PROJ_DB, `SELECT horiz_crs_code FROM compound_crs WHERE auth_name = 'EPSG' AND code = '${code}'`], { encoding: 'utf8' }).trim();
    const srid = horizontal || String(code);
    const sql = `SELECT (SELECT group_concat(o, ',') FROM (SELECT a.orientation o FROM axis a WHERE a.coordinate_system_auth_name = c.a AND a.coordinate_system_code = c.k ORDER BY a.coordinate_system_order)), c.t
      FROM (SELECT coordinate_system_auth_name a, coordinate_system_code k, 'projected' t FROM projected_crs WHERE auth_name = 'EPSG' AND code = '${srid}'
            UNION ALL SELECT coordinate_system_auth_name, coordinate_system_code, 'geodetic' FROM geodetic_crs WHERE auth_name = 'EPSG' AND code = '${srid}') c`;
    const [axes, kind] = execFileSync('sqlite3', ['-separator', '|', PROJ_DB, sql], { encoding: 'utf8' }).trim().split('|');
    expect(axes!.split(',')[0] === 'north').toBe(definition.northFirst);
    expect(kind === 'geodetic').toBe(definition.geographic);
  });
});
if (!haveProjDb) console.warn(`skipping the CRS table check: ${PROJ_DB} or sqlite3 is missing (apt-get install proj-data sqlite3)`);
