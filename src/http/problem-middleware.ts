import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { InvalidParameterError, ResourceNotFoundError, UnknownParameterError, UnsupportedCrsError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { problemFor } from './problem-table.js';

const PROBLEM_TYPE_BASE = 'urn:placelink:problem:';

function parameterOf(error: unknown): string | undefined {
  if (error instanceof InvalidParameterError || error instanceof UnknownParameterError) return error.parameter;
  if (error instanceof UnsupportedCrsError) return error.parameter;
  return undefined;
}

/**
 * Turns any error into an RFC 9457 problem document. Every error gets an id that is both in the
 * body and in the log line; server errors never expose their message or stack.
 */
export function problemMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new ResourceNotFoundError(ctx.path);
    } catch (error) {
      const problem = problemFor(error);
      const errorId = randomUUID();
      const requestId = String(ctx.state['requestId'] ?? '');
      const log = { errorId, requestId, method: ctx.method, url: ctx.originalUrl.slice(0, 2000), status: problem.status, code: problem.code };
      if (problem.status >= 500) logger.error({ ...log, err: error }, 'request failed');
      else logger.info({ ...log, detail: (error as Error).message }, 'request rejected');

      const detail = problem.exposeDetail ? (error as Error).message : `An unexpected error occurred; quote error id ${errorId} to the operator.`;
      const body: Record<string, unknown> = {
        type: `${PROBLEM_TYPE_BASE}${problem.code}`,
        title: problem.title,
        status: problem.status,
        detail,
        instance: ctx.path,
        // `code` and `description` are OGC API Features' exception members, alongside RFC 9457's
        code: problem.code,
        description: detail,
        errorId,
      };
      const parameter = parameterOf(error);
      if (parameter) body['parameter'] = parameter;
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = JSON.stringify(body);
      if (problem.status === 503) ctx.set('Retry-After', '5');
      ctx.remove('Content-Crs');
    }
  };
}
