import { Readable } from 'node:stream';

const CHUNK = 32 * 1024;

/** Joins many small strings into socket-sized chunks before they become a response stream. */
export function chunkedReadable(parts: AsyncIterable<string>): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let pending = '';
    for await (const part of parts) {
      pending += part;
      if (pending.length >= CHUNK) {
        yield Buffer.from(pending);
        pending = '';
      }
    }
    if (pending) yield Buffer.from(pending);
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Reads the first element before the response is committed, so an error in the query itself
 * (bad transform, database down) still becomes a proper error response rather than a cut stream.
 */
export async function primed<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    [Symbol.asyncIterator]() {
      let sentFirst = false;
      return {
        next: async () => {
          if (!sentFirst) {
            sentFirst = true;
            return first;
          }
          return iterator.next();
        },
        return: async (value?: unknown) => {
          await iterator.return?.(value);
          return { done: true, value: undefined as T };
        },
      };
    },
  };
}
