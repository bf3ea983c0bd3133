import { resolveError, visibleDetail, type ErrorFormat, type ErrorTable } from '../api/error-format.js';
import { InvalidHostError, MalformedRequestError, QueryTooLongError, RequestHeadersTooLargeError } from '../api/request-errors.js';
import {
  AlreadyExistsError,
  AuthenticationError,
  CollectionNotFoundError,
  DatabaseUnavailableError,
  FeatureNotFoundError,
  InputTooLargeError,
  InvalidInputError,
  InvalidParameterError,
  LdContextNotAvailableError,
  MalformedInputError,
  OperationNotSupportedError,
  QueryTimeoutError,
  RepresentationUnavailableError,
  ResourceNotFoundError,
  UnknownParameterError,
  TenantsNotSupportedError,
  UnknownRepresentationError,
  UnsupportedInputFormatError,
} from '../domain/errors.js';
import { ERROR_TYPE, MEDIA } from './vocabulary.js';

/**
 * The NGSI-LD error table (clause 5.5.2, statuses of table 6.3.2-1). LdContextNotAvailable is a 503:
 * V1.8.1 and the ETSI suite (043_01) say so; V1.9.1 moved it to 504, which placelink will follow with
 * the move to 1.9.1.
 */
const TABLE: ErrorTable = [
  [UnknownParameterError, { status: 400, title: 'Invalid request', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [MalformedRequestError, { status: 400, title: 'Invalid request', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [InvalidHostError, { status: 400, title: 'Invalid request', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [MalformedInputError, { status: 400, title: 'Invalid request', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [UnknownRepresentationError, { status: 400, title: 'Invalid request', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [InvalidParameterError, { status: 400, title: 'Bad request data', exposeDetail: true, type: ERROR_TYPE.badRequestData }],
  [InvalidInputError, { status: 400, title: 'Bad request data', exposeDetail: true, type: ERROR_TYPE.badRequestData }],
  [AuthenticationError, { status: 401, title: 'Unauthorized', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [ResourceNotFoundError, { status: 404, title: 'Resource not found', exposeDetail: true, type: ERROR_TYPE.resourceNotFound }],
  [CollectionNotFoundError, { status: 404, title: 'Resource not found', exposeDetail: true, type: ERROR_TYPE.resourceNotFound }],
  [FeatureNotFoundError, { status: 404, title: 'Resource not found', exposeDetail: true, type: ERROR_TYPE.resourceNotFound }],
  [RepresentationUnavailableError, { status: 406, title: 'Not acceptable', exposeDetail: true, type: ERROR_TYPE.notAcceptable }],
  [AlreadyExistsError, { status: 409, title: 'Already exists', exposeDetail: true, type: ERROR_TYPE.alreadyExists }],
  [InputTooLargeError, { status: 413, title: 'Payload too large', exposeDetail: true, type: ERROR_TYPE.badRequestData }],
  [QueryTooLongError, { status: 414, title: 'URI too long', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [UnsupportedInputFormatError, { status: 415, title: 'Unsupported media type', exposeDetail: true, type: ERROR_TYPE.unsupportedMediaType }],
  [OperationNotSupportedError, { status: 422, title: 'Operation not supported', exposeDetail: true, type: ERROR_TYPE.operationNotSupported }],
  [TenantsNotSupportedError, { status: 501, title: 'No multi-tenant support', exposeDetail: true, type: ERROR_TYPE.noMultiTenantSupport }],
  [RequestHeadersTooLargeError, { status: 431, title: 'Request header fields too large', exposeDetail: true, type: ERROR_TYPE.invalidRequest }],
  [LdContextNotAvailableError, { status: 503, title: 'JSON-LD context not available', exposeDetail: true, type: ERROR_TYPE.ldContextNotAvailable }],
  [QueryTimeoutError, { status: 503, title: 'Query timed out', exposeDetail: true, type: ERROR_TYPE.internalError }],
  [DatabaseUnavailableError, { status: 503, title: 'Database unavailable', exposeDetail: true, type: ERROR_TYPE.internalError }],
];

/** Koa's own HTTP errors (405 …) get the error type their status suggests. */
const BY_STATUS: Readonly<Record<number, string>> = { 405: ERROR_TYPE.methodNotAllowed, 406: ERROR_TYPE.notAcceptable, 415: ERROR_TYPE.unsupportedMediaType };

/** NGSI-LD ProblemDetails, `application/json`, fully qualified types, an `errorId` that is also in the log. */
export const NGSI_LD_PROBLEMS: ErrorFormat = {
  resolve: (error) => resolveError(TABLE, error),
  render(error, resolved, request, errorId) {
    const detail = visibleDetail(error, resolved, errorId);
    const type = resolved.type ?? BY_STATUS[resolved.status] ?? (resolved.status >= 500 ? ERROR_TYPE.internalError : ERROR_TYPE.badRequestData);
    const body = { type, title: resolved.title, status: resolved.status, detail, ...(request && { instance: request.path }), errorId };
    return { status: resolved.status, contentType: MEDIA.json, body: JSON.stringify(body) };
  },
};
