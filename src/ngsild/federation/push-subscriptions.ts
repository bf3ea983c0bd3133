import type { Mapping } from '../../domain/mapping.js';
import { isSensorSource } from '../../domain/mapping.js';
import { NOTIFICATION_TRIGGERS, type SubscriptionRecord } from '../../domain/subscription.js';
import type { Logger } from '../../logger.js';
import type { PushSelection, PushSubscriptions } from '../../services/ports/subscription-ports.js';
import { DEVICE_TYPE } from '../entities/entity-types.js';
import { MEDIA } from '../vocabulary.js';

/**
 * Federation push (a mapping's `ngsiLd.pushTo`): placelink keeps one subscription of its own per
 * mapping that pushes. Its notifications go through the same change log, dispatcher and durable
 * outbox as any subscription's (so pushing never blocks ingestion and survives restarts), and are
 * delivered as batch upserts and deletes into the broker (push-endpoint.ts). Every trigger fires it;
 * entities go in normalized form with the mapping's @context. A new or changed push first queues
 * every entity it selects (its first sync).
 */

export interface Push {
  readonly record: SubscriptionRecord;
  readonly pushTo: string;
  readonly selection: PushSelection;
}

/** The id of a mapping's push subscription. */
export const pushSubscriptionId = (mappingId: string) => `urn:ngsi-ld:Subscription:placelink-push:${mappingId}`;

/** `text` as a literal in a pattern both JavaScript (u flag) and PostgreSQL read alike. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The entities of a feature mapping: ids its `identifiers.ngsiLdId` template makes ({type} and
 * {collection} are the mapping's, other fields anything), so a push does not take entities of the
 * same type that other collections hold.
 */
function entityPattern(mapping: Mapping): string {
  const fixed: Readonly<Record<string, string>> = { type: mapping.ngsiLd!.type, collection: mapping.target.collection };
  const parts = mapping.identifiers.ngsiLdId.split(/(\{[^{}]*\})/).map((part) => {
    const field = /^\{([^{}]*)\}$/.exec(part)?.[1];
    if (field === undefined) return literal(part);
    return fixed[field] !== undefined ? literal(fixed[field]) : '.+';
  });
  return `^${parts.join('')}$`;
}

/** The Devices of a sensor mapping: its declared datastreams, and for a SensorThings source every datastream it reads (`<mapping>:<@iot.id>`). */
function devicePattern(mapping: Mapping): string {
  const ids = mapping.datastreams.map((d) => literal(d.id));
  if (mapping.source.type === 'sensorthings') ids.push(`${literal(mapping.id)}:.*`);
  return `^urn:ngsi-ld:Device:(?:${ids.join('|') || '(?!)'})$`;
}

/** The push of a mapping; null when it pushes nowhere. */
export function pushOf(mapping: Mapping): Push | null {
  if (mapping.ngsiLdPushTo === null) return null;
  const sensor = isSensorSource(mapping.source);
  if (!sensor && mapping.ngsiLd === null) return null;
  const pattern = sensor ? devicePattern(mapping) : entityPattern(mapping);
  const type = sensor ? DEVICE_TYPE : { type: mapping.ngsiLd!.type, context: mapping.ngsiLd!.context };
  return {
    pushTo: mapping.ngsiLdPushTo,
    selection: { collectionId: sensor ? null : mapping.target.collection, deviceIdPattern: sensor ? pattern : null },
    record: {
      id: pushSubscriptionId(mapping.id),
      definition: {
        subscriptionName: `placelink push of mapping ${mapping.id}`,
        entities: [{ type: type.type, idPattern: pattern }],
        notificationTrigger: [...NOTIFICATION_TRIGGERS],
        notification: { format: 'normalized', endpoint: { uri: mapping.ngsiLdPushTo, accept: MEDIA.jsonLd } },
      },
      context: [...type.context],
      isActive: true,
      expiresAt: null,
      throttling: null,
      timeInterval: null,
    },
  };
}

/** Makes the push subscriptions those of the mappings: new and changed ones start with a full sync, those of mappings that push no more are removed. */
export async function syncPushes(store: PushSubscriptions, mappings: readonly Mapping[], logger: Logger): Promise<void> {
  const pushes = mappings.flatMap((m) => pushOf(m) ?? []);
  for (const push of pushes) {
    const state = await store.ensure(push.record, push.pushTo);
    if (state === 'same') continue;
    const queued = await store.seed(push.record.id, push.selection);
    logger.info({ subscription: push.record.id, pushTo: push.pushTo, entities: queued }, `NGSI-LD push ${state}: every entity it selects is queued for the broker`);
  }
  const retired = await store.retireExcept(pushes.map((p) => p.record.id));
  if (retired.length) logger.info({ subscriptions: retired }, 'NGSI-LD pushes of mappings that no longer push removed');
}
