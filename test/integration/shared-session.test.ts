import { describe, expect, it } from 'vitest';
import { testDatabase } from '../helpers/database.js';

describe('connections one after another', () => {
  // The embedded PostGIS's socket gives every connection one shared session: a statement prepared by
  // name on one connection would still exist for the next, and preparing it again would fail.
  it('run the same named statement, each on its own connection', async () => {
    for (let round = 0; round < 2; round++) {
      const db = testDatabase(1);
      try {
        const rows = await db.query<{ one: number }>({ name: 'placelink-test-shared-session', text: 'SELECT 1 AS one', values: [] });
        expect(rows).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
      }
    }
  });
});
