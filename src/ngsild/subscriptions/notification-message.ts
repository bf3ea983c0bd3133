import { CORE_CONTEXT_URL } from '../context/offline-contexts.js';
import type { StoredSubscription } from '../../domain/subscription.js';
import type { PendingNotification } from '../../services/ports/subscription-ports.js';
import { bodyContextOf, contextLink } from '../responses.js';
import { MEDIA } from '../vocabulary.js';

/**
 * A notification as it goes out (clause 5.3.1 and the HTTP binding of 6.3): its body, the media type
 * the endpoint accepts, the @context in a Link header (JSON) or in the body (JSON-LD, GeoJSON unless
 * the receiver prefers `body=json`), and the receiverInfo pairs, which HTTP endpoints get as headers.
 */
export interface NotificationMessage {
  readonly contentType: string;
  /** The Link header naming the @context; null when the body carries it. */
  readonly link: string | null;
  readonly receiverInfo: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

/** `urn:ngsi-ld:Notification:<uuid>`: the same on every attempt, so a receiver can drop what it has already had. */
function notificationUri(id: string): string {
  return `urn:ngsi-ld:Notification:${id}`;
}

export function notificationMessage(subscription: StoredSubscription, notification: PendingNotification, notifiedAt: string): NotificationMessage {
  const d = subscription.definition;
  const context = d.jsonldContext !== undefined ? [d.jsonldContext] : subscription.context;
  const linkUrl = context.length === 1 && typeof context[0] === 'string' ? context[0] : null;
  const request = { context, linkUrl };
  const receiverInfo = Object.fromEntries((d.notification.endpoint.receiverInfo ?? []).map(({ key, value }) => [key, value]));
  const accept = d.notification.endpoint.accept ?? MEDIA.json;
  const body: Record<string, unknown> = { id: notificationUri(notification.id), type: 'Notification', subscriptionId: subscription.id, notifiedAt, data: notification.data };
  const link = contextLink(linkUrl ?? CORE_CONTEXT_URL);
  if (accept === MEDIA.jsonLd) {
    // Each entity carries the subscription's own @context too (one URL as a string), so a receiver can
    // take an entity out of the notification as a JSON-LD document of its own.
    const own = context.length === 0 ? CORE_CONTEXT_URL : context.length === 1 ? context[0] : context;
    const data = Array.isArray(notification.data) ? notification.data.map((entity: Record<string, unknown>) => ({ ...entity, '@context': own })) : notification.data;
    return { contentType: MEDIA.jsonLd, link: null, receiverInfo, body: { '@context': bodyContextOf(request, undefined), ...body, data } };
  }
  if (accept === MEDIA.geoJson) {
    const preferJson = Object.entries(receiverInfo).some(([key, value]) => key.toLowerCase() === 'prefer' && /\bbody=json\b/.test(value));
    if (preferJson) return { contentType: MEDIA.geoJson, link, receiverInfo, body };
    return { contentType: MEDIA.geoJson, link: null, receiverInfo, body: { ...body, data: { ...(notification.data as Record<string, unknown>), '@context': bodyContextOf(request, undefined) } } };
  }
  return { contentType: MEDIA.json, link, receiverInfo, body };
}
