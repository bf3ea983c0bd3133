import type { ApiContext } from './building-block.js';

// Links are built as strings: URL objects cost more than the rest of a small items request.
const NOT_PATH_SAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/;
const NOT_PATH_SAFE_ALL = new RegExp(NOT_PATH_SAFE.source, 'g');

function encodePath(path: string): string {
  return NOT_PATH_SAFE.test(path) ? path.replace(NOT_PATH_SAFE_ALL, (c) => encodeURIComponent(c)) : path;
}

function withQuery(base: string, pairs: Iterable<readonly [string, string]>): string {
  let query = '';
  for (const [name, value] of pairs) query += `${query ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  return base + query;
}

/** An absolute URL of a resource of the request's API (a path below its mount), with query parameters (undefined ones dropped). */
export function apiUrl(ctx: ApiContext, path: string, query: Record<string, string | undefined> = {}): string {
  const pairs = Object.entries(query).filter((pair): pair is [string, string] => pair[1] !== undefined);
  return withQuery(`${ctx.state.apiBase}${encodePath(path)}`, pairs);
}

/** The request's own URL with some query parameters replaced (undefined removes one). */
export function selfUrl(ctx: ApiContext, changes: Record<string, string | undefined> = {}): string {
  const pairs = new Map<string, string>();
  for (const [name, value] of Object.entries(ctx.query)) if (typeof value === 'string') pairs.set(name, value);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) pairs.delete(name);
    else pairs.set(name, value);
  }
  return withQuery(`${ctx.state.baseUrl}${encodePath(ctx.path)}`, pairs);
}
