import type { Collection } from '../../domain/collection.js';
import { CollectionNotFoundError } from '../../domain/errors.js';
import type { CollectionRepository } from '../../services/ports.js';
import type { FeatureQueryService } from '../../services/query-features.js';
import type { HtmlOptions } from '../html/layout.js';

export interface FeaturesApiDeps {
  readonly collections: Pick<CollectionRepository, 'list' | 'get'>;
  readonly queries: FeatureQueryService;
  readonly html: HtmlOptions;
}

export async function requireCollection(deps: FeaturesApiDeps, id: string): Promise<Collection> {
  const collection = await deps.collections.get(id);
  if (!collection) throw new CollectionNotFoundError(id);
  return collection;
}
