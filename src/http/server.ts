import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';

function problemResponse(status: number, reason: string, detail: string): string {
  const body = JSON.stringify({ type: `urn:placelink:problem:http-${status}`, title: reason, status, detail });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Requests Node rejects before Koa sees them (oversized headers, garbage) still get a problem document. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return;
  socket.end(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? problemResponse(431, 'Request Header Fields Too Large', 'The request line or headers exceed the server limit; shorten the query string.')
      : problemResponse(400, 'Bad Request', 'The request could not be parsed.'),
  );
}

export function createHttpServer(app: Koa): http.Server {
  const server = http.createServer(app.callback());
  server.on('clientError', answerClientError);
  server.keepAliveTimeout = 65_000;
  return server;
}
