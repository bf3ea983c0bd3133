import type { Collection, Queryable } from './collection.js';
import type { FeatureField, ValueType } from './filter.js';

const GEOMETRY_NAMES = ['geometry', 'geom', 'the_geom', '_geometry'];

/**
 * Everything a filter, a sort key or a query parameter may name in a collection: the feature id,
 * the primary geometry and (when the features carry time) the primary instant, followed by the
 * stored property queryables. A stored queryable wins over a built-in of the same name; a stored
 * primary-geometry queryable (e.g. `geom`) replaces the default `geometry`.
 */
export function collectionQueryables(collection: Collection): ReadonlyMap<string, Queryable> {
  let queryables = computed.get(collection);
  if (!queryables) computed.set(collection, (queryables = queryablesOf(collection)));
  return queryables;
}

/** Collections are immutable values (a catalog cache hands out the same object until it changes): their queryables are computed once. */
const computed = new WeakMap<Collection, ReadonlyMap<string, Queryable>>();

function queryablesOf(collection: Collection): ReadonlyMap<string, Queryable> {
  const stored = collection.queryables;
  const taken = (name: string) => Object.hasOwn(stored, name);
  const hasRole = (role: Queryable['role']) => Object.values(stored).some((q) => q.role === role);
  const out = new Map<string, Queryable>();
  if (!taken('id') && !hasRole('id')) out.set('id', { type: 'string', title: 'Feature identifier', role: 'id' });
  if (!hasRole('primary-geometry')) {
    const name = GEOMETRY_NAMES.find((n) => !taken(n));
    if (name) out.set(name, { type: 'geometry', title: 'Feature geometry', role: 'primary-geometry' });
  }
  if (collection.temporalExtent && !taken('datetime') && !hasRole('primary-instant')) {
    out.set('datetime', { type: 'timestamp', title: 'Feature time', role: 'primary-instant' });
  }
  for (const [name, queryable] of Object.entries(stored).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out.set(name, queryable);
  return out;
}

/** Types a value of which has a total order and fits a sort key or a cursor. */
export function isSortable(queryable: Queryable): boolean {
  return queryable.type !== 'geometry' && queryable.type !== 'array';
}

/** Queryables that are feature properties (not the id, geometry or time): table columns, selectable properties. */
export function propertyQueryables(collection: Collection): [string, Queryable][] {
  return Object.entries(collection.queryables).filter(([, q]) => q.role === undefined && q.type !== 'geometry');
}

/** The feature member a queryable reads and the type its values have in a filter. */
export function queryableField(name: string, queryable: Queryable): { field: FeatureField; type: ValueType } {
  switch (queryable.role) {
    case 'id':
      return { field: { source: 'id' }, type: 'string' };
    case 'primary-geometry':
      return { field: { source: 'geometry' }, type: 'geometry' };
    case 'primary-instant':
      return { field: { source: 'time' }, type: 'timestamp' };
    case undefined:
      if (queryable.type === 'geometry') return { field: { source: 'geometry' }, type: 'geometry' };
      return { field: { source: 'property', name }, type: queryable.type === 'integer' ? 'number' : queryable.type };
  }
}
