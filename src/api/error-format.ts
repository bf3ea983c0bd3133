import type { PlacelinkError } from '../domain/errors.js';

export type ErrorClass = abstract new (...args: never[]) => PlacelinkError;

/** How an API answers one kind of error. */
export interface ErrorMapping {
  readonly status: number;
  readonly title: string;
  /** Client errors show the error's message; server errors show only the title and error id. */
  readonly exposeDetail: boolean;
  /** The API's own name for the error (an NGSI-LD problem type, say); the error's code otherwise. */
  readonly type?: string;
}

/** An API's table from domain errors to responses: the first row whose class matches wins. */
export type ErrorTable = ReadonlyArray<readonly [ErrorClass, ErrorMapping]>;

export interface ResolvedError extends ErrorMapping {
  /** The error's code (`PlacelinkError.code`), or `http-<status>` / `internal`. */
  readonly code: string;
}

const INTERNAL: ErrorMapping = { status: 500, title: 'Internal server error', exposeDetail: false };

/** Looks an error up in a table; HTTP errors Koa raises itself (405 …) keep their status; anything else is a 500. */
export function resolveError(table: ErrorTable, error: unknown): ResolvedError {
  for (const [type, mapping] of table) {
    if (error instanceof type) return { ...mapping, code: error.code };
  }
  const httpError = error as { status?: unknown; expose?: unknown; message?: string } | null;
  if (httpError && typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500 && httpError.expose === true) {
    return { status: httpError.status, title: httpError.message ?? 'Client error', exposeDetail: true, code: `http-${httpError.status}` };
  }
  return { ...INTERNAL, code: 'internal' };
}

/** What is known of the request: nothing when Node's HTTP parser refused it. */
export interface ErrorRequest {
  readonly path: string;
  readonly method: string;
  readonly url: string;
  readonly requestId: string;
}

export interface ErrorResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** An API's error documents: which response an error gets, and how its body looks. */
export interface ErrorFormat {
  resolve(error: unknown): ResolvedError;
  /** The body for a resolved error; `errorId` is also in the log line. Server errors never carry internals. */
  render(error: unknown, resolved: ResolvedError, request: ErrorRequest | null, errorId: string): ErrorResponse;
}

/** The message a client may see: the error's own for client errors, a pointer to the log otherwise. */
export function visibleDetail(error: unknown, resolved: ResolvedError, errorId: string): string {
  return resolved.exposeDetail ? (error as Error).message : `An unexpected error occurred; quote error id ${errorId} to the operator.`;
}
