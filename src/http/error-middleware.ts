import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { ErrorFormat, ErrorRequest, ErrorResponse } from '../api/error-format.js';
import { AuthenticationError, ResourceNotFoundError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** The error response in the API's format, logged under a new error id that the response carries too. */
export function answerError(error: unknown, request: ErrorRequest | null, format: ErrorFormat, logger: Logger): ErrorResponse {
  const resolved = format.resolve(error);
  const errorId = randomUUID();
  const log = { errorId, ...(request && { requestId: request.requestId, method: request.method, url: request.url.slice(0, 2000) }), status: resolved.status, code: resolved.code };
  if (resolved.status >= 500) logger.error({ ...log, err: error }, 'request failed');
  else logger.info({ ...log, detail: (error as Error).message }, 'request rejected');
  return format.render(error, resolved, request, errorId);
}

/**
 * Turns any error a route raises (and a path no route serves) into an error response in the format
 * of the API the request belongs to; headers meant for the success response are dropped.
 */
export function errorMiddleware(formatFor: (ctx: Context) => ErrorFormat, logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new ResourceNotFoundError(ctx.path);
    } catch (error) {
      const request = { path: ctx.path, method: ctx.method, url: ctx.originalUrl, requestId: String(ctx.state['requestId'] ?? '') };
      const response = answerError(error, request, formatFor(ctx), logger);
      ctx.status = response.status;
      ctx.type = response.contentType;
      ctx.body = response.body;
      if (response.status === 503) ctx.set('Retry-After', '5');
      // RFC 9110: a 401 says how to authenticate.
      if (error instanceof AuthenticationError) ctx.set('WWW-Authenticate', `Bearer realm="${error.realm}"`);
      ctx.remove('Content-Crs');
    }
  };
}
