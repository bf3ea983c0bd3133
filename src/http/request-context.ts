import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { InvalidHostError, QueryTooLongError } from '../api/request-errors.js';
import type { Logger } from '../logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const MAX_QUERY_LENGTH = 8192;

/** Refuses query strings long enough to be abuse rather than a query. */
export function queryLengthGuard(): Middleware {
  return async (ctx, next) => {
    if (ctx.querystring.length > MAX_QUERY_LENGTH) throw new QueryTooLongError(ctx.querystring.length, MAX_QUERY_LENGTH);
    await next();
  };
}

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing that could change a URL's meaning. */
const HOST = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const PROTO = /^https?$/i;
const plainHosts = new Set<string>();
/** Hosts already found plain are remembered: a service sees the same few, and URL.canParse costs more than the rest of this middleware. */
function isPlainHost(value: string): boolean {
  if (plainHosts.has(value)) return true;
  const plain = HOST.test(value) && URL.canParse(`http://${value}`);
  if (plain && plainHosts.size < 100) plainHosts.add(value);
  return plain;
}

const firstOf = (header: string) => (header.split(',')[0] ?? '').trim();

function forwardedBase(header: string): { proto?: string; host?: string } {
  const out: { proto?: string; host?: string } = {};
  for (const pair of firstOf(header).split(';')) {
    const [key, raw] = pair.split('=').map((s) => s.trim());
    const value = raw?.replace(/^"|"$/g, '');
    if (!key || !value) continue;
    if (key.toLowerCase() === 'proto' && PROTO.test(value)) out.proto = value.toLowerCase();
    if (key.toLowerCase() === 'host' && isPlainHost(value)) out.host = value;
  }
  return out;
}

export interface RequestContextOptions {
  readonly baseUrl: string | undefined;
  readonly trustProxy: boolean;
}

/** Sets the request id and arrival time, and logs each request with its duration. */
export function requestContext(logger: Logger): Middleware {
  // The per-request line is written at debug level only: building it costs more than its level check.
  const logRequests = logger.isLevelEnabled('debug');
  return async (ctx, next) => {
    const started = logRequests ? process.hrtime.bigint() : 0n;
    const given = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state['requestId'] = requestId;
    ctx.state['receivedAt'] = new Date();
    ctx.set('X-Request-Id', requestId);
    if (!logRequests) return next();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug({ requestId, method: ctx.method, url: ctx.originalUrl.slice(0, 500), status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}

/**
 * Sets the public base URL for links: BASE_URL when configured, otherwise the request's own scheme
 * and Host, taking Forwarded / X-Forwarded-* only from a trusted proxy and only when they hold an
 * http(s) scheme and a plain host. Koa's own proxy support is not used for this because it passes
 * X-Forwarded-Proto and X-Forwarded-Host through unchecked.
 */
export function publicBaseUrl(options: RequestContextOptions): Middleware {
  return async (ctx, next) => {
    let base = options.baseUrl;
    if (!base) {
      let proto = (ctx.req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      let host = ctx.get('Host');
      if (options.trustProxy) {
        const forwarded = forwardedBase(ctx.get('Forwarded'));
        const forwardedProto = firstOf(ctx.get('X-Forwarded-Proto'));
        const forwardedHost = firstOf(ctx.get('X-Forwarded-Host'));
        proto = forwarded.proto ?? (PROTO.test(forwardedProto) ? forwardedProto.toLowerCase() : proto);
        host = forwarded.host ?? (isPlainHost(forwardedHost) ? forwardedHost : host);
      }
      if (!isPlainHost(host)) throw new InvalidHostError();
      base = `${proto}://${host}`;
    }
    ctx.state['baseUrl'] = base;
    await next();
  };
}
