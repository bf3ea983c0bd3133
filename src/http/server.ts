import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { ErrorFormat } from '../api/error-format.js';
import { MalformedRequestError, RequestHeadersTooLargeError } from '../api/request-errors.js';
import type { Logger } from '../logger.js';
import { answerError } from './error-middleware.js';

/** Requests Node rejects before Koa sees them (oversized headers, garbage) still get an error document. */
function answerClientError(format: ErrorFormat, logger: Logger) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (!socket.writable) return;
    const cause = error.code === 'HPE_HEADER_OVERFLOW' ? new RequestHeadersTooLargeError() : new MalformedRequestError();
    const response = answerError(cause, null, format, logger);
    socket.end(
      `HTTP/1.1 ${response.status} ${http.STATUS_CODES[response.status]}\r\nContent-Type: ${response.contentType}\r\nContent-Length: ${Buffer.byteLength(response.body)}\r\nConnection: close\r\n\r\n${response.body}`,
    );
  };
}

/** `rootErrors`: the format of requests too broken to tell which API they were for. */
export function createHttpServer(app: Koa, rootErrors: ErrorFormat, logger: Logger): http.Server {
  const server = http.createServer(app.callback());
  server.on('clientError', answerClientError(rootErrors, logger));
  server.keepAliveTimeout = 65_000;
  return server;
}
