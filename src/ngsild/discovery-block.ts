import { randomUUID } from 'node:crypto';
import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { rejectUnknown, single } from '../api/query-values.js';
import { InvalidParameterError, ResourceNotFoundError } from '../domain/errors.js';
import type { TermMap } from './context/term-map.js';
import { typeSummaries, type TypeSummary, type TypeSummarySources } from './entities/type-summaries.js';
import { representation } from './negotiation.js';
import { discoveryOpenApi } from './openapi.js';
import { linkedContext } from './request-context.js';
import { writeBody } from './responses.js';

export type DiscoveryDeps = TypeSummarySources;

const DETAILS = new Set(['details']);

function details(ctx: ApiContext): boolean {
  rejectUnknown(ctx.query, DETAILS);
  const value = single(ctx.query, 'details');
  if (value !== undefined && value !== 'true' && value !== 'false') throw new InvalidParameterError('details', `details is true or false, got '${value.slice(0, 20)}'`);
  return value === 'true';
}

const names = (iris: Iterable<string>, terms: TermMap) => [...iris].map((iri) => terms.compact(iri));

/** Entity type and attribute discovery (clauses 5.7.5–5.7.10). */
export function discoveryBlock(deps: DiscoveryDeps): BuildingBlock {
  async function answer(ctx: ApiContext, build: (all: Map<string, TypeSummary>, terms: TermMap, detailed: boolean) => Record<string, unknown> | Record<string, unknown>[]): Promise<void> {
    const as = representation(ctx);
    const request = linkedContext(ctx);
    const detailed = details(ctx);
    const terms = await deps.terms.of(request.context);
    writeBody(ctx, build(await typeSummaries(deps), terms, detailed), as, request, terms);
  }

  return {
    name: 'NGSI-LD discovery',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/types',
        handler: (ctx) =>
          answer(ctx, (all, terms, detailed) =>
            detailed
              ? [...all.values()].map((t) => ({ id: t.iri, type: 'EntityType', typeName: terms.compact(t.iri), attributeNames: names(t.attributes.keys(), terms) }))
              : { id: `urn:ngsi-ld:EntityTypeList:${randomUUID()}`, type: 'EntityTypeList', typeList: names(all.keys(), terms) },
          ),
      },
      {
        method: 'GET',
        path: '/types/:type',
        handler: async (ctx) => {
          const name = String(ctx.params['type']);
          await answer(ctx, (all, terms) => {
            const t = all.get(terms.expand(name));
            if (!t) throw new ResourceNotFoundError(`entity type ${name}`);
            return {
              id: t.iri,
              type: 'EntityTypeInfo',
              typeName: terms.compact(t.iri),
              entityCount: t.entities,
              attributeDetails: [...t.attributes].map(([iri, a]) => ({ id: iri, type: 'Attribute', attributeName: terms.compact(iri), attributeTypes: [...a.types] })),
            };
          });
        },
      },
      {
        method: 'GET',
        path: '/attributes',
        handler: (ctx) =>
          answer(ctx, (all, terms, detailed) => {
            const attributes = new Map<string, Set<string>>();
            for (const t of all.values()) for (const iri of t.attributes.keys()) (attributes.get(iri) ?? attributes.set(iri, new Set()).get(iri)!).add(t.iri);
            return detailed
              ? [...attributes].map(([iri, types]) => ({ id: iri, type: 'Attribute', attributeName: terms.compact(iri), typeNames: names(types, terms) }))
              : { id: `urn:ngsi-ld:AttributeList:${randomUUID()}`, type: 'AttributeList', attributeList: names(attributes.keys(), terms) };
          }),
      },
      {
        method: 'GET',
        path: '/attributes/:attribute',
        handler: async (ctx) => {
          const name = String(ctx.params['attribute']);
          await answer(ctx, (all, terms) => {
            const iri = terms.expand(name);
            const holders = [...all.values()].filter((t) => t.attributes.has(iri));
            if (holders.length === 0) throw new ResourceNotFoundError(`attribute ${name}`);
            return {
              id: iri,
              type: 'Attribute',
              attributeName: terms.compact(iri),
              attributeCount: holders.reduce((n, t) => n + t.attributes.get(iri)!.entities, 0),
              attributeTypes: [...new Set(holders.flatMap((t) => [...t.attributes.get(iri)!.types]))],
              typeNames: names(holders.map((t) => t.iri), terms),
            };
          });
        },
      },
    ],
    openapi: discoveryOpenApi,
  };
}
