import type { Collection } from '../../domain/collection.js';
import { CollectionNotFoundError } from '../../domain/errors.js';
import type { CollectionRepository } from '../../services/ports.js';
import type { FeatureQueryService } from '../../services/query-features.js';
import type { HtmlOptions } from '../html/layout.js';

/** A link another part of the API adds to a collection's document: a path under the service's base. */
export interface CollectionLink {
  readonly path: string;
  readonly rel: string;
  readonly type: string;
  readonly title: string;
}

export interface FeaturesApiDeps {
  readonly collections: Pick<CollectionRepository, 'list' | 'get'>;
  readonly queries: FeatureQueryService;
  readonly html: HtmlOptions;
  /** Links other building blocks add to collection documents (e.g. an observation collection's datastreams). */
  readonly collectionLinks?: (collection: Collection) => Promise<readonly CollectionLink[]>;
}

/** The links other building blocks add to a collection's document. */
export async function extraLinks(deps: FeaturesApiDeps, collection: Collection): Promise<readonly CollectionLink[]> {
  return deps.collectionLinks ? deps.collectionLinks(collection) : [];
}

export async function requireCollection(deps: FeaturesApiDeps, id: string): Promise<Collection> {
  const collection = await deps.collections.get(id);
  if (!collection) throw new CollectionNotFoundError(id);
  return collection;
}
