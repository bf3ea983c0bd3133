import { COMMON_PROBLEMS, problemDetails } from '../api/problem-details.js';
import { CollectionNotFoundError, FeatureNotFoundError } from '../domain/errors.js';

/** placelink's sensor endpoints answer errors as RFC 9457 problem details. */
export const SENSOR_PROBLEMS = problemDetails([
  [CollectionNotFoundError, { status: 404, title: 'Collection not found', exposeDetail: true }],
  [FeatureNotFoundError, { status: 404, title: 'Feature not found', exposeDetail: true }],
  ...COMMON_PROBLEMS,
]);
