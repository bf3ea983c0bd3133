import type { Collection } from '../../domain/collection.js';
import { InvalidParameterError } from '../../domain/errors.js';
import { collectionQueryables, propertyQueryables } from '../../domain/queryables.js';
import { PARAM } from '../vocabulary.js';
import { quoted } from './query-values.js';

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
