import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const MAX_QUERY_LENGTH = 8192;

/** Refuses query strings long enough to be abuse rather than a query. */
export function queryLengthGuard(): Middleware {
  return async (ctx, next) => {
    if (ctx.querystring.length > MAX_QUERY_LENGTH) ctx.throw(414, `The query string is ${ctx.querystring.length} characters long; the limit is ${MAX_QUERY_LENGTH}`);
    await next();
  };
}

function forwardedBase(header: string): { proto?: string; host?: string } {
  const first = header.split(',')[0] ?? '';
  const out: { proto?: string; host?: string } = {};
  for (const pair of first.split(';')) {
    const [key, raw] = pair.split('=').map((s) => s.trim());
    const value = raw?.replace(/^"|"$/g, '');
    if (!key || !value) continue;
    if (key.toLowerCase() === 'proto' && /^https?$/i.test(value)) out.proto = value.toLowerCase();
    if (key.toLowerCase() === 'host' && /^[A-Za-z0-9.:[\]-]+$/.test(value)) out.host = value;
  }
  return out;
}

export interface RequestContextOptions {
  readonly baseUrl: string | undefined;
  readonly trustProxy: boolean;
}

/**
 * Sets the request id, arrival time and public base URL for links: BASE_URL when configured,
 * otherwise the request's own scheme and host, taking Forwarded / X-Forwarded-* only from a
 * trusted proxy.
 */
export function requestContext(options: RequestContextOptions, logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const given = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state['requestId'] = requestId;
    ctx.state['receivedAt'] = new Date();
    ctx.set('X-Request-Id', requestId);

    let base = options.baseUrl;
    if (!base) {
      let proto = ctx.protocol;
      let host = ctx.host;
      const forwarded = options.trustProxy ? ctx.get('Forwarded') : '';
      if (forwarded) {
        const parsed = forwardedBase(forwarded);
        proto = parsed.proto ?? proto;
        host = parsed.host ?? host;
      }
      base = `${proto}://${host}`;
    }
    ctx.state['baseUrl'] = base;

    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug({ requestId, method: ctx.method, url: ctx.originalUrl.slice(0, 500), status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}
