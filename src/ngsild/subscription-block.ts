import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { integerValue, rejectUnknown, single } from '../api/query-values.js';
import { readJsonBody } from '../api/request-body.js';
import { AlreadyExistsError, InvalidParameterError, ResourceNotFoundError } from '../domain/errors.js';
import type { SubscriptionRepository } from '../services/ports/subscription-ports.js';
import type { TermMaps } from './context/term-map.js';
import { checkEntityId } from './entities/entity-parameters.js';
import { bodyMediaType, representation } from './negotiation.js';
import { subscriptionOpenApi } from './openapi.js';
import { bodyContext, linkedContext, type RequestContext } from './request-context.js';
import { pagingLinks, writeBody } from './responses.js';
import { readFragment, readSubscription, type RequestNames } from './subscriptions/subscription-input.js';
import { renderSubscription } from './subscriptions/subscription-output.js';
import { HEADER } from './vocabulary.js';

export interface SubscriptionDeps {
  readonly subscriptions: SubscriptionRepository;
  readonly terms: TermMaps;
  readonly maxBodyBytes: number;
}

const SUBSCRIPTION_LIMIT = { fallback: 20, maximum: 1000 } as const;

const WRITE_PARAMETERS = new Set(['local']);
const LIST_PARAMETERS = new Set(['limit', 'offset', 'count', 'options', 'local']);
const RETRIEVE_PARAMETERS = new Set(['options', 'local']);

/** options=sysAttrs adds createdAt and modifiedAt; no other option applies to subscriptions. */
function sysAttrs(ctx: ApiContext): boolean {
  const options = single(ctx.query, 'options');
  if (options === undefined) return false;
  const values = options.split(',').map((o) => o.trim());
  for (const value of values) if (value !== 'sysAttrs') throw new InvalidParameterError('options', `options may only be sysAttrs for subscriptions, got '${value.slice(0, 40)}'`);
  return true;
}

function subscriptionId(ctx: ApiContext): string {
  return checkEntityId(String(ctx.params['subscriptionId']), 'subscriptionId');
}

/**
 * Subscriptions (clause 5.8): create, update, query, retrieve, delete. They are stored in the
 * database with the @context of the request that made them; the notifier (subscriptions/notifier.ts)
 * delivers their notifications.
 */
export function subscriptionBlock(deps: SubscriptionDeps): BuildingBlock {
  /** The request's @context, loaded (an unusable one fails here), and the notification context the body names. */
  async function namesOf(request: RequestContext, body: unknown): Promise<RequestNames> {
    const terms = await deps.terms.of(request.context);
    const jsonldContext = (body as { jsonldContext?: unknown } | null)?.jsonldContext;
    if (typeof jsonldContext === 'string') await deps.terms.of([jsonldContext]);
    return { terms, context: request.context };
  }

  return {
    name: 'NGSI-LD context subscription',
    conformance: [],
    routes: [
      {
        method: 'POST',
        path: '/subscriptions',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, WRITE_PARAMETERS);
          const mediaType = bodyMediaType(ctx);
          const body = await readJsonBody(ctx, deps.maxBodyBytes);
          const names = await namesOf(bodyContext(ctx, body, mediaType), body);
          const record = readSubscription(body, names, Date.now());
          if (!(await deps.subscriptions.create(record))) throw new AlreadyExistsError(`A subscription with id ${record.id} exists`);
          ctx.status = 201;
          ctx.set('Location', `${ctx.state.apiBase}/subscriptions/${encodeURIComponent(record.id)}`);
          // Koa would answer a bodiless 201 with its status text.
          ctx.body = '';
        },
      },
      {
        method: 'GET',
        path: '/subscriptions',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, LIST_PARAMETERS);
          const as = representation(ctx);
          const request = linkedContext(ctx);
          const withSysAttrs = sysAttrs(ctx);
          const count = single(ctx.query, 'count');
          if (count !== undefined && count !== 'true' && count !== 'false') throw new InvalidParameterError('count', `count is true or false, got '${count.slice(0, 20)}'`);
          const limit = integerValue('limit', single(ctx.query, 'limit'), { minimum: 0, maximum: SUBSCRIPTION_LIMIT.maximum, fallback: SUBSCRIPTION_LIMIT.fallback });
          if (limit === 0 && count !== 'true') throw new InvalidParameterError('limit', 'limit=0 is only meaningful together with count=true');
          const offset = integerValue('offset', single(ctx.query, 'offset'), { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, fallback: 0 });
          const terms = await deps.terms.of(request.context);
          const [page, total] = await Promise.all([limit > 0 ? deps.subscriptions.page(limit, offset) : Promise.resolve([]), deps.subscriptions.count()]);
          if (count === 'true') ctx.set(HEADER.resultsCount, String(total));
          pagingLinks(ctx, offset, limit, page.length, total);
          const now = Date.now();
          writeBody(ctx, page.map((s) => renderSubscription(s, terms, withSysAttrs, now)), as, request, terms);
        },
      },
      {
        method: 'GET',
        path: '/subscriptions/:subscriptionId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, RETRIEVE_PARAMETERS);
          const as = representation(ctx);
          const request = linkedContext(ctx);
          const id = subscriptionId(ctx);
          const withSysAttrs = sysAttrs(ctx);
          const terms = await deps.terms.of(request.context);
          const subscription = await deps.subscriptions.byId(id);
          if (!subscription) throw new ResourceNotFoundError(`subscription ${id}`);
          writeBody(ctx, renderSubscription(subscription, terms, withSysAttrs, Date.now()), as, request, terms);
        },
      },
      {
        method: 'PATCH',
        path: '/subscriptions/:subscriptionId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, WRITE_PARAMETERS);
          const id = subscriptionId(ctx);
          const mediaType = bodyMediaType(ctx, true);
          const body = await readJsonBody(ctx, deps.maxBodyBytes);
          const names = await namesOf(bodyContext(ctx, body, mediaType), body);
          const stored = await deps.subscriptions.byId(id);
          if (!stored) throw new ResourceNotFoundError(`subscription ${id}`);
          if (!(await deps.subscriptions.update(readFragment(body, stored, names, Date.now())))) throw new ResourceNotFoundError(`subscription ${id}`);
          ctx.status = 204;
        },
      },
      {
        method: 'DELETE',
        path: '/subscriptions/:subscriptionId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, WRITE_PARAMETERS);
          const id = subscriptionId(ctx);
          if (!(await deps.subscriptions.remove(id))) throw new ResourceNotFoundError(`subscription ${id}`);
          ctx.status = 204;
        },
      },
    ],
    openapi: subscriptionOpenApi,
  };
}
