import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isDateText, isTimestampText } from '../../domain/calendar.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { PagePosition, SortKey, SortValue } from '../../domain/query.js';
import { PARAM } from '../vocabulary.js';

/**
 * The opaque `cursor` parameter of next/prev links: a keyset position, base64url-encoded JSON.
 * With `sortby` it also carries the sort key values of the feature at the page edge and a digest
 * of the order they belong to, so a cursor cannot be replayed against another order.
 */
const CURSOR = z.object({
  d: z.enum(['a', 'b']),
  // a feature's seq, or an observation's position (datastream.start.end.resultTime)
  s: z.string().regex(/^(\d{1,19}|\d{1,10}\.-?\d{1,19}\.-?\d{1,19}\.(-?\d{1,19}|n))$/),
  n: z.number().int().min(0),
  v: z.number().int().min(0),
  k: z.array(z.union([z.string().max(4000), z.number(), z.boolean(), z.null()])).max(20).optional(),
  o: z.string().max(16).optional(),
});

type KeysetPosition = Extract<PagePosition, { kind: 'after' | 'before' }>;

/** A short digest naming an order (empty for the default order). */
function orderDigest(order: readonly SortKey[]): string | undefined {
  if (order.length === 0) return undefined;
  return createHash('sha256').update(JSON.stringify(order)).digest('base64url').slice(0, 12);
}

function fits(value: SortValue, key: SortKey): boolean {
  if (value === null) return true;
  switch (key.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      return typeof value === 'string' && isDateText(value);
    case 'timestamp':
      return typeof value === 'string' && isTimestampText(value);
  }
}

export function encodeCursor(position: KeysetPosition, order: readonly SortKey[]): string {
  const payload: z.infer<typeof CURSOR> = { d: position.kind === 'after' ? 'a' : 'b', s: position.seq, n: position.skipped, v: position.dataVersion };
  const digest = orderDigest(order);
  if (digest) {
    payload.k = [...position.keys];
    payload.o = digest;
  }
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(raw: string, order: readonly SortKey[]): KeysetPosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    payload = null;
  }
  const parsed = CURSOR.safeParse(payload);
  if (!parsed.success) throw new InvalidParameterError(PARAM.cursor, 'cursor is not one this server issued; follow the next/prev links of a response');
  const { d, s, n, v, k = [], o } = parsed.data;
  if (o !== orderDigest(order) || k.length !== order.length || !k.every((value, i) => fits(value, order[i]!))) {
    throw new InvalidParameterError(PARAM.cursor, 'cursor belongs to another sortby; follow the next/prev links of a response, which keep sortby and cursor together');
  }
  return { kind: d === 'a' ? 'after' : 'before', seq: s, keys: k, skipped: n, dataVersion: v };
}
