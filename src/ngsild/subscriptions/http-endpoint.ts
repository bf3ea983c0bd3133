import { NotificationDeliveryError } from '../../domain/errors.js';
import type { NotificationMessage } from './notification-message.js';

/**
 * POSTs a notification to an http(s) endpoint (clause 6.3's binding): the receiverInfo pairs as
 * headers. Any answer but 2xx, no answer within `timeoutMs`, or no connection is a failure.
 */
export async function postNotification(uri: string, message: NotificationMessage, timeoutMs: number): Promise<void> {
  const headers: Record<string, string> = { ...message.receiverInfo, 'Content-Type': message.contentType };
  if (message.link) headers['Link'] = message.link;
  let status: number;
  try {
    const response = await fetch(uri, { method: 'POST', headers, body: JSON.stringify(message.body), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    status = response.status;
    // Read to the end, so the connection is kept for the next notification.
    await response.arrayBuffer();
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new NotificationDeliveryError(`POST ${uri} failed: ${reason}`, { cause: error });
  }
  if (status < 200 || status > 299) throw new NotificationDeliveryError(`POST ${uri} was answered ${status}`);
}
