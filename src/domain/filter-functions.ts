import type { ValueType } from './filter.js';

export interface FilterFunctionArgument {
  readonly title: string;
  readonly type: ValueType;
}

/** A function filters may call; src/db/sql/filter-sql.ts knows how to evaluate each one. */
export interface FilterFunction {
  readonly name: string;
  readonly description: string;
  readonly args: readonly FilterFunctionArgument[];
  readonly returns: ValueType;
}

/**
 * The registry of filter functions. Geodesic measures use the WGS 84 ellipsoid and metres; a
 * value that cannot be measured (coordinates outside longitude/latitude range) gives null, which
 * makes a comparison unknown rather than failing the request.
 */
export const FILTER_FUNCTIONS: readonly FilterFunction[] = [
  {
    name: 's_area',
    description: 'Geodesic area of a geometry on the WGS 84 ellipsoid, in square metres (0 for points and lines).',
    args: [{ title: 'geometry', type: 'geometry' }],
    returns: 'number',
  },
  {
    name: 's_length',
    description: 'Geodesic length of a geometry on the WGS 84 ellipsoid, in metres (0 for points and polygons).',
    args: [{ title: 'geometry', type: 'geometry' }],
    returns: 'number',
  },
  {
    name: 's_distance',
    description: 'Shortest geodesic distance between two geometries on the WGS 84 ellipsoid, in metres.',
    args: [
      { title: 'first geometry', type: 'geometry' },
      { title: 'second geometry', type: 'geometry' },
    ],
    returns: 'number',
  },
  {
    name: 's_dwithin',
    description: 'True when two geometries are within the given geodesic distance (metres) of each other.',
    args: [
      { title: 'first geometry', type: 'geometry' },
      { title: 'second geometry', type: 'geometry' },
      { title: 'distance in metres (not negative)', type: 'number' },
    ],
    returns: 'boolean',
  },
  {
    name: 'char_length',
    description: 'Number of characters (Unicode code points) of a string.',
    args: [{ title: 'string', type: 'string' }],
    returns: 'number',
  },
];

export function filterFunction(name: string): FilterFunction | undefined {
  const key = name.toLowerCase();
  return FILTER_FUNCTIONS.find((f) => f.name === key);
}
