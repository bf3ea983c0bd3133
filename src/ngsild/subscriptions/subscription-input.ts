import { randomUUID } from 'node:crypto';
import { parseDatetime } from '../../api/datetime.js';
import { InvalidInputError, OperationNotSupportedError } from '../../domain/errors.js';
import {
  NOTIFICATION_TRIGGERS,
  type KeyValuePair,
  type NotificationFormat,
  type NotificationTrigger,
  type StoredEndpoint,
  type StoredEntitySelector,
  type StoredNotificationParams,
  type StoredSubscription,
  type SubscriptionDefinition,
  type SubscriptionRecord,
} from '../../domain/subscription.js';
import type { TermMap } from '../context/term-map.js';
import { checkEntityId, MAX_JOIN_LEVEL } from '../entities/entity-parameters.js';
import { parseGeoQ } from '../query/geo-query.js';
import { parseProjection } from '../query/projection.js';
import { parseQuery, type QExpression } from '../query/q-language.js';
import { isAbsoluteUri, isPrefixedName } from '../query/query-syntax.js';
import { parseTypeSelection, printTypeSelection, type EntityTypeSelection } from '../query/type-selection.js';

/**
 * A subscription body (clause 5.2.12) or fragment (clause 5.8.2) read into what placelink stores:
 * every name expanded with the request's @context, q and geoQ with that context. Each rule broken is
 * BadRequestData; members of V1.8.1 placelink does not implement are OperationNotSupported.
 */

/** The @context of a request: its terms, and the context itself as it is stored. */
export interface RequestNames {
  readonly terms: TermMap;
  readonly context: readonly unknown[];
}

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Members of V1.8.1 placelink does not implement. */
const UNSUPPORTED = ['csf', 'scopeQ', 'temporalQ'];
/** Members the system writes: accepted in a body (the suite sends them back) and ignored. */
const READ_ONLY = ['status', 'createdAt', 'modifiedAt', 'deletedAt'];
const NOTIFICATION_READ_ONLY = ['status', 'timesSent', 'timesFailed', 'lastNotification', 'lastSuccess', 'lastFailure'];
const FORMATS: readonly NotificationFormat[] = ['normalized', 'concise', 'keyValues'];
const ACCEPT = ['application/json', 'application/ld+json', 'application/geo+json'];
const ENDPOINT_SCHEMES = ['http:', 'https:', 'mqtt:', 'mqtts:'];
/** RFC 9110 field name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the delivery itself sets (receiverInfo may add any other). */
const RESERVED_HEADERS = new Set(['content-length', 'content-type', 'host', 'connection', 'transfer-encoding', 'link']);

function bad(message: string): InvalidInputError {
  return new InvalidInputError(message);
}

function string(value: unknown, member: string): string {
  if (typeof value !== 'string' || value === '') throw bad(`${member} must be a non-empty string`);
  return value;
}

function positiveNumber(value: unknown, member: string, minimum: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) throw bad(`${member} must be a number of at least ${minimum}`);
  return value;
}

function boolean(value: unknown, member: string): boolean {
  if (typeof value !== 'boolean') throw bad(`${member} must be true or false`);
  return value;
}

function stringArray(value: unknown, member: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) throw bad(`${member} must be a non-empty array of strings`);
  return value as string[];
}

/** An attribute name: a term, a compact IRI or an IRI, expanded. */
function attributeIri(name: string, member: string, names: RequestNames): string {
  if (!isPrefixedName(name) && !isAbsoluteUri(name)) throw bad(`${member}: '${name.slice(0, 60)}' is not an attribute name`);
  return names.terms.expand(name);
}

function renameSelection(selection: EntityTypeSelection, rename: (name: string) => string): EntityTypeSelection {
  switch (selection.kind) {
    case 'any':
      return selection;
    case 'type':
      return { kind: 'type', name: rename(selection.name) };
    case 'and':
      return { kind: 'and', types: selection.types.map((type) => ({ kind: 'type' as const, name: rename(type.name) })) };
    case 'or':
      return { kind: 'or', operands: selection.operands.map((operand) => renameSelection(operand, rename) as typeof operand) };
  }
}

/** The names of a stored type selection (IRIs) as another context writes them. */
export function renamedTypes(stored: string, rename: (name: string) => string): string {
  return printTypeSelection(renameSelection(parseTypeSelection(stored), rename));
}

function entitySelectors(value: unknown, names: RequestNames): StoredEntitySelector[] {
  if (!Array.isArray(value) || value.length === 0) throw bad('entities must be a non-empty array of entity selectors');
  return value.map((selector: unknown, index) => {
    const at = `entities[${index}]`;
    if (!isObject(selector)) throw bad(`${at} must be an object with a type`);
    for (const key of Object.keys(selector)) if (!['id', 'idPattern', 'type'].includes(key)) throw bad(`${at} has no member ${key.slice(0, 40)}`);
    const type = renameSelection(parseTypeSelection(string(selector['type'], `${at}.type`), `${at}.type`), (name) => names.terms.expand(name));
    const out: { type: string; id?: string; idPattern?: string } = { type: printTypeSelection(type) };
    if (selector['id'] !== undefined) out.id = checkEntityId(string(selector['id'], `${at}.id`), `${at}.id`);
    if (selector['idPattern'] !== undefined) {
      const pattern = string(selector['idPattern'], `${at}.idPattern`);
      try {
        new RegExp(pattern, 'u');
      } catch {
        throw bad(`${at}.idPattern is not a regular expression: ${pattern.slice(0, 80)}`);
      }
      out.idPattern = pattern;
    }
    return out;
  });
}

function keyValuePairs(value: unknown, member: string): KeyValuePair[] {
  if (!Array.isArray(value)) throw bad(`${member} must be an array of {key, value}`);
  return value.map((pair: unknown, index) => {
    if (!isObject(pair) || typeof pair['key'] !== 'string' || typeof pair['value'] !== 'string' || Object.keys(pair).length !== 2) {
      throw bad(`${member}[${index}] must be an object with a string key and a string value`);
    }
    return { key: pair['key'], value: pair['value'] };
  });
}

function endpoint(value: unknown): StoredEndpoint {
  if (!isObject(value)) throw bad('notification.endpoint must be an object with a uri');
  for (const key of Object.keys(value)) if (!['uri', 'accept', 'timeout', 'cooldown', 'receiverInfo', 'notifierInfo'].includes(key)) throw bad(`notification.endpoint has no member ${key.slice(0, 40)}`);
  const uri = string(value['uri'], 'notification.endpoint.uri');
  if (!isAbsoluteUri(uri) || !URL.canParse(uri)) throw bad(`notification.endpoint.uri '${uri.slice(0, 100)}' is not an absolute URI`);
  const url = new URL(uri);
  if (!ENDPOINT_SCHEMES.includes(url.protocol)) throw bad(`notification.endpoint.uri must be http, https, mqtt or mqtts, not ${url.protocol.slice(0, -1).slice(0, 20)}`);
  if (url.protocol.startsWith('mqtt') && url.pathname.length <= 1) throw bad('an MQTT notification.endpoint.uri names the topic as its path: mqtt://host:port/topic');
  const out: { -readonly [K in keyof StoredEndpoint]: StoredEndpoint[K] } = { uri };
  if (value['accept'] !== undefined) {
    if (typeof value['accept'] !== 'string' || !ACCEPT.includes(value['accept'])) throw bad(`notification.endpoint.accept must be one of ${ACCEPT.join(', ')}`);
    out.accept = value['accept'];
  }
  if (value['timeout'] !== undefined) out.timeout = positiveNumber(value['timeout'], 'notification.endpoint.timeout', 1);
  if (value['cooldown'] !== undefined) out.cooldown = positiveNumber(value['cooldown'], 'notification.endpoint.cooldown', 1);
  if (value['receiverInfo'] !== undefined) {
    const pairs = keyValuePairs(value['receiverInfo'], 'notification.endpoint.receiverInfo');
    for (const { key, value: headerValue } of pairs) {
      // HTTP receivers get them as headers.
      if (!HEADER_NAME.test(key) || RESERVED_HEADERS.has(key.toLowerCase())) throw bad(`notification.endpoint.receiverInfo key '${key.slice(0, 40)}' cannot be an HTTP header of a notification`);
      if (/[\r\n\0]/.test(headerValue)) throw bad(`notification.endpoint.receiverInfo '${key.slice(0, 40)}' has a line break in its value`);
    }
    out.receiverInfo = pairs;
  }
  if (value['notifierInfo'] !== undefined) out.notifierInfo = notifierInfo(keyValuePairs(value['notifierInfo'], 'notification.endpoint.notifierInfo'));
  return out;
}

/** The MQTT settings of clause 5.2.15 (MQTT-Version, MQTT-QoS); nothing else is defined. */
function notifierInfo(pairs: KeyValuePair[]): KeyValuePair[] {
  for (const { key, value } of pairs) {
    if (key === 'MQTT-Version' && !['mqtt3.1.1', 'mqtt5.0'].includes(value)) throw bad('notifierInfo MQTT-Version must be mqtt3.1.1 or mqtt5.0');
    else if (key === 'MQTT-QoS' && !['0', '1', '2'].includes(value)) throw bad('notifierInfo MQTT-QoS must be 0, 1 or 2');
    else if (key !== 'MQTT-Version' && key !== 'MQTT-QoS') throw bad(`notifierInfo has no setting '${key.slice(0, 40)}' (MQTT-Version, MQTT-QoS)`);
  }
  return pairs;
}

/** Projection members as stored: attribute IRIs, `id` and `type` as they are. */
function projectionIris(terms: readonly { name: string; linked: unknown }[], member: string, names: RequestNames): string[] {
  return terms.map((term) => {
    if (term.linked !== null) throw new OperationNotSupportedError(`${member}: linked entity projection (name{…}) is not supported by placelink`);
    return term.name === 'id' || term.name === 'type' || term.name === 'scope' ? term.name : names.terms.expand(term.name);
  });
}

/** The members of notification a body or fragment gives, over those stored (a fragment replaces members one by one). */
function notificationParams(value: unknown, names: RequestNames, stored: StoredNotificationParams | null): StoredNotificationParams {
  if (!isObject(value)) throw bad('notification must be an object with an endpoint');
  const out: Record<string, unknown> = { ...stored };
  for (const [key, member] of Object.entries(value)) {
    if (NOTIFICATION_READ_ONLY.includes(key)) continue;
    if (member === null) {
      if (key === 'endpoint') throw bad('notification.endpoint cannot be removed: a subscription needs one');
      delete out[key];
      continue;
    }
    switch (key) {
      case 'attributes':
        out[key] = stringArray(member, 'notification.attributes').map((name) => attributeIri(name, 'notification.attributes', names));
        break;
      case 'pick':
      case 'omit':
        out[key] = projectionIris(parseProjection({ [key]: stringArray(member, `notification.${key}`) })[key]!, `notification.${key}`, names);
        break;
      case 'format':
        // simplified is keyValues by its other name (clause 4.5.3), as for queries.
        if (member === 'simplified') out[key] = 'keyValues';
        else if (typeof member !== 'string' || !(FORMATS as readonly string[]).includes(member)) throw bad(`notification.format must be one of ${FORMATS.join(', ')} (or simplified)`);
        else out[key] = member;
        break;
      case 'showChanges':
      case 'sysAttrs':
        out[key] = boolean(member, `notification.${key}`);
        break;
      case 'endpoint':
        out[key] = endpoint(member);
        break;
      case 'join':
        if (member !== 'flat' && member !== 'inline' && member !== '@none') throw bad('notification.join must be flat, inline or @none');
        if (member === '@none') delete out[key];
        else out[key] = member;
        break;
      case 'joinLevel':
        if (typeof member !== 'number' || !Number.isInteger(member) || member < 1 || member > MAX_JOIN_LEVEL) throw bad(`notification.joinLevel must be an integer from 1 to ${MAX_JOIN_LEVEL}`);
        out[key] = member;
        break;
      default:
        throw bad(`notification has no member ${key.slice(0, 40)}`);
    }
  }
  if (out['endpoint'] === undefined) throw bad('notification.endpoint is required');
  return out as unknown as StoredNotificationParams;
}

function linkedHops(expression: QExpression): boolean {
  switch (expression.kind) {
    case 'and':
    case 'or':
      return expression.operands.some(linkedHops);
    default:
      return expression.attribute.links.length > 0;
  }
}

function triggers(value: unknown): NotificationTrigger[] {
  const list = stringArray(value, 'notificationTrigger');
  for (const trigger of list) if (!(NOTIFICATION_TRIGGERS as readonly string[]).includes(trigger)) throw bad(`notificationTrigger '${trigger.slice(0, 40)}' is not one of ${NOTIFICATION_TRIGGERS.join(', ')}`);
  return [...new Set(list)] as NotificationTrigger[];
}

function instant(value: unknown, member: string, now: number): string {
  const text = string(value, member);
  const time = parseDatetime(text, member);
  if (!/[Tt]/.test(text) || time.start === null || time.start.getTime() !== time.end?.getTime()) throw bad(`${member} must be a date-time such as 2030-01-31T12:00:00Z`);
  if (time.start.getTime() <= now) throw bad(`${member} ${text} is not in the future`);
  return time.start.toISOString();
}

/** What the body or fragment changes, applied to a draft of the subscription. */
interface Draft {
  definition: Record<string, unknown>;
  isActive: boolean;
  expiresAt: string | null;
  throttling: number | null;
  timeInterval: number | null;
  context: readonly unknown[];
}

/** Applies the members of a body or fragment; null removes an optional member (clause 5.8.2). */
function apply(body: Raw, names: RequestNames, draft: Draft, now: number): void {
  for (const name of UNSUPPORTED) if (body[name] !== undefined) throw new OperationNotSupportedError(`the subscription member ${name} is not supported by placelink`);
  const definition = draft.definition;
  for (const [key, value] of Object.entries(body)) {
    if (key === '@context' || key === 'id' || key === 'type' || READ_ONLY.includes(key)) continue;
    if (value === null) {
      if (key === 'notification') throw bad('notification cannot be removed: a subscription needs one');
      if (key === 'isActive') draft.isActive = true;
      else if (key === 'expiresAt') draft.expiresAt = null;
      else if (key === 'throttling') draft.throttling = null;
      else if (key === 'timeInterval') draft.timeInterval = null;
      else if (key in MEMBERS || key === 'localOnly') delete definition[key];
      else throw bad(`a subscription has no member ${key.slice(0, 40)}`);
      continue;
    }
    if (key === 'isActive') draft.isActive = boolean(value, 'isActive');
    else if (key === 'expiresAt') draft.expiresAt = instant(value, 'expiresAt', now);
    else if (key === 'throttling') draft.throttling = positiveNumber(value, 'throttling', 1);
    else if (key === 'timeInterval') draft.timeInterval = positiveNumber(value, 'timeInterval', 1);
    else if (key === 'localOnly') {
      // Every entity placelink has is local.
      boolean(value, 'localOnly');
    } else if (key === 'notification') definition[key] = notificationParams(value, names, (definition[key] as StoredNotificationParams | undefined) ?? null);
    else if (key in MEMBERS) definition[key] = MEMBERS[key]!(value, names);
    else throw bad(`a subscription has no member ${key.slice(0, 40)}`);
  }
}

const MEMBERS: Readonly<Record<string, (value: unknown, names: RequestNames) => unknown>> = Object.assign(Object.create(null) as object, {
  subscriptionName: (value: unknown) => string(value, 'subscriptionName'),
  description: (value: unknown) => string(value, 'description'),
  entities: entitySelectors,
  watchedAttributes: (value: unknown, names: RequestNames) => [...new Set(stringArray(value, 'watchedAttributes').map((name) => attributeIri(name, 'watchedAttributes', names)))],
  notificationTrigger: triggers,
  q: (value: unknown, names: RequestNames) => {
    if (typeof value !== 'string') throw bad('q must be a string');
    if (linkedHops(parseQuery(value, { parameter: 'q' }))) throw new OperationNotSupportedError('q: linked-entity queries (relationship{Type:attribute}) are not supported by placelink');
    return { value, context: names.context };
  },
  geoQ: (value: unknown, names: RequestNames) => {
    parseGeoQ(value);
    return { value, context: names.context };
  },
  lang: (value: unknown) => string(value, 'lang'),
  datasetId: (value: unknown) => {
    const ids = typeof value === 'string' ? [value] : stringArray(value, 'datasetId');
    for (const id of ids) if (id !== '@none' && !isAbsoluteUri(id)) throw bad(`datasetId lists dataset URIs or @none; '${id.slice(0, 80)}' is neither`);
    return ids;
  },
  jsonldContext: (value: unknown) => {
    const uri = string(value, 'jsonldContext');
    if (!isAbsoluteUri(uri)) throw bad(`jsonldContext '${uri.slice(0, 100)}' is not an absolute URI`);
    return uri;
  },
});

/** The rules that involve several members (clauses 5.2.12 and 5.8.1). */
function checkWhole(draft: Draft): void {
  const d = draft.definition as Partial<SubscriptionDefinition>;
  if (!d.entities && !d.watchedAttributes) throw bad('a subscription needs entities or watchedAttributes');
  if (draft.timeInterval !== null) {
    if (draft.throttling !== null) throw bad('throttling and timeInterval cannot be given together');
    if (d.watchedAttributes) throw bad('watchedAttributes and timeInterval cannot be given together');
    if (!d.entities) throw bad('a subscription with timeInterval needs entities');
  }
  const notification = d.notification!;
  if (notification.showChanges && notification.format === 'keyValues') throw bad('showChanges cannot be true with the keyValues format');
  // Suite 028_08 (since V1.8.1), as for queries: attributes is deprecated in favour of pick, and nothing is both picked and omitted.
  if (notification.attributes && (notification.pick || notification.omit)) throw bad(`notification.attributes cannot be combined with ${notification.pick ? 'pick' : 'omit'}`);
  const picked = new Set(notification.pick ?? []);
  const both = (notification.omit ?? []).filter((name) => picked.has(name));
  if (both.length) throw bad(`${both.map((n) => `'${n}'`).join(', ')} cannot be both picked and omitted`);
}

function record(id: string, draft: Draft): SubscriptionRecord {
  checkWhole(draft);
  return {
    id,
    definition: draft.definition as unknown as SubscriptionDefinition,
    context: draft.context,
    isActive: draft.isActive,
    expiresAt: draft.expiresAt,
    throttling: draft.throttling,
    timeInterval: draft.timeInterval,
  };
}

/** POST /subscriptions: a new subscription (an id is made when the body has none). */
export function readSubscription(body: unknown, names: RequestNames, now: number): SubscriptionRecord {
  if (!isObject(body)) throw bad('The body must be a Subscription object');
  if (body['type'] !== 'Subscription') throw bad(`The body's type must be "Subscription", got ${JSON.stringify(body['type'])?.slice(0, 40)}`);
  const id = body['id'] === undefined ? `urn:ngsi-ld:Subscription:${randomUUID()}` : string(body['id'], 'id');
  if (!isAbsoluteUri(id)) throw bad(`A subscription id is a URI; '${id.slice(0, 100)}' is not one`);
  if (body['notification'] === undefined) throw bad('notification is required');
  const draft: Draft = { definition: {}, isActive: true, expiresAt: null, throttling: null, timeInterval: null, context: names.context };
  apply(body, names, draft, now);
  return record(id, draft);
}

/** PATCH /subscriptions/{id}: the stored subscription with the fragment's members (clause 5.8.2). */
export function readFragment(body: unknown, stored: StoredSubscription, names: RequestNames, now: number): SubscriptionRecord {
  if (!isObject(body)) throw bad('The body must be a Subscription fragment object');
  // Suite 029_03: a fragment names its type (the OpenAPI: "including id, type and any other subscription field").
  if (body['type'] !== 'Subscription') throw bad(`A subscription fragment's type must be "Subscription", got ${JSON.stringify(body['type'])?.slice(0, 40)}`);
  if (body['id'] !== undefined && body['id'] !== stored.id) throw bad(`The fragment's id ${JSON.stringify(body['id']).slice(0, 100)} is not the subscription's`);
  const draft: Draft = {
    definition: structuredClone(stored.definition) as unknown as Record<string, unknown>,
    isActive: stored.isActive,
    expiresAt: stored.expiresAt,
    throttling: stored.throttling,
    timeInterval: stored.timeInterval,
    context: names.context.length ? names.context : stored.context,
  };
  apply(body, names, draft, now);
  return record(stored.id, draft);
}
