import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { responseBody } from '../../src/api/response-body.js';

function pieces(count: number, size: number, events: string[]): AsyncGenerator<string> {
  return (async function* () {
    try {
      for (let i = 0; i < count; i++) yield 'x'.repeat(size);
      events.push('ended');
    } finally {
      events.push('released');
    }
  })();
}

describe('response bodies', () => {
  it('returns short output as one string', async () => {
    const events: string[] = [];
    const body = await responseBody(pieces(3, 10, events));
    expect(body).toBe('x'.repeat(30));
    expect(events).toEqual(['ended', 'released']);
  });

  it('streams long output with everything in it', async () => {
    const events: string[] = [];
    const body = await responseBody(pieces(100, 10_000, events));
    expect(body).toBeInstanceOf(Readable);
    let length = 0;
    for await (const chunk of body as Readable) length += (chunk as Buffer).length;
    expect(length).toBe(1_000_000);
    expect(events).toEqual(['ended', 'released']);
  });

  it('releases the source when the stream is dropped before anyone reads it', async () => {
    const events: string[] = [];
    const body = (await responseBody(pieces(100, 10_000, events))) as Readable;
    body.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['released']);
  });

  it('releases the source when the reader stops half way', async () => {
    const events: string[] = [];
    const body = (await responseBody(pieces(100, 10_000, events))) as Readable;
    for await (const _chunk of body) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['released']);
  });

  it('throws errors of the first pieces before anything is committed', async () => {
    const failing = (async function* () {
      yield '{';
      throw new Error('query failed');
    })();
    await expect(responseBody(failing)).rejects.toThrow('query failed');
  });
});
