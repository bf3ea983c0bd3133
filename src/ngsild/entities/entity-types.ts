import { entityCollectionOf, type EntityCollection } from '../../domain/entity.js';
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
}

/** Every entity collection, with its names loaded (term maps are cached per context, so this is cheap). */
export async function entityTypes(collections: CollectionReader, maps: TermMaps): Promise<EntityType[]> {
  const out: EntityType[] = [];
  for (const collection of await collections.list()) {
    const entity = entityCollectionOf(collection);
    if (!entity) continue;
    const terms = await maps.of(entity.context);
    out.push({
      collection: entity,
      terms,
      typeIri: terms.expand(entity.type),
      entities: collection.featureCount,
      properties: Object.entries(collection.queryables).flatMap(([name, q]) => (q.role === undefined && q.type !== 'geometry' ? [name] : [])),
      located: collection.geometryTypes.length > 0,
    });
  }
  return out;
}

/** A request name as the collection stores it: expanded in the request's context, compacted in the collection's. */
export function storedName(name: string, type: EntityType, request: TermMap): string {
  return type.terms.compact(request.expand(name));
}
