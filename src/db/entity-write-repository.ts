import type { EntityRow } from '../domain/entity.js';
import { AlreadyExistsError } from '../domain/errors.js';
import type { EntityRowWrites } from '../services/ports/entity-ports.js';
import { isUniqueViolation, type SqlExecutor } from './database.js';
import { entityWriteSql } from './sql/entity-write-sql.js';

/** The entity rows of a write transaction (`db` is the transaction's connection). */
export function entityWriteRepository(db: SqlExecutor): EntityRowWrites {
  return {
    async lock(names) {
      if (names.length > 0) await db.query(entityWriteSql.lock(names));
    },
    async find(collectionKeys, id) {
      if (collectionKeys.length === 0) return null;
      const [row] = await db.query<EntityRow>(entityWriteSql.find(collectionKeys, id));
      return row ?? null;
    },
    async insert(collection, entity, createdAt) {
      try {
        await db.query(entityWriteSql.insert(collection.key, entity, createdAt));
      } catch (error) {
        // Writers lock entity ids first, so only a writer that does not (or a bug) gets here.
        if (isUniqueViolation(error)) throw new AlreadyExistsError(`an entity with id ${entity.id} exists already in collection '${collection.id}'`);
        throw error;
      }
    },
    async update(collection, entity) {
      await db.query(entityWriteSql.update(collection.key, entity));
    },
    async remove(collection, id) {
      await db.query(entityWriteSql.remove(collection.key, id));
    },
  };
}
