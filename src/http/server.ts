import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import { MalformedRequestError, RequestHeadersTooLargeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { describeProblem } from './problem-document.js';

/** Requests Node rejects before Koa sees them (oversized headers, garbage) still get a problem document. */
function answerClientError(logger: Logger) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (!socket.writable) return;
    const cause = error.code === 'HPE_HEADER_OVERFLOW' ? new RequestHeadersTooLargeError() : new MalformedRequestError();
    const { problem, body } = describeProblem(cause, null, logger);
    const text = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  };
}

export function createHttpServer(app: Koa, logger: Logger): http.Server {
  const server = http.createServer(app.callback());
  server.on('clientError', answerClientError(logger));
  server.keepAliveTimeout = 65_000;
  return server;
}
