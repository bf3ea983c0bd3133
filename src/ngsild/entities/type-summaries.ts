import type { EntityService } from '../../services/entities/entity-service.js';
import type { CollectionReader } from '../../services/features/collection-catalog.js';
import type { TermMaps } from '../context/term-map.js';
import { entityTypes } from './entity-types.js';

export interface TypeSummarySources {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly terms: TermMaps;
}

const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';

/** What discovery knows of an entity type: how many entities, and each attribute IRI with its attribute types and entity count. */
export interface TypeSummary {
  readonly iri: string;
  readonly entities: number;
  readonly attributes: Map<string, { types: Set<string>; entities: number }>;
}

/**
 * The entity types and attributes there are, per type IRI (several collections can hold one type):
 * collections written through NGSI-LD read their stored attributes, harvested ones their properties.
 */
export async function typeSummaries(deps: TypeSummarySources): Promise<Map<string, TypeSummary>> {
  const types = await entityTypes(deps);
  const writable = types.filter((t) => t.stored);
  const uses = await deps.entities.attributeUses(writable.map((t) => t.collection.key));
  const out = new Map<string, TypeSummary>();
  const add = (typeIri: string, attributeIri: string, attributeType: string, entities: number) => {
    const summary = out.get(typeIri)!;
    const attribute = summary.attributes.get(attributeIri) ?? { types: new Set<string>(), entities: 0 };
    attribute.types.add(attributeType);
    attribute.entities += entities;
    summary.attributes.set(attributeIri, attribute);
  };
  for (const type of types) {
    const summary = out.get(type.typeIri) ?? { iri: type.typeIri, entities: 0, attributes: new Map() };
    out.set(type.typeIri, { ...summary, entities: summary.entities + type.entities });
    if (type.stored) continue;
    for (const name of type.properties) add(type.typeIri, type.terms.expand(name), type.collection.attributes[name]?.relationship ? 'Relationship' : 'Property', type.entities);
    if (type.located) add(type.typeIri, LOCATION, 'GeoProperty', type.entities);
  }
  const byKey = new Map(writable.map((t) => [t.collection.key, t]));
  for (const use of uses) {
    const type = byKey.get(use.collectionKey)!;
    for (const attributeType of use.types) add(type.typeIri, type.terms.expand(use.name), attributeType, use.entities);
  }
  return out;
}
