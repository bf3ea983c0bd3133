import { z } from 'zod';
import { InvalidParameterError } from '../../domain/errors.js';
import type { PagePosition } from '../../domain/query.js';
import { PARAM } from '../vocabulary.js';

/** The opaque `cursor` parameter of next/prev links: a keyset position, base64url-encoded JSON. */
const CURSOR = z.object({
  d: z.enum(['a', 'b']),
  // a feature's seq, or an observation's position (datastream.start.end.resultTime)
  s: z.string().regex(/^(\d{1,19}|\d{1,10}\.-?\d{1,19}\.-?\d{1,19}\.(-?\d{1,19}|n))$/),
  n: z.number().int().min(0),
  v: z.number().int().min(0),
});

type KeysetPosition = Extract<PagePosition, { kind: 'after' | 'before' }>;

export function encodeCursor(position: KeysetPosition): string {
  const payload: z.infer<typeof CURSOR> = { d: position.kind === 'after' ? 'a' : 'b', s: position.seq, n: position.skipped, v: position.dataVersion };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(raw: string): KeysetPosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    payload = null;
  }
  const parsed = CURSOR.safeParse(payload);
  if (!parsed.success) throw new InvalidParameterError(PARAM.cursor, 'cursor is not one this server issued; follow the next/prev links of a response');
  const { d, s, n, v } = parsed.data;
  return { kind: d === 'a' ? 'after' : 'before', seq: s, skipped: n, dataVersion: v };
}
