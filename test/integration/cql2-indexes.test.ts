import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { featureSql } from '../../src/db/sql/feature-sql.js';
import type { Collection } from '../../src/domain/collection.js';
import { CRS84, epsgCrs } from '../../src/geo/crs-registry.js';
import { positionTransform } from '../../src/geo/reproject.js';
import { standardParameters } from '../../src/ogcapi/ogcapi.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testStore, uniqueId } from '../helpers/database.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';

/**
 * The statements a filtered items request runs, explained by PostgreSQL: spatial filters use the
 * GiST index, equality and IN on properties the GIN index (jsonb containment), the id its
 * primary key and the primary instant its B-tree; a bbox in another CRS is transformed to the column.
 */

let db: Database;
let store: Store;
let collection: Collection;
const grid = uniqueId('indexed');

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function indexesOf(node: PlanNode): string[] {
  return [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexesOf)];
}

/** The statement of the first page an items request with these parameters reads. */
function pageSql(parameters: Record<string, string>) {
  const request = standardParameters().readItems(parameters, collection);
  return featureSql.page({ ...request.selection, order: request.order, position: request.position, limit: request.limit, output: request.output });
}

/** Index names the plan of the first page of `filter` uses. */
async function indexesFor(parameters: Record<string, string>): Promise<string[]> {
  const sql = pageSql(parameters);
  const [row] = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({ text: `EXPLAIN (FORMAT JSON) ${sql.text}`, values: sql.values });
  const names = indexesOf(row!['QUERY PLAN'][0]!.Plan).filter((name) => name !== 'collection_pkey');
  process.stdout.write(`EXPLAIN ${JSON.stringify(parameters)} uses ${names.join(', ') || 'no index'}\n`);
  return names;
}

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: grid }, pointGrid(20_000));
  collection = (await store.collections.get(grid))!;
});

afterAll(async () => {
  await store?.collections.remove(grid);
  await db?.close();
});

describe('filters use their indexes (EXPLAIN)', () => {
  it('S_INTERSECTS with a small box uses the GiST index on geom', async () => {
    expect(await indexesFor({ filter: 'S_INTERSECTS(geometry, BBOX(9.7, 52.3, 9.702, 52.302))' })).toContainEqual(expect.stringMatching(/geom/));
  });

  it('S_WITHIN and S_CONTAINS with a polygon use the GiST index too', async () => {
    expect(await indexesFor({ filter: 'S_WITHIN(geometry, POLYGON((9.7 52.3, 9.702 52.3, 9.702 52.302, 9.7 52.3)))' })).toContainEqual(expect.stringMatching(/geom/));
    expect(await indexesFor({ filter: 'S_CONTAINS(POLYGON((9.7 52.3, 9.702 52.3, 9.702 52.302, 9.7 52.3)), geometry)' })).toContainEqual(expect.stringMatching(/geom/));
  });

  it('property equality, alone or combined, uses the GIN index on properties', async () => {
    expect(await indexesFor({ filter: 'n = 7' })).toContainEqual(expect.stringMatching(/properties/));
    expect(await indexesFor({ filter: "kind = 'lamp' AND n = 7" })).toContainEqual(expect.stringMatching(/properties/));
    expect(await indexesFor({ filter: JSON.stringify({ op: '=', args: [{ property: 'n' }, 7] }), 'filter-lang': 'cql2-json' })).toContainEqual(expect.stringMatching(/properties/));
  });

  it('IN on a property uses the GIN index on properties', async () => {
    expect(await indexesFor({ filter: 'n IN (7, 8, 9)' })).toContainEqual(expect.stringMatching(/properties/));
  });

  it('the id queryable uses the primary key, the primary instant its time index', async () => {
    expect(await indexesFor({ filter: "id = 'P-0007'" })).toContainEqual(expect.stringMatching(/^feature_c\d+_pkey$/));
    expect(await indexesFor({ filter: "T_AFTER(datetime, TIMESTAMP('2020-12-30T00:00:00Z'))" })).toContainEqual(expect.stringMatching(/time_start/));
  });

  it('a negated equality keeps three-valued logic and so does not use containment', async () => {
    expect(await indexesFor({ filter: 'NOT (n = 7)' })).not.toContainEqual(expect.stringMatching(/properties/));
  });

  it('bbox in bbox-crs EPSG:25832 uses the GiST index: the envelope is transformed to the column, never the column', async () => {
    const toUtm = positionTransform(CRS84, 25832);
    const [x0, y0] = toUtm([9.7, 52.3]) as [number, number];
    const [x1, y1] = toUtm([9.702, 52.302]) as [number, number];
    const parameters = { bbox: [x0, y0, x1, y1].join(','), 'bbox-crs': epsgCrs(25832).uri };
    expect(await indexesFor(parameters)).toContainEqual(expect.stringMatching(/geom/));
    const { text } = pageSql(parameters);
    expect(text).toMatch(/ST_Transform\((?:ST_Segmentize\()?ST_MakeEnvelope\(/);
    expect(text).not.toMatch(/ST_Transform\(\s*f\.geom/);
  });
});
