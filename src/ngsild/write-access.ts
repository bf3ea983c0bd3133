import { requireApiKey } from '../api/api-key.js';
import type { ApiContext } from '../api/building-block.js';
import { readJsonBody } from '../api/request-body.js';
import type { WriteCaller } from '../services/entities/entity-provision.js';
import type { TermMap, TermMaps } from './context/term-map.js';
import { bodyMediaType } from './negotiation.js';
import { bodyContext, type RequestContext } from './request-context.js';

/** An entity type a loaded mapping declares, in its mapping's @context. */
export interface MappedEntityType {
  readonly mappingId: string;
  readonly type: string;
  readonly context: readonly string[];
}

export interface WriteAccess {
  /** The key writes need (X-API-Key or Authorization: Bearer); undefined: only anonymous writes, if allowed. */
  readonly apiKey: string | undefined;
  /** Writes without a key are let through (loopback only, checked at start-up), except of mapped types. */
  readonly anonymousWrites: boolean;
  readonly mappedTypes: readonly MappedEntityType[];
}

/** What every NGSI-LD write starts with: who writes, and the body in the @context it is in. */
export interface EntityWriters {
  caller(ctx: ApiContext): Promise<WriteCaller>;
  /** The body of a one-entity write with the @context it is in (clause 6.3.5) and its names. */
  entityBody(ctx: ApiContext, mergePatch?: boolean): Promise<{ body: unknown; request: RequestContext; names: TermMap }>;
}

const REALM = 'placelink NGSI-LD';

export function entityWriters(access: WriteAccess, terms: TermMaps, maxBodyBytes: number): EntityWriters {
  let mapped: Promise<Map<string, string>> | null = null;
  /** The IRIs of the mapped types (IRI → mapping id), resolved once (again after a context could not be loaded). */
  function mappedTypes(): Promise<Map<string, string>> {
    if (mapped) return mapped;
    const resolving = Promise.all(access.mappedTypes.map(async (m) => [(await terms.of(m.context)).expand(m.type), m.mappingId] as const)).then((pairs) => new Map(pairs));
    resolving.catch(() => (mapped = null));
    return (mapped = resolving);
  }

  return {
    async caller(ctx) {
      const presented = ctx.get('X-API-Key') !== '' || ctx.get('Authorization') !== '';
      if (access.anonymousWrites && !presented) return { anonymous: { realm: REALM, mappedTypes: await mappedTypes() } };
      requireApiKey(ctx, {
        key: access.apiKey,
        realm: REALM,
        disabled: 'NGSI-LD writes are not enabled: the operator sets PLACELINK_NGSILD_API_KEY (or PLACELINK_NGSILD_ANONYMOUS_WRITES=true on a loopback HOST)',
      });
      return { anonymous: null };
    },

    async entityBody(ctx, mergePatch = false) {
      const mediaType = bodyMediaType(ctx, mergePatch);
      const body = await readJsonBody(ctx, maxBodyBytes);
      const request = bodyContext(ctx, body, mediaType);
      return { body, request, names: await terms.of(request.context) };
    },
  };
}
