import { InputTooLargeError, MalformedInputError, UnsupportedInputFormatError } from '../domain/errors.js';
import type { ApiContext } from './building-block.js';

const JSON_TYPES = /^application\/([a-z.+-]*\+)?json\s*(;|$)/i;

/** The request body as JSON (any `application/…json` type), refused past `maxBytes` without reading the rest. */
export async function readJsonBody(ctx: ApiContext, maxBytes: number): Promise<unknown> {
  const type = ctx.get('Content-Type');
  if (!JSON_TYPES.test(type)) throw new UnsupportedInputFormatError(type || '(none)', ['application/json']);
  const declared = Number(ctx.get('Content-Length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new InputTooLargeError(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      // Stop reading; the connection is closed after the answer so the rest is not uploaded in vain.
      ctx.set('Connection', 'close');
      throw new InputTooLargeError(maxBytes);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedInputError(`The body is not JSON: ${(error as Error).message}`);
  }
}
