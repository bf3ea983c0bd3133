import { describe, expect, it } from 'vitest';
import { featureSql } from '../../src/db/sql/feature-sql.js';
import type { FeaturePageQuery } from '../../src/domain/query.js';

const BASE: FeaturePageQuery = {
  collectionKey: 7,
  envelopes: [],
  time: null,
  equalities: [],
  filter: null,
  order: [],
  position: { kind: 'start' },
  limit: 100,
  output: { srid: 4326, swapAxes: false, decimals: 8, properties: null },
};
const BOX = { minX: 9.7, minY: 52.3, maxX: 9.8, maxY: 52.4, srid: 4326 };

describe('page statements prepared with a generic plan only where the best plan does not depend on the values', () => {
  it.each<[string, Partial<FeaturePageQuery>, boolean]>([
    ['no conditions (the seq index)', {}, true],
    ['a bbox whose matches were not counted', { envelopes: [BOX] }, false],
    ['a bbox with few counted matches', { envelopes: [BOX], knownMatches: 480 }, true],
    ['a bbox with many counted matches', { envelopes: [BOX], knownMatches: 28_000 }, false],
    ['a datetime interval', { time: { start: new Date('2020-01-01T00:00:00Z'), end: null } }, false],
    ['a property equality', { equalities: [{ name: 'kind', value: 'lamp' }] }, false],
    ['a property selection', { output: { ...BASE.output, properties: ['kind'] } }, false],
  ])('%s', (_, change, named) => {
    const statement = featureSql.page({ ...BASE, ...change });
    expect(statement.name !== undefined).toBe(named);
  });

  it('reads a short page in one statement level and a long one in chunks', () => {
    expect(featureSql.page(BASE).text).not.toMatch(/GROUP BY chunk/);
    expect(featureSql.page({ ...BASE, limit: 1000 }).text).toMatch(/GROUP BY chunk ORDER BY chunk ASC NULLS LAST$/);
    expect(featureSql.page({ ...BASE, limit: 1000, position: { kind: 'before', seq: '5000', keys: [], skipped: 2000, dataVersion: 1 } }).text).toMatch(/ORDER BY chunk DESC NULLS LAST$/);
    expect(featureSql.pageChunkCount(1000)).toBe(4);
  });
});
