import { COMMON_PROBLEMS, problemDetails } from '../api/problem-details.js';
import { CollectionNotFoundError, FeatureNotFoundError, FilterSyntaxError, FilterTypeError, InvalidFilterError, UnknownQueryableError, UnsupportedCrsError } from '../domain/errors.js';

/** OGC API Features answers errors as RFC 9457 problem details; filter errors are subclasses of InvalidParameterError, so they come first. */
export const OGC_PROBLEMS = problemDetails([
  [FilterSyntaxError, { status: 400, title: 'Filter syntax error', exposeDetail: true }],
  [UnknownQueryableError, { status: 400, title: 'Unknown queryable', exposeDetail: true }],
  [FilterTypeError, { status: 400, title: 'Filter type mismatch', exposeDetail: true }],
  [InvalidFilterError, { status: 400, title: 'Invalid filter', exposeDetail: true }],
  [UnsupportedCrsError, { status: 400, title: 'Unsupported CRS', exposeDetail: true }],
  [CollectionNotFoundError, { status: 404, title: 'Collection not found', exposeDetail: true }],
  [FeatureNotFoundError, { status: 404, title: 'Feature not found', exposeDetail: true }],
  ...COMMON_PROBLEMS,
]);
