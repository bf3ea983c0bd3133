import type { Geometry } from 'geojson';
import type { AttributeUse, EntityRow } from '../domain/entity.js';
import type { EntityStore } from '../services/ports/entity-ports.js';
import type { Database } from './database.js';
import { entitySql } from './sql/entity-sql.js';

interface EntityJson {
  c: number;
  id: string;
  f: string | null;
  g: Geometry | null;
  p: Record<string, unknown>;
  a: EntityRow['attributes'];
  cr: string;
  mo: string;
  s: string[] | null;
}

function toRow(json: string): EntityRow {
  const e = JSON.parse(json) as EntityJson;
  return { collectionKey: e.c, id: e.id, featureId: e.f, geometry: e.g, properties: e.p, attributes: e.a, createdAt: e.cr, modifiedAt: e.mo, scopes: e.s };
}

export function entityRepository(db: Database): EntityStore {
  return {
    async query(query) {
      if (query.parts.length === 0) return { rows: [], count: query.count ? 0 : null };
      const [rows, counted] = await Promise.all([
        query.limit > 0 ? db.query<{ json: string }>(entitySql.page(query)) : Promise.resolve([]),
        query.count ? db.query<{ n: string }>(entitySql.count(query)) : Promise.resolve(null),
      ]);
      return { rows: rows.map((r) => toRow(r.json)), count: counted ? Number(counted[0]!.n) : null };
    },
    async attributeUses(collectionKeys) {
      if (collectionKeys.length === 0) return [];
      return db.query<AttributeUse>(entitySql.attributeUses(collectionKeys));
    },
    async deviceCount() {
      const [row] = await db.query<{ n: number }>(entitySql.deviceCount());
      return row!.n;
    },
    async byId(collectionKeys, linkedKeys, id) {
      const statement = entitySql.byId(collectionKeys, linkedKeys, id);
      if (statement === null) return null;
      const [row] = await db.query<{ json: string }>(statement);
      return row ? toRow(row.json) : null;
    },
  };
}
