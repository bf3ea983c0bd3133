import type { FeaturesChanged } from '../services/ports/changes.js';
import type { CollectionRef, EntityRowWrites, EntityWriteSession } from '../services/ports/entity-ports.js';
import type { HarvestSession, Repositories } from '../services/ports/feature-ports.js';

type Counts = Pick<FeaturesChanged, 'inserted' | 'updated' | 'retired' | 'purged'>;

/**
 * Repositories of one transaction that count what its feature writes change, per collection, so
 * the store can announce them once the transaction has committed.
 */
export interface CountedWrites<R extends Repositories> {
  readonly repositories: R;
  /** The changes of the transaction, for collections where anything changed. */
  changes(): Promise<FeaturesChanged[]>;
}

export function countedWrites<R extends Repositories>(repositories: R): CountedWrites<R> {
  const ids = new Map<number, string>();
  const counts = new Map<number, Counts>();
  const add = (key: number, change: Partial<Counts>) => {
    const now = counts.get(key) ?? { inserted: 0, updated: 0, retired: 0, purged: 0 };
    counts.set(key, { inserted: now.inserted + (change.inserted ?? 0), updated: now.updated + (change.updated ?? 0), retired: now.retired + (change.retired ?? 0), purged: now.purged + (change.purged ?? 0) });
  };
  const counted = {
    ...repositories,
    collections: {
      ...repositories.collections,
      async save(definition) {
        const saved = await repositories.collections.save(definition);
        ids.set(saved.key, definition.id);
        return saved;
      },
    },
    features: {
      ...repositories.features,
      async upsertBatch(collectionKey, records, options) {
        const summary = await repositories.features.upsertBatch(collectionKey, records, options);
        add(collectionKey, { inserted: summary.inserted, updated: summary.updated });
        return summary;
      },
    },
  } as R;
  if ('retireVanished' in repositories) {
    const session = repositories as unknown as HarvestSession;
    Object.assign(counted, {
      async retireVanished(collectionKey: number, at: string) {
        const retired = await session.retireVanished(collectionKey, at);
        add(collectionKey, { retired });
        return retired;
      },
      async purgeVanished(collectionKey: number) {
        const purged = await session.purgeVanished(collectionKey);
        add(collectionKey, { purged });
        return purged;
      },
    });
  }
  if ('entityRows' in repositories) {
    const rows = (repositories as unknown as EntityWriteSession).entityRows;
    const note = (collection: CollectionRef, change: Partial<Counts>) => {
      ids.set(collection.key, collection.id);
      add(collection.key, change);
    };
    const entityRows: EntityRowWrites = {
      ...rows,
      async insert(collection, entity, createdAt) {
        await rows.insert(collection, entity, createdAt);
        note(collection, { inserted: 1 });
      },
      async update(collection, entity) {
        await rows.update(collection, entity);
        note(collection, { updated: 1 });
      },
      async remove(collection, id) {
        await rows.remove(collection, id);
        note(collection, { purged: 1 });
      },
    };
    Object.assign(counted, { entityRows });
  }
  return {
    repositories: counted,
    async changes() {
      const changed = [...counts].filter(([, c]) => c.inserted + c.updated + c.retired + c.purged > 0);
      if (changed.length === 0) return [];
      const since = await repositories.features.writeTime();
      return changed.map(([collectionKey, c]) => ({ kind: 'features' as const, collectionKey, collectionId: ids.get(collectionKey) ?? '', since, ...c }));
    },
  };
}
