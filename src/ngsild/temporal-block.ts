import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { readJsonBody } from '../api/request-body.js';
import { ResourceNotFoundError } from '../domain/errors.js';
import type { TermMaps } from './context/term-map.js';
import { checkEntityId } from './entities/entity-parameters.js';
import { bodyMediaType, representation, type Representation } from './negotiation.js';
import { temporalOpenApi } from './openapi.js';
import { bodyContext, linkedContext, type RequestContext } from './request-context.js';
import { pagingLinks, writeBody } from './responses.js';
import { readTemporalQuery, readTemporalQueryBody, readTemporalRetrieve } from './temporal/temporal-parameters.js';
import { hasAttributes, type TemporalReader } from './temporal/temporal-reader.js';
import { HEADER } from './vocabulary.js';

export interface TemporalDeps {
  readonly reader: TemporalReader;
  readonly terms: TermMaps;
  readonly maxBodyBytes: number;
}

/** A response cut at the instance limit is 206 Partial Content with the time range it covers. */
function partial(ctx: ApiContext, contentRange: string | null): void {
  if (contentRange === null) return;
  ctx.status = 206;
  ctx.set(HEADER.contentRange, contentRange);
}

/** The temporal evolution of entities (clauses 5.7.3, 5.7.4): observations, stored instances and feature versions. */
export function temporalBlock(deps: TemporalDeps): BuildingBlock {
  /** A page of entities with their temporal evolution: count, paging links, the body, 206 when cut. */
  async function answerQuery(ctx: ApiContext, as: Representation, request: RequestContext, query: ReturnType<typeof readTemporalQuery>): Promise<void> {
    const terms = await deps.terms.of(request.context);
    const result = await deps.reader.query(query.selection, query.page, query.view, terms);
    if (result.count !== null) ctx.set(HEADER.resultsCount, String(result.count));
    pagingLinks(ctx, query.page.offset, query.page.limit, result.entities.length, result.count);
    writeBody(ctx, result.entities, as, request, terms);
    partial(ctx, result.contentRange);
  }

  return {
    name: 'NGSI-LD temporal evolution',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/temporal/entities',
        handler: async (ctx) => {
          const as = representation(ctx);
          await answerQuery(ctx, as, linkedContext(ctx), readTemporalQuery(ctx.query));
        },
      },
      {
        method: 'POST',
        path: '/temporal/entityOperations/query',
        handler: async (ctx) => {
          const as = representation(ctx);
          const mediaType = bodyMediaType(ctx);
          const body = await readJsonBody(ctx, deps.maxBodyBytes);
          const request = bodyContext(ctx, body, mediaType);
          await answerQuery(ctx, as, request, readTemporalQueryBody(body, ctx.query));
        },
      },
      {
        method: 'GET',
        path: '/temporal/entities/:entityId',
        handler: async (ctx) => {
          const as = representation(ctx);
          const request = linkedContext(ctx);
          const id = checkEntityId(String(ctx.params['entityId']), 'entityId');
          const { types, view } = readTemporalRetrieve(ctx.query);
          const terms = await deps.terms.of(request.context);
          const found = await deps.reader.retrieve(id, types, view, terms);
          if (!found) throw new ResourceNotFoundError(`entity ${id}`);
          // As for Retrieve Entity: nothing left of what attrs, pick or omit ask for is not found.
          if (Object.keys(found.entity).length === 0 || (view.entity.projection.attrs && !hasAttributes(found.entity))) {
            throw new ResourceNotFoundError(`the attributes asked for of entity ${id}`);
          }
          writeBody(ctx, found.entity, as, request, terms);
          partial(ctx, found.contentRange);
        },
      },
    ],
    openapi: temporalOpenApi,
  };
}
