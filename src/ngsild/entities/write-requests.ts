import type { ApiContext } from '../../api/building-block.js';
import { single, type RawQuery } from '../../api/query-values.js';
import type { EntityDraft } from '../../domain/entity-writes.js';
import { InvalidInputError, InvalidParameterError, MalformedInputError, OperationNotSupportedError, PlacelinkError } from '../../domain/errors.js';
import type { TermMap, TermMaps } from '../context/term-map.js';
import { elementContext, linkedContext } from '../request-context.js';
import { MEDIA } from '../vocabulary.js';
import { parseEntity, type EntityRules, type ParsedEntity } from './entity-input.js';
import { checkEntityId } from './entity-parameters.js';

/** Request bodies of the provision operations, read into drafts in the request's names. */

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

/** An entity draft of a parsed body: one type (multi-type entities are refused), and the id of the path where there is one. */
export function entityDraft(parsed: ParsedEntity, pathId?: string): EntityDraft {
  const id = pathId ?? parsed.id!;
  if (pathId !== undefined && parsed.id !== null && parsed.id !== pathId) throw new InvalidInputError(`/id: the body is entity ${parsed.id}, the path names entity ${pathId}`);
  if (parsed.types.length > 1) {
    throw new OperationNotSupportedError(`/type: entity ${id} has the types ${parsed.types.join(', ')}; placelink keeps an entity in the collection of its one type and does not store multi-type entities`);
  }
  return { id, type: parsed.types[0] ?? null, attributes: parsed.attributes, ...(parsed.scopes !== undefined ? { scopes: parsed.scopes } : {}) };
}

/** The body of an operation on one entity or fragment: a JSON object (anything else cannot be read as one). */
export function objectBody(body: unknown, what: string): Raw {
  if (!isObject(body)) throw new MalformedInputError(`${what} takes one JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
  return body;
}

/** A request's `type` parameter (entity routes): the IRI the entity must have. */
export function expectedType(query: RawQuery, names: TermMap): string | null {
  const type = single(query, 'type');
  return type === undefined ? null : names.expand(type);
}

/** An `options` parameter that may hold only the values given (comma-separated). */
export function optionsOf(query: RawQuery, allowed: readonly string[]): Set<string> {
  const raw = single(query, 'options');
  const options = new Set((raw ?? '').split(',').map((o) => o.trim()).filter(Boolean));
  for (const option of options) if (!allowed.includes(option)) throw new InvalidParameterError('options', `options may be ${allowed.join(' or ')} here; got '${option.slice(0, 40)}'`);
  return options;
}

/** One element of a batch body: read, with the @context it is in, or what is wrong with it. */
export type BatchElement =
  | { readonly ok: true; readonly raw: unknown; readonly context: readonly unknown[]; readonly names: TermMap }
  | { readonly ok: false; readonly entityId: string; readonly error: PlacelinkError };

/**
 * The elements of a batch body (clause 6.3.5 for each): with `application/json` they are in the
 * Link header's @context and may not carry their own; with `application/ld+json` each carries its
 * own and a Link header is refused for the whole request. An element that breaks the rules is an
 * error of its own; the others go ahead.
 */
export async function batchElements(ctx: ApiContext, body: unknown, mediaType: string, terms: TermMaps): Promise<BatchElement[]> {
  if (!Array.isArray(body)) throw new InvalidInputError('a batch operation takes a JSON array');
  if (body.length === 0) throw new InvalidInputError('the batch is empty: give at least one element');
  const linked = linkedContext(ctx);
  if (mediaType === MEDIA.jsonLd && linked.linkUrl) throw new InvalidInputError('An application/ld+json body carries its @context itself: a JSON-LD Link header is not allowed with it');
  const out: BatchElement[] = [];
  for (const [i, element] of body.entries()) {
    const entityId = isObject(element) && typeof element['id'] === 'string' ? element['id'] : typeof element === 'string' ? element : '';
    const carries = isObject(element) && '@context' in element;
    try {
      if (mediaType === MEDIA.jsonLd && !carries) throw new InvalidInputError(`/${i}: an application/ld+json batch element carries its @context`);
      if (mediaType !== MEDIA.jsonLd && carries) throw new InvalidInputError(`/${i}: an application/json batch element must not carry @context: name the context in a Link header, or send application/ld+json`);
      const context = elementContext(element, linked);
      out.push({ ok: true, raw: element, context, names: await terms.of(context) });
    } catch (error) {
      if (!(error instanceof PlacelinkError)) throw error;
      out.push({ ok: false, entityId, error });
    }
  }
  return out;
}

/** An entity of a batch as a draft, in its own names. */
export function batchEntity(element: Extract<BatchElement, { ok: true }>, rules: EntityRules, index: number): EntityDraft {
  return entityDraft(parseEntity(element.raw, element.names, rules, `/${index}`));
}

/** An id of a batch delete: a URI (the element is an error otherwise). */
export function batchId(element: unknown, index: number): string {
  if (typeof element !== 'string') throw new InvalidInputError(`/${index}: a batch delete lists entity ids (strings), got ${JSON.stringify(element)?.slice(0, 80)}`);
  return checkEntityId(element, `/${index}`);
}
