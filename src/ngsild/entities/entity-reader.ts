import type { EntityQuery, EntityRow } from '../../domain/entity.js';
import type { EntityService } from '../../services/entities/entity-service.js';
import type { CollectionReader } from '../../services/features/collection-catalog.js';
import type { TermMap, TermMaps } from '../context/term-map.js';
import { entityFeature, encodeEntity, type EncodeOptions } from './entity-encoder.js';
import { LIMIT, type EntityPage, type EntitySelectionParameters, type EntityView } from './entity-parameters.js';
import { joinEntities, type LinkedEntityDeps, type TypedRow } from './linked-entities.js';
import { entityTypes, type EntityType } from './entity-types.js';
import { resolveGeoQuery, resolveQuery, selectTypes } from './query-resolution.js';

const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';

export interface EntityReaderDeps {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly terms: TermMaps;
}

/** Where the OGC API item of a feature is, for this request (entities link to it). */
export type ItemUrl = (collectionId: string, featureId: string) => string;

/** Entities of a query in the request's names, with the collection each row came from. */
export interface EncodedPage {
  readonly entities: readonly Record<string, unknown>[];
  readonly count: number | null;
}

/** Reads entities and writes them in the request's names and representation. */
export interface EntityReader {
  query(selection: EntitySelectionParameters, page: EntityPage, view: EntityView, request: TermMap, geoJson: boolean, itemUrl?: ItemUrl): Promise<EncodedPage>;
  /** null: no entity with that id (among the types given). */
  /** An array with `join=flat` when the entity links to others. */
  retrieve(id: string, types: EntitySelectionParameters['types'], view: EntityView, request: TermMap, geoJson: boolean, itemUrl?: ItemUrl): Promise<Record<string, unknown> | Record<string, unknown>[] | null>;
  /** The rows a query selects, with the type of each (for representations written elsewhere: the temporal ones). */
  rows(selection: EntitySelectionParameters, page: EntityPage, attrs: readonly string[] | null, request: TermMap): Promise<{ rows: EntityRow[]; types: Map<number, EntityType>; count: number | null }>;
  row(id: string, types: EntitySelectionParameters['types'], request: TermMap): Promise<{ row: EntityRow; type: EntityType } | null>;
}

function encodeOptions(view: EntityView, request: TermMap, itemUrl: ItemUrl | undefined): EncodeOptions {
  const iris = (names: readonly string[]) => new Set(names.map((name) => (name === 'id' || name === 'type' || name === 'scope' ? name : request.expand(name))));
  return {
    format: view.format,
    sysAttrs: view.sysAttrs,
    output: request,
    attributes: view.projection.attrs ? iris(view.projection.attrs) : null,
    pick: view.projection.pick ? iris(view.projection.pick.map((t) => t.name)) : null,
    // An omit term with braces (`locatedAt{name}`) leaves out members of the linked entities, not the relationship.
    omit: view.projection.omit ? iris(view.projection.omit.filter((t) => t.linked === null).map((t) => t.name)) : null,
    lang: view.lang,
    datasetIds: view.datasetIds ?? null,
    ...(itemUrl ? { itemUrl } : {}),
  };
}

export function entityReader(deps: EntityReaderDeps): EntityReader {
  function encode(rows: readonly EntityRow[], types: readonly EntityType[], view: EntityView, request: TermMap, geoJson: boolean, itemUrl: ItemUrl | undefined): Record<string, unknown>[] {
    const byKey = new Map(types.map((t) => [t.collection.key, t]));
    const options = encodeOptions(view, request, itemUrl);
    const geometryProperty = request.expand(view.geometryProperty);
    return rows.map((row) => {
      const type = byKey.get(row.collectionKey)!;
      return geoJson ? entityFeature(row, type, options, geometryProperty) : encodeEntity(row, type, options);
    });
  }

  async function rows(selection: EntitySelectionParameters, page: EntityPage, attrNames: readonly string[] | null, request: TermMap) {
    const types = selectTypes(selection.types, await entityTypes(deps), request);
    const attrs = attrNames?.map((name) => request.expand(name)) ?? null;
    const query: EntityQuery = {
      parts: types.map((type) => ({
        collectionKeys: [type.collection.key],
        condition: selection.q ? resolveQuery(selection.q, type, request) : null,
        anyAttribute: attrs ? attrs.filter((iri) => iri !== LOCATION).map((iri) => type.terms.compact(iri)) : null,
        withLocation: attrs?.includes(LOCATION) ?? false,
        geo: selection.geo ? resolveGeoQuery(selection.geo, type, request) : null,
        linked: type.linked,
      })),
      ids: selection.ids,
      idPattern: selection.idPattern,
      scopes: selection.scopes ?? null,
      limit: page.limit,
      offset: page.offset,
      count: page.count,
    };
    const { rows: found, count } = await deps.entities.query(query);
    return { rows: found, types: new Map(types.map((t) => [t.collection.key, t])), count };
  }

  /** Linked entity retrieval over this reader: rows of any type by id, encoded as the view says with each level's projection. */
  function linkedDeps(view: EntityView, request: TermMap, itemUrl: ItemUrl | undefined): LinkedEntityDeps {
    return {
      rowsOf: async (ids) => {
        const out: TypedRow[] = [];
        for (let at = 0; at < ids.length; at += LIMIT.maximum) {
          const chunk = ids.slice(at, at + LIMIT.maximum);
          const found = await rows({ types: null, ids: chunk, idPattern: null, q: null, geo: null }, { limit: LIMIT.maximum, offset: 0, count: false }, null, request);
          for (const r of found.rows) out.push({ row: r, type: found.types.get(r.collectionKey)! });
        }
        return out;
      },
      encode: (typed, options) => encodeEntity(typed.row, typed.type, options),
      optionsOf: (projection) => encodeOptions({ ...view, projection }, request, itemUrl),
    };
  }

  async function row(id: string, typeSelection: EntitySelectionParameters['types'], request: TermMap) {
    const types = selectTypes(typeSelection, await entityTypes(deps), request);
    const found = await deps.entities.byId(types.map((t) => t.collection.key), id);
    return found ? { row: found, type: types.find((t) => t.collection.key === found.collectionKey)! } : null;
  }

  return {
    async query(selection, page, view, request, geoJson, itemUrl) {
      const found = await rows(selection, page, view.projection.attrs, request);
      if (view.join && !geoJson) {
        const typed = found.rows.map((r) => ({ row: r, type: found.types.get(r.collectionKey)! }));
        const joined = await joinEntities(typed, view.projection, view.join, linkedDeps(view, request, itemUrl));
        return { entities: [...joined.entities, ...joined.linked], count: found.count };
      }
      return { entities: encode(found.rows, [...found.types.values()], view, request, geoJson, itemUrl), count: found.count };
    },

    async retrieve(id, typeSelection, view, request, geoJson, itemUrl) {
      const found = await row(id, typeSelection, request);
      if (!found) return null;
      if (view.join && !geoJson) {
        const joined = await joinEntities([found], view.projection, view.join, linkedDeps(view, request, itemUrl));
        // flat: the entity and those it links to, as an array; just the entity when it links to none.
        return joined.linked.length ? [...joined.entities, ...joined.linked] : joined.entities[0]!;
      }
      return encode([found.row], [found.type], view, request, geoJson, itemUrl)[0]!;
    },

    rows,
    row,
  };
}
