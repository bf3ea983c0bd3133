import { randomUUID } from 'node:crypto';
import { InvalidParameterError, UnknownParameterError, UnsupportedCrsError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { problemFor, type ResolvedProblem } from './problem-table.js';

const PROBLEM_TYPE_BASE = 'urn:placelink:problem:';

function parameterOf(error: unknown): string | undefined {
  if (error instanceof InvalidParameterError || error instanceof UnknownParameterError) return error.parameter;
  if (error instanceof UnsupportedCrsError) return error.parameter;
  return undefined;
}

export interface Problem {
  readonly problem: ResolvedProblem;
  readonly body: Record<string, unknown>;
}

/**
 * The RFC 9457 problem document for an error, logged under a new error id that the document
 * carries too; server errors never expose their message or stack.
 */
/** What is known of the request: nothing when Node's HTTP parser refused it. */
export interface ProblemRequest {
  readonly path: string;
  readonly method: string;
  readonly url: string;
  readonly requestId: string;
}

export function describeProblem(error: unknown, request: ProblemRequest | null, logger: Logger): Problem {
  const problem = problemFor(error);
  const errorId = randomUUID();
  const log = { errorId, ...(request && { requestId: request.requestId, method: request.method, url: request.url.slice(0, 2000) }), status: problem.status, code: problem.code };
  if (problem.status >= 500) logger.error({ ...log, err: error }, 'request failed');
  else logger.info({ ...log, detail: (error as Error).message }, 'request rejected');

  const detail = problem.exposeDetail ? (error as Error).message : `An unexpected error occurred; quote error id ${errorId} to the operator.`;
  const body: Record<string, unknown> = {
    type: `${PROBLEM_TYPE_BASE}${problem.code}`,
    title: problem.title,
    status: problem.status,
    detail,
    ...(request && { instance: request.path }),
    // `code` and `description` are OGC API Features' exception members, alongside RFC 9457's
    code: problem.code,
    description: detail,
    errorId,
  };
  const parameter = parameterOf(error);
  if (parameter) body['parameter'] = parameter;
  return { problem, body };
}
