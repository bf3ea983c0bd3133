import { queryParameter } from '../../api/parameter.js';
import { quoted, single } from '../../api/query-values.js';
import type { Queryable } from '../../domain/collection.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { ScalarType } from '../../domain/filter.js';
import type { SortKey } from '../../domain/query.js';
import { isSortable, queryableField } from '../../domain/queryables.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';

const MAX_KEYS = 10;

/** The queryables `sortby` accepts: those with ordered values (no geometries, no arrays). */
export function sortables(queryables: ReadonlyMap<string, Queryable>): [string, Queryable][] {
  return [...queryables].filter(([, q]) => isSortable(q));
}

/**
 * `sortby` (OGC API Features Part 8 draft): comma-separated sortable names, each optionally
 * prefixed `+` (ascending, the default) or `-` (descending). A `+` left unencoded in a URL
 * arrives as a space, and is read as `+`.
 */
export function parseSortby(raw: string | undefined, queryables: ReadonlyMap<string, Queryable>): SortKey[] {
  if (raw === undefined) return [];
  const allowed = new Map(sortables(queryables));
  const parts = raw.split(',');
  if (parts.length > MAX_KEYS) throw new InvalidParameterError(PARAM.sortby, `sortby takes at most ${MAX_KEYS} keys, got ${parts.length}`);
  const seen = new Set<string>();
  return parts.map((part) => {
    const text = part.replace(/^ +/, (spaces) => (spaces.length === 1 ? '+' : spaces)).trim();
    const direction = text.startsWith('-') ? 'desc' : 'asc';
    const name = /^[+-]/.test(text) ? text.slice(1) : text;
    const queryable = allowed.get(name);
    if (!queryable) {
      throw new InvalidParameterError(PARAM.sortby, `sortby key ${quoted(name)} is not a sortable of this collection; sortables: ${[...allowed.keys()].join(', ')} (each optionally prefixed + or -)`);
    }
    if (seen.has(name)) throw new InvalidParameterError(PARAM.sortby, `sortby names '${name}' twice`);
    seen.add(name);
    const { field, type } = queryableField(name, queryable);
    return { field, type: type as ScalarType, direction };
  });
}

export const sortbyParameter: FeatureParameter = {
  names: [PARAM.sortby],
  openapi: {
    [PARAM.sortby]: queryParameter(
      PARAM.sortby,
      'Comma-separated sortables (see `/collections/{collectionId}/sortables`), each optionally prefixed `+` (ascending, the default) or `-` (descending). Missing values sort last; ties keep the stable default order.',
      { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[+-]?[A-Za-z_:].*$' } },
    ),
  },
  read(query, _collection, draft) {
    draft.order = parseSortby(single(query, PARAM.sortby), draft.queryables);
  },
};
