import type { AttributeUse, EntityQuery, EntityRow } from '../../domain/entity.js';
import type { EntityStore } from '../ports/entity-ports.js';
import type { LinkRepository } from '../ports/sensor-ports.js';

/** NGSI-LD entities over the feature rows and the datastreams (Devices): what the NGSI-LD API reads. */
export interface EntityService {
  query(query: EntityQuery): Promise<{ rows: EntityRow[]; count: number | null }>;
  /** One entity by id among the given collections. */
  byId(collectionKeys: readonly number[], id: string): Promise<EntityRow | null>;
  attributeUses(collectionKeys: readonly number[]): Promise<AttributeUse[]>;
  /** The collections with assets currently linked to sensors (their entities carry refDevice). */
  linkedCollections(): Promise<ReadonlySet<number>>;
  deviceCount(): Promise<number>;
}

/** How long the linked collections and the number of Devices are remembered. */
const TTL_MS = 1000;

function remembered<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: { value: Promise<T>; until: number } | null = null;
  return () => {
    const now = Date.now();
    if (!cached || cached.until <= now) {
      cached = { value: load(), until: now + TTL_MS };
      cached.value.catch(() => (cached = null));
    }
    return cached.value;
  };
}

export function entityService(store: { readonly entities: EntityStore; readonly sensors: { readonly links: Pick<LinkRepository, 'linkedCollections'> } }): EntityService {
  const linkedCollections = remembered(async () => new Set(await store.sensors.links.linkedCollections()));
  return {
    query: (query) => store.entities.query(query),
    async byId(collectionKeys, id) {
      return store.entities.byId(collectionKeys, [...(await linkedCollections())], id);
    },
    attributeUses: (collectionKeys) => store.entities.attributeUses(collectionKeys),
    linkedCollections,
    deviceCount: remembered(() => store.entities.deviceCount()),
  };
}
