import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../domain/errors.js';
import type { ApiContext } from './building-block.js';

export interface ApiKeyRequirement {
  /** The key the operation needs; undefined: the operation is not enabled. */
  readonly key: string | undefined;
  /** Names the credentials in `WWW-Authenticate`. */
  readonly realm: string;
  /** Why the operation is off when no key is configured. */
  readonly disabled: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function presentedKey(ctx: ApiContext): string | null {
  const header = ctx.get('X-API-Key');
  if (header) return header;
  const auth = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'));
  return auth ? auth[1]!.trim() : null;
}

/** The request must carry the configured API key, as `X-API-Key` or `Authorization: Bearer`. */
export function requireApiKey(ctx: ApiContext, requirement: ApiKeyRequirement): void {
  const { key, realm } = requirement;
  if (!key) throw new AuthenticationError(requirement.disabled, realm);
  const given = presentedKey(ctx);
  if (!given) throw new AuthenticationError('An API key is required: send it as X-API-Key or Authorization: Bearer <key>', realm);
  // Compared as digests so the comparison takes the same time whatever the key's length.
  if (!timingSafeEqual(digest(given), digest(key))) throw new AuthenticationError('The API key is not valid', realm);
}
