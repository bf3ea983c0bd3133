import { DEFAULT_TRIGGERS, subscriptionStatus, type StoredNotificationParams, type StoredSubscription } from '../../domain/subscription.js';
import type { TermMap } from '../context/term-map.js';
import { renamedTypes } from './subscription-input.js';

/**
 * A stored subscription as GET /subscriptions answers it (clause 5.2.12): the members it was given,
 * with names compacted by the request's @context, its status, the delivery counters in
 * `notification`, and createdAt/modifiedAt with sysAttrs. Counters that are still zero are left
 * out (the OpenAPI's minimum is 1).
 */
export function renderSubscription(subscription: StoredSubscription, request: TermMap, sysAttrs: boolean, now: number): Record<string, unknown> {
  const d = subscription.definition;
  const name = (iri: string) => request.compact(iri);
  const member = (iri: string) => (iri === 'id' || iri === 'type' || iri === 'scope' ? iri : name(iri));
  const out: Record<string, unknown> = { id: subscription.id, type: 'Subscription' };
  if (d.subscriptionName !== undefined) out['subscriptionName'] = d.subscriptionName;
  if (d.description !== undefined) out['description'] = d.description;
  if (d.entities) out['entities'] = d.entities.map((e) => ({ type: renamedTypes(e.type, name), ...(e.id !== undefined ? { id: e.id } : {}), ...(e.idPattern !== undefined ? { idPattern: e.idPattern } : {}) }));
  if (d.watchedAttributes) out['watchedAttributes'] = d.watchedAttributes.map(name);
  out['notificationTrigger'] = d.notificationTrigger ?? DEFAULT_TRIGGERS;
  if (d.q) out['q'] = d.q.value;
  if (d.geoQ) out['geoQ'] = d.geoQ.value;
  if (d.lang !== undefined) out['lang'] = d.lang;
  if (d.datasetId !== undefined) out['datasetId'] = d.datasetId;
  if (!subscription.isActive) out['isActive'] = false;
  if (subscription.expiresAt !== null) out['expiresAt'] = subscription.expiresAt;
  if (subscription.throttling !== null) out['throttling'] = subscription.throttling;
  if (subscription.timeInterval !== null) out['timeInterval'] = subscription.timeInterval;
  if (d.jsonldContext !== undefined) out['jsonldContext'] = d.jsonldContext;
  out['status'] = subscriptionStatus(subscription, now);
  out['notification'] = notificationMember(d.notification, subscription, member);
  if (sysAttrs) {
    out['createdAt'] = subscription.createdAt;
    out['modifiedAt'] = subscription.modifiedAt;
  }
  return out;
}

function notificationMember(params: StoredNotificationParams, subscription: StoredSubscription, member: (iri: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (params.attributes) out['attributes'] = params.attributes.map(member);
  if (params.pick) out['pick'] = params.pick.map(member);
  if (params.omit) out['omit'] = params.omit.map(member);
  if (params.format !== undefined) out['format'] = params.format;
  if (params.showChanges !== undefined) out['showChanges'] = params.showChanges;
  if (params.sysAttrs !== undefined) out['sysAttrs'] = params.sysAttrs;
  if (params.join !== undefined) out['join'] = params.join;
  if (params.joinLevel !== undefined) out['joinLevel'] = params.joinLevel;
  out['endpoint'] = params.endpoint;
  const delivery = subscription.delivery;
  if (delivery.lastStatus !== null) out['status'] = delivery.lastStatus;
  if (delivery.timesSent > 0) out['timesSent'] = delivery.timesSent;
  if (delivery.timesFailed > 0) out['timesFailed'] = delivery.timesFailed;
  if (delivery.lastNotification !== null) out['lastNotification'] = delivery.lastNotification;
  if (delivery.lastSuccess !== null) out['lastSuccess'] = delivery.lastSuccess;
  if (delivery.lastFailure !== null) out['lastFailure'] = delivery.lastFailure;
  return out;
}
