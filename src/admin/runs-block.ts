import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { integerValue, rejectUnknown, single } from '../api/query-values.js';
import { InvalidParameterError, ResourceNotFoundError } from '../domain/errors.js';
import type { HarvestRun } from '../domain/harvest-run.js';
import type { RunHistory } from '../services/runs/run-history.js';

const LIST_PARAMETERS = new Set(['mapping', 'status', 'limit', 'before', 'f']);
const STATUSES = ['running', 'succeeded', 'failed'] as const;

const runLinks = (baseUrl: string, run: HarvestRun) => [{ rel: 'self', type: 'application/json', href: `${baseUrl}/admin/runs/${run.runId}` }];

/** Harvest run records: GET /admin/runs (newest first, filter by mapping and status) and /admin/runs/{runId}. */
export function runsBlock(runs: RunHistory): BuildingBlock {
  return {
    name: 'Harvest runs',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/admin/runs',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, LIST_PARAMETERS);
          const status = single(ctx.query, 'status');
          if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new InvalidParameterError('status', `status must be one of ${STATUSES.join(', ')}, got '${status}'`);
          const mapping = single(ctx.query, 'mapping');
          const limit = integerValue('limit', single(ctx.query, 'limit'), { minimum: 1, maximum: 500, fallback: 20 });
          const before = single(ctx.query, 'before');
          const list = await runs.list({
            ...(mapping ? { mappingId: mapping } : {}),
            ...(status ? { status: status as HarvestRun['status'] } : {}),
            limit,
            ...(before !== undefined ? { beforeRunId: integerValue('before', before, { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, fallback: 0 }) } : {}),
          });
          const base = ctx.state.apiBase;
          const query = new URLSearchParams({ ...(mapping ? { mapping } : {}), ...(status ? { status } : {}), limit: String(limit) });
          const links = [{ rel: 'self', type: 'application/json', href: `${base}/admin/runs${ctx.querystring ? `?${ctx.querystring}` : ''}` }];
          const last = list[list.length - 1];
          if (list.length === limit && last) links.push({ rel: 'next', type: 'application/json', href: `${base}/admin/runs?${query}&before=${last.runId}` });
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { runs: list.map((run) => ({ ...run, links: runLinks(base, run) })), links };
        },
      },
      {
        method: 'GET',
        path: '/admin/runs/:runId',
        handler: async (ctx) => {
          const raw = (ctx as ApiContext & { params: { runId: string } }).params.runId;
          const run = /^\d{1,15}$/.test(raw) ? await runs.get(Number(raw)) : null;
          if (!run) throw new ResourceNotFoundError(`/admin/runs/${raw}`);
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { ...run, links: runLinks(ctx.state.apiBase, run) };
        },
      },
    ],
    openapi: () => ({
      paths: {
        '/admin/runs': {
          get: {
            tags: ['Harvest runs'],
            summary: 'Recorded harvest runs, newest first',
            operationId: 'getHarvestRuns',
            parameters: [
              { name: 'mapping', in: 'query', required: false, description: 'Only runs of this mapping id', schema: { type: 'string' } },
              { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: [...STATUSES] } },
              { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 20 } },
              { name: 'before', in: 'query', required: false, description: 'Runs with a smaller run id (the next link sets it)', schema: { type: 'integer', minimum: 1 } },
            ],
            responses: {
              '200': { description: 'Runs', content: { 'application/json': { schema: { type: 'object', required: ['runs', 'links'], properties: { runs: { type: 'array', items: { $ref: '#/components/schemas/HarvestRun' } }, links: { type: 'array', items: { $ref: '#/components/schemas/link' } } } } } } },
              '400': { $ref: '#/components/responses/InvalidParameter' },
            },
          },
        },
        '/admin/runs/{runId}': {
          get: {
            tags: ['Harvest runs'],
            summary: 'One harvest run with its first 100 rejections and warnings',
            operationId: 'getHarvestRun',
            parameters: [{ name: 'runId', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
            responses: {
              '200': { description: 'The run', content: { 'application/json': { schema: { $ref: '#/components/schemas/HarvestRun' } } } },
              '404': { $ref: '#/components/responses/NotFound' },
            },
          },
        },
      },
      schemas: {
        HarvestRun: {
          type: 'object',
          required: ['runId', 'mappingId', 'collectionId', 'sourceType', 'sourceUrl', 'trigger', 'status', 'startedAt', 'counts'],
          properties: {
            runId: { type: 'integer' },
            mappingId: { type: 'string' },
            collectionId: { type: 'string' },
            sourceType: { type: 'string', enum: ['wfs', 'ogcapi-features', 'file'] },
            sourceUrl: { type: 'string', description: 'With secrets replaced by their ${VAR} reference' },
            trigger: { type: 'string', enum: ['cli', 'schedule', 'api'] },
            status: { type: 'string', enum: [...STATUSES] },
            startedAt: { type: 'string', format: 'date-time' },
            finishedAt: { type: 'string', format: 'date-time', nullable: true },
            expected: { type: 'integer', nullable: true, description: 'The total the source announced' },
            counts: {
              type: 'object',
              properties: Object.fromEntries(['pages', 'read', 'inserted', 'updated', 'unchanged', 'retired', 'purged', 'rejected', 'repaired', 'duplicates'].map((k) => [k, { type: 'integer' }])),
            },
            error: { type: 'string', nullable: true },
            rejections: { type: 'array', items: { type: 'object', properties: { id: { type: 'string', nullable: true }, location: { type: 'string' }, reason: { type: 'string' } } } },
            warnings: { type: 'array', items: { type: 'object', properties: { location: { type: 'string' }, message: { type: 'string' } } } },
            links: { type: 'array', items: { $ref: '#/components/schemas/link' } },
          },
        },
      },
    }),
  };
}
