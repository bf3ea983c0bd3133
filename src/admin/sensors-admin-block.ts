import type { BuildingBlock } from '../api/building-block.js';
import { rejectUnknown, single } from '../api/query-values.js';
import { InvalidParameterError } from '../domain/errors.js';
import { parseAssetReference } from '../services/sensors/link-assets.js';
import type { SensorService } from '../services/sensors/sensor-service.js';

const EXPLAIN_PARAMETERS = new Set(['asset', 'datastream', 'f']);

/** Operator views of the sensor side: why a link exists or not, and the state of push feeds. */
export function sensorsAdminBlock(sensors: SensorService): BuildingBlock {
  return {
    name: 'Sensor administration',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/admin/links/explain',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, EXPLAIN_PARAMETERS);
          const asset = single(ctx.query, 'asset');
          const datastream = single(ctx.query, 'datastream');
          if (!asset) throw new InvalidParameterError('asset', 'asset=<collection>/<feature id> is required');
          if (!datastream) throw new InvalidParameterError('datastream', 'datastream=<datastream id> is required');
          ctx.set('Cache-Control', 'no-store');
          ctx.body = await sensors.explainLink({ ...parseAssetReference(asset), datastreamId: datastream });
        },
      },
      {
        method: 'GET',
        path: '/admin/feeds',
        handler: async (ctx) => {
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { feeds: sensors.feeds() };
        },
      },
    ],
    openapi: () => ({
      paths: {
        '/admin/links/explain': {
          get: {
            tags: ['Sensor administration'],
            summary: 'Why an asset and a datastream are linked, or not',
            description: "Each link rule of the datastream's source with its verdict: distances, thresholds, the assets it considered and the ones it picks; the link's history.",
            operationId: 'explainLink',
            parameters: [
              { name: 'asset', in: 'query', required: true, description: 'The asset as <collection>/<feature id>.', schema: { type: 'string' } },
              { name: 'datastream', in: 'query', required: true, description: 'Datastream id.', schema: { type: 'string' } },
            ],
            responses: {
              '200': { description: 'The explanation.', content: { 'application/json': { schema: { type: 'object', required: ['linked', 'summary', 'rules'], properties: { linked: { type: 'boolean' }, summary: { type: 'string' }, rules: { type: 'array', items: { type: 'object' } }, history: { type: 'array', items: { type: 'object' } } } } } } },
              '400': { $ref: '#/components/responses/InvalidParameter' },
              '404': { $ref: '#/components/responses/NotFound' },
            },
          },
        },
        '/admin/feeds': {
          get: {
            tags: ['Sensor administration'],
            summary: 'Push feeds (MQTT subscriptions): connection, counters, recent problems',
            operationId: 'getFeeds',
            responses: { '200': { description: 'One entry per feed.', content: { 'application/json': { schema: { type: 'object', properties: { feeds: { type: 'array', items: { type: 'object' } } } } } } } },
          },
        },
      },
    }),
  };
}
