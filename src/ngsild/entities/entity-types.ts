import { DEVICE_COLLECTION_KEY, entityCollectionOf, type EntityCollection } from '../../domain/entity.js';
import type { EntityService } from '../../services/entities/entity-service.js';
import type { CollectionReader } from '../../services/features/collection-catalog.js';
import type { TermMap, TermMaps } from '../context/term-map.js';

/** An entity collection with its names: the terms of its @context and its entity type as an IRI. */
export interface EntityType {
  readonly collection: EntityCollection;
  readonly terms: TermMap;
  readonly typeIri: string;
  /** How many entities the collection holds (its feature count). */
  readonly entities: number;
  /** The names of its features' properties (queryables), for collections whose entities have values only. */
  readonly properties: readonly string[];
  readonly located: boolean;
  /** Its entities keep whole attributes (written through NGSI-LD, or Devices), which discovery reads. */
  readonly stored: boolean;
  /** Its assets are linked to sensors (the entities carry refDevice). */
  readonly linked: boolean;
}

export interface EntityTypeSources {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly terms: TermMaps;
}

/** The type of the sensors' Devices, with the @context that names it as Smart Data Models does. */
export const DEVICE_TYPE = { type: 'Device', context: ['https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld'] } as const;

/** The sensors' Devices, one per datastream. */
const DEVICES: EntityCollection = {
  key: DEVICE_COLLECTION_KEY,
  id: 'devices',
  type: DEVICE_TYPE.type,
  context: [...DEVICE_TYPE.context],
  writable: false,
  mappingId: null,
  attributes: {},
};

/**
 * Every entity collection, and the Devices when there are datastreams (or always, with `allDevices`:
 * a change to a Device can come before the count of datastreams is read again), with their names
 * loaded (term maps are cached per context).
 */
export async function entityTypes(sources: EntityTypeSources, allDevices = false): Promise<EntityType[]> {
  const [collections, linked, devices] = await Promise.all([sources.collections.list(), sources.entities.linkedCollections(), sources.entities.deviceCount()]);
  const out: EntityType[] = [];
  for (const collection of collections) {
    const entity = entityCollectionOf(collection);
    if (!entity) continue;
    const terms = await sources.terms.of(entity.context);
    out.push({
      collection: entity,
      terms,
      typeIri: terms.expand(entity.type),
      entities: collection.featureCount,
      properties: Object.entries(collection.queryables).flatMap(([name, q]) => (q.role === undefined && q.type !== 'geometry' ? [name] : [])),
      located: collection.geometryTypes.length > 0,
      stored: entity.writable,
      linked: linked.has(collection.key),
    });
  }
  if (devices > 0 || allDevices) {
    const terms = await sources.terms.of(DEVICES.context);
    out.push({ collection: DEVICES, terms, typeIri: terms.expand(DEVICES.type), entities: devices, properties: [], located: true, stored: true, linked: false });
  }
  return out;
}

/** A request name as the collection stores it: expanded in the request's context, compacted in the collection's. */
export function storedName(name: string, type: EntityType, request: TermMap): string {
  return type.terms.compact(request.expand(name));
}
