/**
 * source.ignoreSrsName: the INSPIRE validator's Catastro parcels (etsval-010) write
 * srsName EPSG/0/4937 (ETRS89 geographic 3D) on an Envelope, a MultiSurface and a Surface whose
 * numbers are UTM 30N metres like every other geometry of the file (EPSG/0/25830). Without the
 * option those geometries are refused naming the option; with it and source.crs they are read as
 * 25830. Expected position of parcel ES.SDGC.CP.000700100XJ24B's first vertex from PostGIS:
 * ST_Transform(ST_SetSRID(ST_MakePoint(626083.7395, 4341439.47), 25830), 4326) = POINT(-1.539570436384513 39.2130865501962)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFrom } from '../helpers/mappings.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';
import { validateMappingText } from '../../src/config/mappings-loader.js';

describe.skipIf(!haveFixtures)('source.ignoreSrsName', () => {
  let db: Database;
  let store: Store;
  const collections: string[] = [];
  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
  });
  afterAll(async () => {
    for (const id of collections) await store.collections.remove(id);
    await db.close();
  });

  async function harvest(extra: string) {
    const collection = uniqueId('ignore-srsname');
    collections.push(collection);
    const loaded = await mappingFrom(
      `source:\n  type: file\n  path: ${fixture('inspire-gml', 'etsval-010-cp-passed.xml')}\n${extra}target:\n  collection: ${collection}\nrejections: { max: null }\n`,
    );
    return { run: await runHarvest(store, loaded, testLogger, { trigger: 'api' }), collection };
  }

  it('without it, geometries whose srsName contradicts their numbers are refused, naming the option', async () => {
    const { run } = await harvest('');
    expect(run.status).toBe('succeeded');
    expect(run.counts.rejected).toBeGreaterThan(0);
    const reasons = run.rejections.map((r) => r.reason);
    expect(reasons.every((r) => /is not a valid latitude\/longitude position of http:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/4937; the srsName may not match the coordinates \(see source\.crs and source\.ignoreSrsName\)/.test(r))).toBe(true);
  });

  it('with it and source.crs, every geometry is read in that CRS', async () => {
    const { run, collection } = await harvest('  crs: http://www.opengis.net/def/crs/EPSG/0/25830\n  ignoreSrsName: true\n');
    expect(run.error).toBeNull();
    expect(run.counts.rejected).toBe(0);
    expect(run.counts.inserted).toBe(run.counts.read);
    const [row] = await db.query<{ n: string; outside: string }>({
      text: `SELECT count(*)::text AS n, count(*) FILTER (WHERE NOT ST_Intersects(f.geom, ST_MakeEnvelope(-1.7, 39.1, -1.4, 39.3, 4326)))::text AS outside
             FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.geom IS NOT NULL`,
      values: [collection],
    });
    expect(Number(row!.n)).toBeGreaterThan(80);
    expect(row!.outside).toBe('0');
    const [vertex] = await db.query<{ lon: number; lat: number }>({
      text: `SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(f.geom, 1)), 1) AS p
             FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.id = 'ES.SDGC.CP.000700100XJ24B') s`,
      values: [collection],
    });
    expect(vertex!.lon).toBeCloseTo(-1.539570436384513, 8);
    expect(vertex!.lat).toBeCloseTo(39.2130865501962, 8);
  });

  it('is refused without source.crs', async () => {
    const result = await validateMappingText(`source:\n  type: file\n  path: ${fixture('inspire-gml', 'etsval-010-cp-passed.xml')}\n  ignoreSrsName: true\ntarget:\n  collection: x\n`, 'test/fixtures/mappings/x.yaml', process.env);
    expect(result.loaded).toBeNull();
    expect(result.issues.map((i) => i.message)).toContain('needs source.crs: the CRS to read the geometries in instead of their srsName');
  });
});
