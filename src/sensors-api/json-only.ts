import type { ApiContext } from '../api/building-block.js';
import { single } from '../api/query-values.js';
import { InvalidParameterError } from '../domain/errors.js';

/** The sensor endpoints answer in JSON only. */
export const JSON_ONLY = 'application/json';

/** Accepts `f=json` (or no `f`); anything else names what is served as JSON only. */
export function readFormat(ctx: ApiContext, what: string): void {
  const format = single(ctx.query, 'f');
  if (format !== undefined && format !== 'json') throw new InvalidParameterError('f', `${what} are served as JSON only (f=json)`);
}
