import {
  AuthenticationError,
  DatabaseUnavailableError,
  InputTooLargeError,
  InvalidInputError,
  InvalidParameterError,
  QueryTimeoutError,
  RepresentationUnavailableError,
  ResourceNotFoundError,
  UnknownParameterError,
  UnsupportedCrsError,
  UnsupportedInputFormatError,
} from '../domain/errors.js';
import { resolveError, visibleDetail, type ErrorFormat, type ErrorTable } from './error-format.js';
import { InvalidHostError, MalformedRequestError, QueryTooLongError, RequestHeadersTooLargeError } from './request-errors.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'urn:placelink:problem:';

/** Rows every RFC 9457 API of placelink shares; an API puts its own rows before them. */
export const COMMON_PROBLEMS: ErrorTable = [
  [InvalidParameterError, { status: 400, title: 'Invalid parameter', exposeDetail: true }],
  [UnknownParameterError, { status: 400, title: 'Unknown parameter', exposeDetail: true }],
  [InvalidInputError, { status: 400, title: 'Invalid input', exposeDetail: true }],
  [MalformedRequestError, { status: 400, title: 'Bad request', exposeDetail: true }],
  [InvalidHostError, { status: 400, title: 'Bad request', exposeDetail: true }],
  [AuthenticationError, { status: 401, title: 'Unauthorized', exposeDetail: true }],
  [ResourceNotFoundError, { status: 404, title: 'Not found', exposeDetail: true }],
  [RepresentationUnavailableError, { status: 406, title: 'Not acceptable', exposeDetail: true }],
  [InputTooLargeError, { status: 413, title: 'Payload too large', exposeDetail: true }],
  [QueryTooLongError, { status: 414, title: 'URI too long', exposeDetail: true }],
  [UnsupportedInputFormatError, { status: 415, title: 'Unsupported media type', exposeDetail: true }],
  [RequestHeadersTooLargeError, { status: 431, title: 'Request header fields too large', exposeDetail: true }],
  [QueryTimeoutError, { status: 503, title: 'Query timed out', exposeDetail: true }],
  [DatabaseUnavailableError, { status: 503, title: 'Database unavailable', exposeDetail: true }],
];

function parameterOf(error: unknown): string | undefined {
  if (error instanceof InvalidParameterError || error instanceof UnknownParameterError) return error.parameter;
  if (error instanceof UnsupportedCrsError) return error.parameter;
  return undefined;
}

/**
 * RFC 9457 problem documents (`application/problem+json`) from a table: `type` is
 * `urn:placelink:problem:<code>`, the offending `parameter` is named where there is one, `code` and
 * `description` repeat it in OGC API's exception members, and `errorId` is also in the log line.
 */
export function problemDetails(table: ErrorTable): ErrorFormat {
  return {
    resolve: (error) => resolveError(table, error),
    render(error, resolved, request, errorId) {
      const detail = visibleDetail(error, resolved, errorId);
      const body: Record<string, unknown> = {
        type: `${PROBLEM_TYPE_BASE}${resolved.code}`,
        title: resolved.title,
        status: resolved.status,
        detail,
        ...(request && { instance: request.path }),
        code: resolved.code,
        description: detail,
        errorId,
      };
      const parameter = parameterOf(error);
      if (parameter) body['parameter'] = parameter;
      return { status: resolved.status, contentType: PROBLEM_MEDIA_TYPE, body: JSON.stringify(body) };
    },
  };
}
