import { InvalidParameterError } from '../../domain/errors.js';
import { LIMIT, PARAM } from '../vocabulary.js';
import { quoted } from './query-values.js';

/** `limit`: a positive integer; values above the maximum are clamped (/req/core/fc-limit-response). */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return LIMIT.default;
  if (!/^\+?\d+$/.test(raw.trim())) throw new InvalidParameterError(PARAM.limit, `limit must be an integer between ${LIMIT.minimum} and ${LIMIT.maximum}, got ${quoted(raw)}`);
  const value = Number(raw);
  if (value < LIMIT.minimum) throw new InvalidParameterError(PARAM.limit, `limit must be at least ${LIMIT.minimum}, got ${quoted(raw)}`);
  return Math.min(value, LIMIT.maximum);
}

export function parseOffset(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\+?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    throw new InvalidParameterError(PARAM.offset, `offset must be a non-negative integer, got ${quoted(raw)}`);
  }
  return Number(raw);
}
