import type { AttributeUse, EntityQuery, EntityRow } from '../../domain/entity.js';
import type { EntityRecord } from '../../domain/entity-writes.js';
import type { Repositories } from './feature-ports.js';

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

/** A collection as entity writes name it: its key, and its id for the change events. */
export interface CollectionRef {
  readonly key: number;
  readonly id: string;
}

/** The entity rows of one write transaction. */
export interface EntityRowWrites {
  /**
   * Holds these names (entity ids, collection ids) against every other entity writer until the
   * transaction ends: no index can keep an entity id unique across collections. Give them in one
   * order (sorted) so that two writers never wait for each other.
   */
  lock(names: readonly string[]): Promise<void>;
  /** The current entity with that id among these collections, or null. */
  find(collectionKeys: readonly number[], id: string): Promise<EntityRow | null>;
  /** A new row; `createdAt` keeps an entity's creation time when it moves to another collection. AlreadyExistsError on a clash of ids. */
  insert(collection: CollectionRef, entity: EntityRecord, createdAt: string | null): Promise<void>;
  update(collection: CollectionRef, entity: EntityRecord): Promise<void>;
  remove(collection: CollectionRef, id: string): Promise<void>;
}

/** The repositories of an entity write transaction. */
export interface EntityWriteSession extends Repositories {
  readonly entityRows: EntityRowWrites;
}

export interface EntityWrites {
  /** Runs `work` in one transaction; the features it changed are announced per collection after the commit. */
  entityTransaction<T>(work: (session: EntityWriteSession) => Promise<T>): Promise<T>;
}
