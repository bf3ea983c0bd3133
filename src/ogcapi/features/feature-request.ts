import { parameterSet, type ParameterSet, type QueryParameter } from '../../api/parameter.js';
import type { RawQuery } from '../../api/query-values.js';
import type { Collection, Queryable } from '../../domain/collection.js';
import { allOf, type FilterCondition } from '../../domain/filter.js';
import type { Envelope, FeatureOutput, PagePosition, PropertyEquality, SortKey, TimeInterval } from '../../domain/query.js';
import { collectionQueryables } from '../../domain/queryables.js';
import { CRS84, type CrsRef } from '../../geo/crs-registry.js';
import type { PageRequest } from '../../services/features/query-features.js';
import { geometryOutput } from '../crs/collection-crs.js';
import { LIMIT } from '../vocabulary.js';

/** A features request while its parameter modules read it: each fills in what its parameters decide. */
export interface FeatureDraft {
  readonly queryables: ReadonlyMap<string, Queryable>;
  /** The CRS of the returned geometries (Part 2); CRS84 without the CRS block. */
  crs: CrsRef;
  /** The CRS `bbox` is written in. */
  bboxCrs: CrsRef;
  envelopes: Envelope[];
  time: TimeInterval | null;
  equalities: PropertyEquality[];
  conditions: FilterCondition[];
  order: SortKey[];
  position: PagePosition;
  limit: number;
  /** The properties to return; null: all. */
  properties: string[] | null;
}

/** A parameter module of the features resources, scoped to the collection requested. */
export type FeatureParameter = QueryParameter<Collection, FeatureDraft>;

/** The resources of the features API that take query parameters. */
export type FeatureResource = 'items' | 'feature';

/** A parameter module and the resources it applies to, as a building block contributes it. */
export interface ContributedParameter {
  readonly parameter: FeatureParameter;
  readonly resources: readonly FeatureResource[];
}

export interface ItemsRequest extends PageRequest {
  readonly crs: CrsRef;
}

export interface FeatureRequest {
  readonly crs: CrsRef;
  readonly output: FeatureOutput;
}

function emptyDraft(collection: Collection): FeatureDraft {
  return {
    queryables: collectionQueryables(collection),
    crs: CRS84,
    bboxCrs: CRS84,
    envelopes: [],
    time: null,
    equalities: [],
    conditions: [],
    order: [],
    position: { kind: 'start' },
    limit: LIMIT.default,
    properties: null,
  };
}

/** The parameters of the items and single-feature resources, from the modules the enabled blocks contribute. */
export interface FeatureParameters {
  readonly items: ParameterSet<Collection, FeatureDraft>;
  readonly feature: ParameterSet<Collection, FeatureDraft>;
  readItems(query: RawQuery, collection: Collection): ItemsRequest;
  readFeature(query: RawQuery, collection: Collection): FeatureRequest;
}

export function featureParameters(contributed: readonly ContributedParameter[]): FeatureParameters {
  const items = parameterSet(contributed.filter((c) => c.resources.includes('items')).map((c) => c.parameter));
  const feature = parameterSet(contributed.filter((c) => c.resources.includes('feature')).map((c) => c.parameter));
  return {
    items,
    feature,
    readItems(query, collection) {
      const draft = items.read(query, collection, emptyDraft(collection));
      return {
        selection: { collectionKey: collection.key, envelopes: draft.envelopes, time: draft.time, equalities: draft.equalities, filter: allOf(draft.conditions) },
        order: draft.order,
        position: draft.position,
        limit: draft.limit,
        output: { ...geometryOutput(draft.crs), properties: draft.properties },
        crs: draft.crs,
      };
    },
    readFeature(query, collection) {
      const draft = feature.read(query, collection, emptyDraft(collection));
      return { crs: draft.crs, output: { ...geometryOutput(draft.crs), properties: draft.properties } };
    },
  };
}
