import { NotificationDeliveryError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import { postJson, type HttpAnswer } from '../subscriptions/http-endpoint.js';
import type { NotificationMessage } from '../subscriptions/notification-message.js';
import { MEDIA } from '../vocabulary.js';

/**
 * Delivers a push subscription's notification to the broker it pushes to (clause 5.6.8 batch upsert,
 * 5.6.10 batch delete): the entities as they are now are upserted (replacing what the broker had of
 * them), deleted ones are deleted. A refused request or no answer fails the delivery (retried after a
 * backoff, the entities stay in the outbox); a 207 whose errors are about single entities is logged
 * and counts as delivered, as sending the same entities again would be refused again.
 */

interface BatchError {
  readonly entityId?: string;
  readonly error?: { readonly type?: string; readonly title?: string; readonly detail?: string };
}

const NOT_FOUND = 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound';

function batchErrors(answer: HttpAnswer): BatchError[] {
  try {
    const parsed = JSON.parse(answer.body) as { errors?: BatchError[] };
    return Array.isArray(parsed.errors) ? parsed.errors : [];
  } catch {
    return [];
  }
}

async function batch(uri: string, body: unknown, contentType: string, timeoutMs: number, logger: Logger, ignore: (e: BatchError) => boolean): Promise<void> {
  const answer = await postJson(uri, JSON.stringify(body), { 'Content-Type': contentType, Accept: MEDIA.json }, timeoutMs);
  if (answer.status === 207) {
    const errors = batchErrors(answer).filter((e) => !ignore(e));
    if (errors.length) {
      logger.warn({ uri, refused: errors.length, first: errors.slice(0, 3).map((e) => ({ id: e.entityId, type: e.error?.type, detail: e.error?.detail ?? e.error?.title })) }, 'the broker pushed to refused some entities; the others were taken');
    }
    return;
  }
  if (answer.status < 200 || answer.status > 299) throw new NotificationDeliveryError(`POST ${uri} was answered ${answer.status}: ${answer.body.slice(0, 200)}`);
}

export async function pushEntities(brokerBase: string, message: NotificationMessage, timeoutMs: number, logger: Logger): Promise<void> {
  const context = message.body['@context'];
  const entities = (message.body['data'] ?? []) as Record<string, unknown>[];
  const gone = entities.filter((e) => 'deletedAt' in e).map((e) => e['id']);
  const current = entities.filter((e) => !('deletedAt' in e)).map((e) => ({ ...e, '@context': context }));
  if (current.length) await batch(`${brokerBase}/entityOperations/upsert`, current, MEDIA.jsonLd, timeoutMs, logger, () => false);
  if (gone.length) await batch(`${brokerBase}/entityOperations/delete`, gone, MEDIA.json, timeoutMs, logger, (e) => e.error?.type === NOT_FOUND);
}
