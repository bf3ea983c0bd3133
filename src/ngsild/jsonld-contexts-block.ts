import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { readJsonBody } from '../api/request-body.js';
import { rejectUnknown, single, type RawQuery } from '../api/query-values.js';
import { InvalidInputError, InvalidParameterError, MalformedInputError, ResourceNotFoundError } from '../domain/errors.js';
import { LD_CONTEXT_KINDS, type LdContextKind } from '../domain/ld-context.js';
import type { ContextCatalog, HeldContext } from './context/context-catalog.js';
import { bodyMediaType, representation, type Representation } from './negotiation.js';
import { jsonldContextsOpenApi } from './openapi.js';
import { CONTEXTS_PATH, MEDIA } from './vocabulary.js';

export interface JsonldContextsDeps {
  readonly contexts: ContextCatalog;
  readonly maxBodyBytes: number;
}

const LIST_PARAMETERS = new Set(['details', 'kind']);
const SERVE_PARAMETERS = new Set(['details']);
const DELETE_PARAMETERS = new Set(['reload']);
const NO_PARAMETERS = new Set<string>();

function flag(query: RawQuery, name: string): boolean {
  const value = single(query, name);
  if (value !== undefined && value !== 'true' && value !== 'false') throw new InvalidParameterError(name, `${name} is true or false, got '${value.slice(0, 20)}'`);
  return value === 'true';
}

function kindFilter(query: RawQuery): LdContextKind | null {
  const value = single(query, 'kind');
  if (value === undefined) return null;
  if (!LD_CONTEXT_KINDS.includes(value as LdContextKind)) throw new InvalidParameterError('kind', `kind is one of ${LD_CONTEXT_KINDS.join(', ')}, got '${value.slice(0, 20)}'`);
  return value as LdContextKind;
}

/** The metadata of a context (clause 5.13.3.5); `createdAt` as V1.9.1 and the ETSI suite name it (the V1.8.1 OpenAPI says `timestamp`). */
function details(context: HeldContext): Record<string, unknown> {
  return {
    URL: context.url,
    localId: context.localId,
    kind: context.kind,
    createdAt: context.createdAt,
    ...(context.expiresAt !== null && { expiresAt: context.expiresAt }),
    ...(context.lastUsage !== null && { lastUsage: context.lastUsage }),
    numberOfHits: context.numberOfHits,
    ...(context.origin === 'shipped' && { extraInfo: { shipped: true } }),
  };
}

/** The value of the `@context` member of a body adding a context: a JSON object with that member (clause 5.13.2.3). */
function contextOfBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('@context' in body)) {
    throw new MalformedInputError('The body must be a JSON object with an @context member (other members are ignored)');
  }
  const context = (body as Record<string, unknown>)['@context'];
  const parts = Array.isArray(context) ? context : [context];
  if (parts.length === 0) throw new InvalidInputError('The @context is an empty array');
  for (const part of parts) {
    if (typeof part === 'string' ? !/^https?:\/\//.test(part) || !URL.canParse(part) : part === null || typeof part !== 'object' || Array.isArray(part)) {
      throw new InvalidInputError(`The @context must be a context object, an absolute http(s) URL of one, or an array of those; found ${JSON.stringify(part)?.slice(0, 100)}`);
    }
  }
  return context;
}

function contextId(ctx: ApiContext): string {
  return String(ctx.params['contextId']);
}

/**
 * Lists and contexts are JSON; application/ld+json is answered as such when asked for. The media type
 * goes without a charset parameter (JSON is UTF-8, RFC 8259): the ETSI suite compares it exactly.
 */
function answer(ctx: ApiContext, as: Representation, body: unknown): void {
  ctx.set('Content-Type', as === 'ld+json' ? MEDIA.jsonLd : MEDIA.json);
  ctx.body = body;
}

/** The @context API (clause 5.13, resources 6.29–6.31): list, serve, add and delete or reload @contexts. */
export function jsonldContextsBlock(deps: JsonldContextsDeps): BuildingBlock {
  return {
    name: 'NGSI-LD @context API',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: CONTEXTS_PATH,
        handler: async (ctx) => {
          const as = representation(ctx);
          rejectUnknown(ctx.query, LIST_PARAMETERS);
          const detailed = flag(ctx.query, 'details');
          const contexts = await deps.contexts.list(kindFilter(ctx.query), ctx.state.apiBase);
          answer(ctx, as, detailed ? contexts.map(details) : contexts.map((c) => c.url));
        },
      },
      {
        method: 'POST',
        path: CONTEXTS_PATH,
        handler: async (ctx) => {
          rejectUnknown(ctx.query, NO_PARAMETERS);
          bodyMediaType(ctx);
          const context = contextOfBody(await readJsonBody(ctx, deps.maxBodyBytes));
          const added = await deps.contexts.add(context, ctx.state.apiBase);
          ctx.set('Location', `${new URL(ctx.state.apiBase).pathname.replace(/\/$/, '')}${CONTEXTS_PATH}/${added.localId}`);
          ctx.body = null;
          ctx.status = 201;
        },
      },
      {
        method: 'GET',
        path: `${CONTEXTS_PATH}/:contextId`,
        handler: async (ctx) => {
          const as = representation(ctx);
          rejectUnknown(ctx.query, SERVE_PARAMETERS);
          const detailed = flag(ctx.query, 'details');
          const context = await deps.contexts.find(contextId(ctx), ctx.state.apiBase);
          if (!context) throw new ResourceNotFoundError(`${CONTEXTS_PATH}/${contextId(ctx)}`);
          answer(ctx, as, detailed ? details(context) : await deps.contexts.document(context));
        },
      },
      {
        method: 'DELETE',
        path: `${CONTEXTS_PATH}/:contextId`,
        handler: async (ctx) => {
          rejectUnknown(ctx.query, DELETE_PARAMETERS);
          await deps.contexts.remove(contextId(ctx), flag(ctx.query, 'reload'), ctx.state.apiBase);
          ctx.body = null;
        },
      },
    ],
    openapi: jsonldContextsOpenApi,
  };
}
