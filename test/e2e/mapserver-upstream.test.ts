/**
 * A real MapServer 8 (the CGI binary) over a table this test owns, so rows can be edited and
 * deleted upstream: the next harvest reflects exactly that (updated, inserted, retired), the one
 * after changes nothing, and positions match PostGIS's ST_Transform of the upstream rows.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { isEmbedded, testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';
import { mappingFrom } from '../helpers/mappings.js';
import { missingMapserv, startMapServer } from '../helpers/mapserver-cgi.js';
import type { UpstreamServer } from '../helpers/upstream-server.js';

const skip = announceSkip('test/e2e/mapserver-upstream.test.ts', isEmbedded() ? 'needs PostgreSQL for MapServer to read the upstream table' : missingMapserv());

describe.skipIf(skip)('edits and deletes in a MapServer upstream', () => {
  let db: Database;
  let store: Store;
  let mapserver: UpstreamServer & { wfsUrl: string };
  const schema = `upstream_${uniqueId('t').replace('-', '_')}`;
  const collection = uniqueId('upstream');

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    await db.query({ text: `CREATE SCHEMA ${schema}`, values: [] });
    await db.query({
      text: `CREATE TABLE ${schema}.lights AS
             SELECT 'L-' || lpad(n::text, 4, '0') AS id, (ARRAY['in_operation','defective'])[1 + n % 2] AS status, 10 + n % 7 * 10 AS wattage,
                    ST_SetSRID(ST_MakePoint(550000 + (n % 20) * 25.125, 5800000 + (n / 20) * 31.5), 25832)::geometry(Point, 25832) AS geom
             FROM generate_series(1, 300) n`,
      values: [],
    });
    await db.query({ text: `ALTER TABLE ${schema}.lights ADD PRIMARY KEY (id)`, values: [] });
    const url = new URL(inject('databaseUrl'));
    const connection = `host=${url.hostname} port=${url.port || 5432} dbname=${url.pathname.slice(1)} user=${decodeURIComponent(url.username) || 'root'}${url.password ? ` password=${decodeURIComponent(url.password)}` : ''}`;
    mapserver = await startMapServer(connection, [{ name: 'lights', type: 'POINT', data: `geom from ${schema}.lights using unique id using srid=25832`, featureId: 'id' }]);
  });
  afterAll(async () => {
    await store.collections.remove(collection);
    await mapserver?.close();
    await db.query({ text: `DROP SCHEMA IF EXISTS ${schema} CASCADE`, values: [] });
    await db.close();
  });

  const positions = async () => {
    const ours = await db.query<{ id: string; x: number; y: number; p: Record<string, unknown> }>({
      text: `SELECT f.id, ST_X(f.geom) AS x, ST_Y(f.geom) AS y, f.properties AS p FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1 AND f.retired_at IS NULL ORDER BY f.id`,
      values: [collection],
    });
    const theirs = await db.query<{ id: string; x: number; y: number; status: string; wattage: number }>({
      text: `SELECT id, ST_X(ST_Transform(geom, 4326)) AS x, ST_Y(ST_Transform(geom, 4326)) AS y, status, wattage FROM ${schema}.lights ORDER BY id`,
      values: [],
    });
    return { ours, theirs };
  };

  it('reflects edited, deleted and added rows in the next harvest', { timeout: 180_000 }, async () => {
    const loaded = await mappingFrom(`source:
  type: wfs
  url: ${mapserver.wfsUrl}
  typeName: lights
  version: 2.0.0
  outputFormat: gml
  crs: urn:ogc:def:crs:EPSG::25832
  pageSize: 100
target:
  collection: ${collection}
identifiers:
  id: id
properties:
  keepUnmapped: false
  rules:
    - { name: status, from: status }
    - { name: wattage, from: wattage, type: integer }
deletePolicy: { mode: retire, maxFraction: 0.5 }
`);
    const first = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(first.error).toBeNull();
    expect(first).toMatchObject({ status: 'succeeded', counts: { read: 300, inserted: 300, pages: 3 } });

    await db.query({ text: `UPDATE ${schema}.lights SET status = 'decommissioned' WHERE id IN ('L-0001', 'L-0002', 'L-0003')`, values: [] });
    await db.query({ text: `UPDATE ${schema}.lights SET geom = ST_Translate(geom, 5, -3) WHERE id IN ('L-0010', 'L-0011')`, values: [] });
    await db.query({ text: `DELETE FROM ${schema}.lights WHERE id IN ('L-0100', 'L-0200', 'L-0300')`, values: [] });
    await db.query({ text: `INSERT INTO ${schema}.lights VALUES ('L-0301', 'planned', 40, ST_SetSRID(ST_MakePoint(551000, 5801000), 25832)), ('L-0302', 'planned', 40, ST_SetSRID(ST_MakePoint(551010, 5801000), 25832))`, values: [] });

    const second = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(second).toMatchObject({ status: 'succeeded', counts: { read: 299, inserted: 2, updated: 5, unchanged: 292, retired: 3 } });
    const { ours, theirs } = await positions();
    expect(ours.map((r) => r.id)).toEqual(theirs.map((r) => r.id));
    ours.forEach((row, i) => {
      const upstream = theirs[i]!;
      expect(Math.abs(row.x - upstream.x)).toBeLessThan(1e-8);
      expect(Math.abs(row.y - upstream.y)).toBeLessThan(1e-8);
      expect(row.p).toEqual({ status: upstream.status, wattage: upstream.wattage });
    });

    const third = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(third).toMatchObject({ status: 'succeeded', counts: { read: 299, inserted: 0, updated: 0, unchanged: 299, retired: 0 } });
  });
});
