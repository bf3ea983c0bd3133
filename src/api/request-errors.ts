import { PlacelinkError } from '../domain/errors.js';

/**
 * Requests the service cannot read at all, raised at the edge before any API sees them. They are
 * errors like any other, so every API's table can give them its own form.
 */

/** A request the HTTP parser could not read. */
export class MalformedRequestError extends PlacelinkError {
  readonly code = 'malformed-request';
  constructor() {
    super('The request could not be parsed as HTTP/1.1.');
  }
}

/** A request line or header section beyond the server's limit (usually a huge query string). */
export class RequestHeadersTooLargeError extends PlacelinkError {
  readonly code = 'request-headers-too-large';
  constructor() {
    super('The request line or headers exceed the server limit; shorten the query string.');
  }
}

/** A query string long enough to be abuse rather than a query. */
export class QueryTooLongError extends PlacelinkError {
  readonly code = 'query-too-long';
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`The query string is ${length} characters long; the limit is ${limit}`);
  }
}

/** No usable Host to build links from. */
export class InvalidHostError extends PlacelinkError {
  readonly code = 'invalid-host';
  constructor() {
    super('The request has no valid Host header (a host name or address with an optional port)');
  }
}
