import type { StoredLdContext } from '../domain/ld-context.js';
import type { LdContextStore } from '../services/ports/ld-context-ports.js';
import type { SqlExecutor } from './database.js';
import { ldContextSql, type LdContextRow } from './sql/ld-context-sql.js';

function toContext(row: LdContextRow): StoredLdContext {
  return { id: row.id, kind: row.kind, createdAt: row.created_at, lastUsedAt: row.last_used_at, hits: Number(row.hits) };
}

export function ldContextRepository(db: SqlExecutor): LdContextStore {
  return {
    async insert(context) {
      const [row] = await db.query<LdContextRow>(ldContextSql.insert(context.id, context.kind, context.document));
      return toContext(row!);
    },
    async byId(id) {
      const [row] = await db.query<LdContextRow>(ldContextSql.byId(id));
      return row ? toContext(row) : null;
    },
    async document(id) {
      const [row] = await db.query<{ document: Record<string, unknown> }>(ldContextSql.document(id));
      return row ? row.document : null;
    },
    async list(kind) {
      return (await db.query<LdContextRow>(ldContextSql.list(kind))).map(toContext);
    },
    async remove(id) {
      return (await db.query(ldContextSql.remove(id))).length > 0;
    },
    async recordUses(uses) {
      if (uses.length > 0) await db.query(ldContextSql.recordUses(uses));
    },
  };
}
