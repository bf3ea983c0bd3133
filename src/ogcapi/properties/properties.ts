import { queryParameter } from '../../api/parameter.js';
import { quoted, single } from '../../api/query-values.js';
import type { Collection } from '../../domain/collection.js';
import { InvalidParameterError } from '../../domain/errors.js';
import { collectionQueryables, propertyQueryables } from '../../domain/queryables.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';

/**
 * `properties` (OGC API Features Part 6 draft): the feature properties to return, comma-separated;
 * empty returns none. The id and geometry are always returned, so naming their queryables is
 * allowed and changes nothing. null: all properties.
 */
export function parseProperties(raw: string | undefined, collection: Collection): string[] | null {
  if (raw === undefined) return null;
  if (raw.trim() === '') return [];
  const selectable = new Set(propertyQueryables(collection).map(([name]) => name));
  const builtIn = new Set([...collectionQueryables(collection)].filter(([, q]) => q.role !== undefined).map(([name]) => name));
  const names: string[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (builtIn.has(name)) continue;
    if (!selectable.has(name)) {
      throw new InvalidParameterError(PARAM.properties, `properties names ${quoted(name)}, which is not a property of this collection; properties: ${[...selectable].join(', ')}`);
    }
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export const propertiesParameter: FeatureParameter = {
  names: [PARAM.properties],
  openapi: {
    [PARAM.properties]: queryParameter(PARAM.properties, 'Comma-separated names of the properties to return (empty: none). The id and geometry are always returned.', { type: 'array', items: { type: 'string' } }),
  },
  read(query, collection, draft) {
    draft.properties = parseProperties(single(query, PARAM.properties), collection);
  },
};
