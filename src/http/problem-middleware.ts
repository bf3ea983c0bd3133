import type { Middleware } from 'koa';
import { ResourceNotFoundError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { describeProblem } from './problem-document.js';

/** Turns any error a route raises into an RFC 9457 problem document. */
export function problemMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new ResourceNotFoundError(ctx.path);
    } catch (error) {
      const { problem, body } = describeProblem(error, { path: ctx.path, method: ctx.method, url: ctx.originalUrl, requestId: String(ctx.state['requestId'] ?? '') }, logger);
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = JSON.stringify(body);
      if (problem.status === 503) ctx.set('Retry-After', '5');
      ctx.remove('Content-Crs');
    }
  };
}
