import http from 'node:http';
import https from 'node:https';
import { NotificationDeliveryError } from '../../domain/errors.js';
import type { NotificationMessage } from './notification-message.js';

/**
 * POSTs to http(s) endpoints: notifications (clause 6.3's binding, the receiverInfo pairs as headers)
 * and the federation's pushes. No answer within `timeoutMs`, or no connection, is a failure.
 * node:http with kept-alive connections rather than fetch: fetch's web streams and abort signals
 * cost several times the CPU per request, which the ingestion in the same process pays for.
 */
const AGENTS = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** The answer to a POST of `body`, whatever its status; rejects with NotificationDeliveryError when none came. */
export function postJson(uri: string, body: string, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<HttpAnswer> {
  const url = new URL(uri);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const failed = (error: Error) => {
      clearTimeout(deadline);
      reject(new NotificationDeliveryError(`POST ${uri} failed: ${error.message}`, { cause: error }));
    };
    const request = (secure ? https : http).request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, agent: secure ? AGENTS.https : AGENTS.http },
      (response) => {
        // Read to the end, so the connection is kept for the next request.
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => {
          clearTimeout(deadline);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.once('error', failed);
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.once('error', failed);
    request.end(body);
  });
}

/** Any answer but 2xx is a failure. */
export async function postNotification(uri: string, message: NotificationMessage, timeoutMs: number): Promise<void> {
  const headers: Record<string, string> = { ...message.receiverInfo, 'Content-Type': message.contentType };
  if (message.link) headers['Link'] = message.link;
  const { status } = await postJson(uri, JSON.stringify(message.body), headers, timeoutMs);
  if (status < 200 || status > 299) throw new NotificationDeliveryError(`POST ${uri} was answered ${status}`);
}
