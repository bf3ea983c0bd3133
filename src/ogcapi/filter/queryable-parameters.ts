import { queryParameter, type OpenApiParameter } from '../../api/parameter.js';
import { quoted, single } from '../../api/query-values.js';
import type { Collection, Queryable } from '../../domain/collection.js';
import { isDateText, isTimestampText } from '../../domain/calendar.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { FilterCondition } from '../../domain/filter.js';
import type { PropertyEquality } from '../../domain/query.js';
import { collectionQueryables, queryableField } from '../../domain/queryables.js';
import type { FeatureParameter } from '../features/feature-request.js';
import { PARAM } from '../vocabulary.js';

const API_PARAMETERS: ReadonlySet<string> = new Set(Object.values(PARAM));

/**
 * Queryables usable as `name=value` parameters (Part 3 queryables-query-parameters): every one
 * with simple values that is not shadowed by an API parameter.
 */
export function queryableParameterNames(collection: Collection): readonly [string, Queryable][] {
  let names = byCollection.get(collection);
  if (!names) byCollection.set(collection, (names = [...collectionQueryables(collection)].filter(([name, q]) => !API_PARAMETERS.has(name) && q.type !== 'geometry' && q.type !== 'array')));
  return names;
}

const byCollection = new WeakMap<Collection, readonly [string, Queryable][]>();

const SCALAR_SCHEMAS: Record<string, Record<string, unknown>> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date' },
  timestamp: { type: 'string', format: 'date-time' },
};

function declaration(name: string, queryable: Queryable): OpenApiParameter {
  return queryParameter(name, `Only features whose ${queryable.role === 'id' ? 'id' : `property '${name}'`} equals this value.`, SCALAR_SCHEMAS[queryable.type] ?? { type: 'string' });
}

/** A `name=value` parameter: jsonb containment where that is exact (GIN-indexed), a typed comparison otherwise. */
function coerce(name: string, queryable: Queryable, raw: string): PropertyEquality | FilterCondition {
  const invalid = (what: string) => new InvalidParameterError(name, `${name} is ${what}, got ${quoted(raw)}`);
  const { field } = queryableField(name, queryable);
  switch (queryable.type) {
    case 'string':
      if (queryable.role === undefined) return { name, value: raw };
      return { kind: 'compare', operator: '=', left: { kind: 'field', type: 'string', field }, right: { kind: 'literal', type: 'string', value: raw } };
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw invalid('a boolean property; use true or false');
      return { name, value: raw === 'true' };
    case 'integer':
      if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw invalid('an integer property');
      return { name, value: Number(raw) };
    case 'number':
      if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw invalid('a numeric property');
      return { name, value: Number(raw) };
    case 'date':
      if (!isDateText(raw)) throw invalid('a date property; use YYYY-MM-DD');
      return { kind: 'compare', operator: '=', left: { kind: 'field', type: 'date', field }, right: { kind: 'literal', type: 'date', value: raw } };
    case 'timestamp': {
      if (!isTimestampText(raw)) throw invalid('a date-time property; use RFC 3339, e.g. 2021-04-16T10:15:59Z');
      const value = /([Zz]|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
      return { kind: 'compare', operator: '=', left: { kind: 'field', type: 'timestamp', field }, right: { kind: 'literal', type: 'timestamp', value } };
    }
    case 'geometry':
    case 'array':
      throw new InvalidParameterError(name, `${name} cannot be compared with a parameter value; use filter`);
  }
}

/** The collection's simple queryables as equality parameters (`?name=Berlin`), ANDed with the rest. */
export const queryableParameters: FeatureParameter = {
  names: [],
  openapi: {},
  scoped: (collection) => queryableParameterNames(collection).map(([name, q]) => declaration(name, q)),
  read(query, collection, draft) {
    for (const [name, queryable] of queryableParameterNames(collection)) {
      const raw = single(query, name);
      if (raw === undefined) continue;
      const coerced = coerce(name, queryable, raw);
      if ('kind' in coerced) draft.conditions.push(coerced);
      else draft.equalities.push(coerced);
    }
  },
};
