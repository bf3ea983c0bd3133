import type { BuildingBlock } from '../api/building-block.js';

export interface HealthDeps {
  /** Database reachable and migrations applied. */
  ready(): Promise<boolean>;
}

const problemOrStatus = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' } } } } } });

/** Liveness and readiness probes for orchestrators. */
export function healthBlock(deps: HealthDeps): BuildingBlock {
  return {
    name: 'Operations',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/healthz',
        handler: async (ctx) => {
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { status: 'ok' };
        },
      },
      {
        method: 'GET',
        path: '/readyz',
        handler: async (ctx) => {
          const ready = await deps.ready();
          ctx.set('Cache-Control', 'no-store');
          ctx.status = ready ? 200 : 503;
          ctx.body = { status: ready ? 'ready' : 'not ready', database: ready ? 'ok' : 'unreachable or schema not current' };
        },
      },
    ],
    openapi: () => ({
      paths: {
        '/healthz': { get: { tags: ['Operations'], summary: 'Liveness: the process is up', operationId: 'getHealth', responses: { '200': problemOrStatus('Alive') } } },
        '/readyz': {
          get: {
            tags: ['Operations'],
            summary: 'Readiness: the database is reachable and the schema is current',
            operationId: 'getReadiness',
            responses: { '200': problemOrStatus('Ready'), '503': problemOrStatus('Not ready') },
          },
        },
      },
    }),
  };
}
