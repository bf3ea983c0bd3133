import type { AttributeUse, EntityQuery, EntityRow } from '../../domain/entity.js';
import type { EntityStore } from '../ports/entity-ports.js';

/** NGSI-LD entities over the feature rows: what the NGSI-LD API reads. */
export interface EntityService {
  query(query: EntityQuery): Promise<{ rows: EntityRow[]; count: number | null }>;
  byId(collectionKeys: readonly number[], id: string): Promise<EntityRow | null>;
  attributeUses(collectionKeys: readonly number[]): Promise<AttributeUse[]>;
}

export function entityService(store: { readonly entities: EntityStore }): EntityService {
  return {
    query: (query) => store.entities.query(query),
    byId: (collectionKeys, id) => store.entities.byId(collectionKeys, id),
    attributeUses: (collectionKeys) => store.entities.attributeUses(collectionKeys),
  };
}
