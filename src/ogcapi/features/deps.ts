import type { ApiContext } from '../../api/building-block.js';
import type { Collection } from '../../domain/collection.js';
import type { LinkedValueLinks } from '../../domain/query.js';
import { requireCollection as findCollection, type CollectionReader } from '../../services/features/collection-catalog.js';
import type { FeatureQueryService } from '../../services/features/query-features.js';
import type { HtmlOptions } from '../html/layout.js';

/** A link another part of the service adds to a collection's document: a path under the API's base. */
export interface CollectionLink {
  readonly path: string;
  readonly rel: string;
  readonly type: string;
  readonly title: string;
}

export interface FeaturesApiDeps {
  /** The collections this API serves (all of them, or a data set's). */
  readonly collections: CollectionReader;
  readonly queries: FeatureQueryService;
  readonly html: HtmlOptions;
  /** Links other parts of the service add to collection documents (e.g. an observation collection's datastreams). */
  readonly collectionLinks?: (collection: Collection) => Promise<readonly CollectionLink[]>;
  /** Where the links of assets' linked sensor values point, for this request; none: values without links. */
  readonly assetLinks?: (ctx: ApiContext) => LinkedValueLinks;
}

/** The links other parts of the service add to a collection's document. */
export async function extraLinks(deps: FeaturesApiDeps, collection: Collection): Promise<readonly CollectionLink[]> {
  return deps.collectionLinks ? deps.collectionLinks(collection) : [];
}

export function requireCollection(deps: FeaturesApiDeps, id: string): Promise<Collection> {
  return findCollection(deps.collections, id);
}
