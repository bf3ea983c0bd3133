import { Readable } from 'node:stream';

/** Responses up to this size are sent as one string; larger ones stream in chunks of about this size. */
const BUFFER_LIMIT = 256 * 1024;

/**
 * The body of a response produced piece by piece. Pieces are gathered until the source ends (then
 * the body is one string: short responses cost no stream machinery) or the gathered text passes
 * BUFFER_LIMIT (then it becomes a stream, so memory stays bounded however long the response is).
 * Either way an error in the first pieces (the query failing, the database down) is thrown here,
 * before the response is committed, so it still becomes a proper error response.
 */
export async function responseBody(pieces: AsyncIterable<string>): Promise<string | Readable> {
  const iterator = pieces[Symbol.asyncIterator]();
  let pending = '';
  for (;;) {
    const next = await iterator.next();
    if (next.done) return pending;
    pending += next.value;
    if (pending.length >= BUFFER_LIMIT) break;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield Buffer.from(pending);
      pending = '';
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        pending += next.value;
        if (pending.length >= BUFFER_LIMIT) {
          yield Buffer.from(pending);
          pending = '';
        }
      }
      if (pending) yield Buffer.from(pending);
    } finally {
      await iterator.return?.();
    }
  }
  const stream = Readable.from(rest(), { objectMode: false });
  // A stream destroyed before its first read never runs rest()'s finally block (the response was
  // abandoned before Koa piped it): release the source here too, or its database connection leaks.
  stream.once('close', () => void iterator.return?.());
  return stream;
}
