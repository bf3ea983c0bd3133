import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { readJsonBody } from '../api/request-body.js';
import { ResourceNotFoundError } from '../domain/errors.js';
import type { TermMaps } from './context/term-map.js';
import { checkEntityId, readEntityQuery, readRetrieve } from './entities/entity-parameters.js';
import type { EntityReader, ItemUrl } from './entities/entity-reader.js';
import { bodyMediaType, representation } from './negotiation.js';
import { readQueryBody } from './entities/query-body.js';
import { bodyContext, linkedContext } from './request-context.js';
import { pagingLinks, writeBody } from './responses.js';
import { consumptionOpenApi } from './openapi.js';
import { HEADER } from './vocabulary.js';

export interface ConsumptionDeps {
  readonly reader: EntityReader;
  readonly terms: TermMaps;
  readonly maxBodyBytes: number;
  /** Where the OGC API item of a feature is, for a request. */
  readonly itemUrl?: (ctx: ApiContext) => ItemUrl;
}

/** Context consumption (clause 5.7): query entities (GET and POST), retrieve an entity. */
export function consumptionBlock(deps: ConsumptionDeps): BuildingBlock {
  return {
    name: 'NGSI-LD context consumption',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/entities',
        handler: async (ctx) => {
          const as = representation(ctx, true);
          const request = linkedContext(ctx);
          const { selection, page, view } = readEntityQuery(ctx.query);
          const terms = await deps.terms.of(request.context);
          const result = await deps.reader.query(selection, page, view, terms, as === 'geo+json', deps.itemUrl?.(ctx));
          if (result.count !== null) ctx.set(HEADER.resultsCount, String(result.count));
          pagingLinks(ctx, page.offset, page.limit, result.entities.length, result.count);
          writeBody(ctx, result.entities, as, request, terms);
        },
      },
      {
        method: 'POST',
        path: '/entityOperations/query',
        handler: async (ctx) => {
          const as = representation(ctx, true);
          const mediaType = bodyMediaType(ctx);
          const body = await readJsonBody(ctx, deps.maxBodyBytes);
          const request = bodyContext(ctx, body, mediaType);
          const { selection, page, view } = readQueryBody(body, ctx.query);
          const terms = await deps.terms.of(request.context);
          const result = await deps.reader.query(selection, page, view, terms, as === 'geo+json', deps.itemUrl?.(ctx));
          if (result.count !== null) ctx.set(HEADER.resultsCount, String(result.count));
          pagingLinks(ctx, page.offset, page.limit, result.entities.length, result.count);
          writeBody(ctx, result.entities, as, request, terms);
        },
      },
      {
        method: 'GET',
        path: '/entities/:entityId',
        handler: async (ctx) => {
          const as = representation(ctx, true);
          const request = linkedContext(ctx);
          const id = checkEntityId(String(ctx.params['entityId']), 'entityId');
          const { types, view } = readRetrieve(ctx.query);
          const terms = await deps.terms.of(request.context);
          const entity = await deps.reader.retrieve(id, types, view, terms, as === 'geo+json', deps.itemUrl?.(ctx));
          if (!entity) throw new ResourceNotFoundError(`entity ${id}`);
          if (view.projection.attrs && Object.keys(entity).every((k) => k === 'id' || k === 'type')) {
            throw new ResourceNotFoundError(`attributes ${view.projection.attrs.join(', ')} of entity ${id}`);
          }
          // pick or omit that leave nothing of the entity (clause 4.21): there is no such representation of it.
          if ((view.projection.pick || view.projection.omit) && !Array.isArray(entity) && Object.keys(entity).length === 0) {
            throw new ResourceNotFoundError(`members of entity ${id} that pick and omit leave`);
          }
          writeBody(ctx, entity, as, request, terms);
        },
      },
    ],
    openapi: consumptionOpenApi,
  };
}
