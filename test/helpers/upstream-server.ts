import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>;

export interface UpstreamServer {
  readonly url: string;
  /** Every request path with its query, in order. */
  readonly requests: string[];
  handle(handler: UpstreamHandler): void;
  close(): Promise<void>;
}

/** A loopback HTTP server whose behaviour a test scripts (status codes, stalls, broken bodies). */
export async function startUpstream(handler: UpstreamHandler): Promise<UpstreamServer> {
  let current = handler;
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    Promise.resolve(current(request, response, url)).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
