import http from 'node:http';
import https from 'node:https';
import { NotificationDeliveryError } from '../../domain/errors.js';
import type { NotificationMessage } from './notification-message.js';

/**
 * POSTs a notification to an http(s) endpoint (clause 6.3's binding): the receiverInfo pairs as
 * headers. Any answer but 2xx, no answer within `timeoutMs`, or no connection is a failure.
 * node:http with kept-alive connections rather than fetch: fetch's web streams and abort signals
 * cost several times the CPU per request, which the ingestion in the same process pays for.
 */
const AGENTS = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function postNotification(uri: string, message: NotificationMessage, timeoutMs: number): Promise<void> {
  const url = new URL(uri);
  const body = JSON.stringify(message.body);
  const headers: Record<string, string | number> = { ...message.receiverInfo, 'Content-Type': message.contentType, 'Content-Length': Buffer.byteLength(body) };
  if (message.link) headers['Link'] = message.link;
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const done = (error: NotificationDeliveryError | null) => {
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    const failed = (error: Error) => done(new NotificationDeliveryError(`POST ${uri} failed: ${error.message}`, { cause: error }));
    const request = (secure ? https : http).request(url, { method: 'POST', headers, agent: secure ? AGENTS.https : AGENTS.http }, (response) => {
      const status = response.statusCode ?? 0;
      // Read to the end, so the connection is kept for the next notification.
      response.resume();
      response.once('end', () => done(status >= 200 && status <= 299 ? null : new NotificationDeliveryError(`POST ${uri} was answered ${status}`)));
      response.once('error', failed);
    });
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.once('error', failed);
    request.end(body);
  });
}
