import {
  CollectionNotFoundError,
  DatabaseUnavailableError,
  FeatureNotFoundError,
  FilterSyntaxError,
  FilterTypeError,
  InvalidFilterError,
  InvalidInputError,
  InvalidParameterError,
  MalformedRequestError,
  NotAcceptableError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type PlacelinkError,
  QueryTimeoutError,
  RequestHeadersTooLargeError,
  ResourceNotFoundError,
  UnknownParameterError,
  UnknownQueryableError,
  UnsupportedCrsError,
} from '../domain/errors.js';

export interface ProblemMapping {
  readonly status: number;
  readonly title: string;
  /** Client errors show the error's message; server errors show only the title and error id. */
  readonly exposeDetail: boolean;
}

type ErrorClass = abstract new (...args: never[]) => PlacelinkError;

/** The one table from domain errors to HTTP status and problem title. */
const TABLE: ReadonlyArray<readonly [ErrorClass, ProblemMapping]> = [
  // Subclasses of InvalidParameterError first: the first matching row wins.
  [FilterSyntaxError, { status: 400, title: 'Filter syntax error', exposeDetail: true }],
  [UnknownQueryableError, { status: 400, title: 'Unknown queryable', exposeDetail: true }],
  [FilterTypeError, { status: 400, title: 'Filter type mismatch', exposeDetail: true }],
  [InvalidFilterError, { status: 400, title: 'Invalid filter', exposeDetail: true }],
  [InvalidParameterError, { status: 400, title: 'Invalid parameter', exposeDetail: true }],
  [UnknownParameterError, { status: 400, title: 'Unknown parameter', exposeDetail: true }],
  [UnsupportedCrsError, { status: 400, title: 'Unsupported CRS', exposeDetail: true }],
  [InvalidInputError, { status: 400, title: 'Invalid input', exposeDetail: true }],
  [MalformedRequestError, { status: 400, title: 'Bad request', exposeDetail: true }],
  [RequestHeadersTooLargeError, { status: 431, title: 'Request header fields too large', exposeDetail: true }],
  [UnauthorizedError, { status: 401, title: 'Unauthorized', exposeDetail: true }],
  [PayloadTooLargeError, { status: 413, title: 'Payload too large', exposeDetail: true }],
  [UnsupportedMediaTypeError, { status: 415, title: 'Unsupported media type', exposeDetail: true }],
  [CollectionNotFoundError, { status: 404, title: 'Collection not found', exposeDetail: true }],
  [FeatureNotFoundError, { status: 404, title: 'Feature not found', exposeDetail: true }],
  [ResourceNotFoundError, { status: 404, title: 'Not found', exposeDetail: true }],
  [NotAcceptableError, { status: 406, title: 'Not acceptable', exposeDetail: true }],
  [QueryTimeoutError, { status: 503, title: 'Query timed out', exposeDetail: true }],
  [DatabaseUnavailableError, { status: 503, title: 'Database unavailable', exposeDetail: true }],
];

const INTERNAL: ProblemMapping = { status: 500, title: 'Internal server error', exposeDetail: false };

export interface ResolvedProblem extends ProblemMapping {
  readonly code: string;
}

/** Maps an error to its problem; HTTP errors raised by Koa itself keep their status. */
export function problemFor(error: unknown): ResolvedProblem {
  for (const [type, mapping] of TABLE) {
    if (error instanceof type) return { ...mapping, code: error.code };
  }
  const httpError = error as { status?: unknown; expose?: unknown; message?: string } | null;
  if (httpError && typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500 && httpError.expose === true) {
    return { status: httpError.status, title: httpError.message ?? 'Client error', exposeDetail: true, code: `http-${httpError.status}` };
  }
  return { ...INTERNAL, code: 'internal' };
}
