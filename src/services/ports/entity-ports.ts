import type { AttributeUse, EntityQuery, EntityRow } from '../../domain/entity.js';

/** Reading NGSI-LD entities from the feature rows of entity collections. */
export interface EntityStore {
  /** A page of the query's entities, and how many there are in all when `count` is asked for. */
  query(query: EntityQuery): Promise<{ rows: EntityRow[]; count: number | null }>;
  /** One entity by id among the given collections; those in `linkedKeys` have assets linked to sensors. */
  byId(collectionKeys: readonly number[], linkedKeys: readonly number[], id: string): Promise<EntityRow | null>;
  /** The attributes the entities of these collections (or the Devices) have, read from their stored attributes (and locations). */
  attributeUses(collectionKeys: readonly number[]): Promise<AttributeUse[]>;
  /** How many Devices there are (one per datastream). */
  deviceCount(): Promise<number>;
}
