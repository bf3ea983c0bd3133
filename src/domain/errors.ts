/**
 * Domain errors. They carry what went wrong in the caller's terms and know nothing of HTTP: each
 * API has one table that turns them into its responses (src/ogcapi/problems.ts, …).
 */
export abstract class PlacelinkError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request parameter has a value we cannot use. */
export class InvalidParameterError extends PlacelinkError {
  readonly code: string = 'invalid-parameter';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** A parameter that chooses the representation (format, options) names one the API does not have. */
export class UnknownRepresentationError extends InvalidParameterError {
  override readonly code: string = 'unknown-representation';
}

/** A filter expression that does not follow its language's grammar. */
export class FilterSyntaxError extends InvalidParameterError {
  override readonly code = 'filter-syntax';
  constructor(
    parameter: string,
    /** Where, in the filter's own terms: "character 17" or a JSON pointer. */
    readonly location: string,
    readonly expected: string,
    found: string,
  ) {
    super(parameter, `${parameter} has a syntax error at ${location}: expected ${expected}, found ${found}`);
  }
}

/** A filter names something that is not a queryable of the collection. */
export class UnknownQueryableError extends InvalidParameterError {
  override readonly code = 'unknown-queryable';
  constructor(
    parameter: string,
    readonly queryable: string,
    readonly queryables: readonly string[],
    location?: string,
  ) {
    super(parameter, `${parameter} refers to '${queryable}'${location ? ` (at ${location})` : ''}, which is not a queryable of this collection; queryables: ${queryables.join(', ')}`);
  }
}

/** A filter combines values of types that do not fit together, or uses a feature it does not support. */
export class InvalidFilterError extends InvalidParameterError {
  override readonly code: string = 'invalid-filter';
  constructor(parameter: string, message: string, location?: string) {
    super(parameter, `${parameter}${location ? ` at ${location}` : ''}: ${message}`);
  }
}

export class FilterTypeError extends InvalidFilterError {
  override readonly code = 'filter-type';
}

/** A request parameter is not part of the API definition of this resource. */
export class UnknownParameterError extends PlacelinkError {
  readonly code = 'unknown-parameter';
  constructor(
    readonly parameter: string,
    readonly allowed: readonly string[],
  ) {
    super(`Unknown query parameter '${parameter}'. Allowed here: ${allowed.join(', ')}`);
  }
}

export class CollectionNotFoundError extends PlacelinkError {
  readonly code = 'collection-not-found';
  constructor(readonly collectionId: string) {
    super(`Collection '${collectionId}' does not exist`);
  }
}

export class FeatureNotFoundError extends PlacelinkError {
  readonly code = 'feature-not-found';
  constructor(
    readonly collectionId: string,
    readonly featureId: string,
  ) {
    super(`Feature '${featureId}' does not exist in collection '${collectionId}'`);
  }
}

export class ResourceNotFoundError extends PlacelinkError {
  readonly code = 'not-found';
  constructor(readonly path: string) {
    super(`No resource at '${path}'`);
  }
}

/** The client asked for a representation we do not produce. */
export class RepresentationUnavailableError extends PlacelinkError {
  readonly code = 'representation-unavailable';
  constructor(readonly offered: readonly string[]) {
    super(`None of the requested media types can be produced. Available: ${offered.join(', ')}`);
  }
}

/** A CRS identifier that is not in the registry (or not offered for this collection). */
export class UnsupportedCrsError extends PlacelinkError {
  readonly code = 'unsupported-crs';
  constructor(
    readonly crs: string,
    readonly parameter?: string,
    detail?: string,
  ) {
    super(detail ?? `Unsupported coordinate reference system '${crs}'`);
  }
}

export interface InputIssue {
  /** Where in the input: feature index, line, JSON pointer, … */
  readonly location: string;
  readonly reason: string;
}

/** Input data (an import file, a request body) that cannot be accepted. */
export class InvalidInputError extends PlacelinkError {
  readonly code: string = 'invalid-input';
  constructor(
    message: string,
    readonly issues: readonly InputIssue[] = [],
  ) {
    super(message);
  }
}

/** Input that is not a document of the kind expected at all: not JSON, or without the member that makes it one. */
export class MalformedInputError extends InvalidInputError {
  override readonly code = 'malformed-input';
}

/** Missing or invalid credentials (an API key) for an operation that needs them. */
export class AuthenticationError extends PlacelinkError {
  readonly code = 'authentication';
  constructor(
    message: string,
    /** The realm the credentials belong to, so a client can tell which to send. */
    readonly realm: string,
  ) {
    super(message);
  }
}

/** Input larger than the configured limit. */
export class InputTooLargeError extends PlacelinkError {
  readonly code = 'input-too-large';
  constructor(readonly limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes; send smaller batches`);
  }
}

/** Input in a format the operation does not read. */
export class UnsupportedInputFormatError extends PlacelinkError {
  readonly code = 'unsupported-input-format';
  constructor(
    readonly received: string,
    readonly accepted: readonly string[],
  ) {
    super(`Content-Type '${received}' is not accepted here; send ${accepted.join(' or ')}`);
  }
}

/** The database cannot be reached or refused the connection. */
export class DatabaseUnavailableError extends PlacelinkError {
  readonly code = 'database-unavailable';
  constructor(cause: unknown) {
    super('The database is not reachable', { cause });
  }
}

/** A configuration value (environment, mapping file) is unusable; start-up stops. */
export class ConfigurationError extends PlacelinkError {
  readonly code = 'configuration';
  constructor(
    message: string,
    readonly issues: readonly InputIssue[] = [],
  ) {
    super(message);
  }
}

/** Migration files and the database's migration record disagree. */
export class MigrationError extends PlacelinkError {
  readonly code = 'migration';
}

/** A statement ran past the server-side statement timeout. */
export class QueryTimeoutError extends PlacelinkError {
  readonly code = 'query-timeout';
  constructor(cause: unknown) {
    super('The query took longer than the configured statement timeout', { cause });
  }
}

/** An upstream service failed: an HTTP error status, a timeout, a broken connection. */
export class UpstreamError extends PlacelinkError {
  readonly code = 'upstream';
  constructor(
    message: string,
    /** The request URL with secrets redacted. */
    readonly url: string,
    readonly status: number | null,
    /** 5xx, 429, timeouts and broken connections are worth another try; other 4xx are not. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An upstream document (XML, JSON, CSV) that cannot be read, with the position where reading stopped. */
export class SourceFormatError extends PlacelinkError {
  readonly code = 'source-format';
  constructor(
    message: string,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super(message);
  }
}

/** An OGC service answered with an OWS ExceptionReport (often with HTTP 200). */
export class OwsExceptionError extends PlacelinkError {
  readonly code = 'ows-exception';
  constructor(
    readonly serverMessage: string,
    readonly exceptionCode: string | null,
  ) {
    super(`the service answered with an exception report${exceptionCode ? ` (${exceptionCode})` : ''}: ${serverMessage}`);
  }
}

/** A harvest that must not complete: pages missing or repeating, too many rejections, the delete-policy safety stop. */
export class HarvestError extends PlacelinkError {
  readonly code = 'harvest';
}

/** Another harvest of the same collection holds its lock. */
export class HarvestRunningError extends PlacelinkError {
  readonly code = 'harvest-running';
  constructor(readonly collectionId: string) {
    super(`a harvest into collection '${collectionId}' is already running`);
  }
}

/** A condition the code guarantees did not hold: a bug, answered as an internal error. */
export class InvariantError extends PlacelinkError {
  readonly code = 'invariant';
}

/** A JSON-LD @context a request refers to could not be loaded (not offline, not allowed, unreachable or not JSON-LD). */
export class LdContextNotAvailableError extends PlacelinkError {
  readonly code = 'ld-context-not-available';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`The JSON-LD @context '${url}' is not available: ${reason}`);
  }
}

/** What a request creates exists already (an entity id, a subscription id). */
export class AlreadyExistsError extends PlacelinkError {
  readonly code = 'already-exists';
}

/** The operation is not supported for this resource (e.g. a write to entities a harvest keeps). */
export class OperationNotSupportedError extends PlacelinkError {
  readonly code = 'operation-not-supported';
}

/** A notification could not be delivered to its endpoint (refused, unreachable, timed out); it is retried. */
export class NotificationDeliveryError extends PlacelinkError {
  readonly code = 'notification-delivery';
}

/** A request names a tenant; placelink keeps one set of data (NGSI-LD NoMultiTenantSupport). */
export class TenantsNotSupportedError extends PlacelinkError {
  readonly code = 'no-multi-tenant-support';
}
