import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { parseDatetime } from '../api/datetime.js';
import { integerValue, rejectUnknown, single } from '../api/query-values.js';
import { apiUrl, selfUrl } from '../api/urls.js';
import { FeatureNotFoundError, InvalidParameterError } from '../domain/errors.js';
import { requireCollection, type CollectionReader } from '../services/features/collection-catalog.js';
import type { SeriesBucket } from '../services/ports/sensor-ports.js';
import type { SensorReads } from '../services/sensors/sensor-reads.js';
import { JSON_ONLY, readFormat } from './json-only.js';

const AGGREGATES: Record<string, SeriesBucket | null> = { none: null, minute: 'minute', hour: 'hour', day: 'day', week: 'week', month: 'month' };
const PARAMETERS = new Set(['datastream', 'datetime', 'aggregate', 'limit', 'f']);
const LIMIT = { minimum: 1, maximum: 100_000, fallback: 10_000, clamp: true };

/**
 * GET /collections/{collectionId}/items/{featureId}/timeseries: the observations of the datastreams
 * linked to one asset over an interval, raw or aggregated per bucket (avg, min, max, count of
 * numeric results).
 */
export function timeseriesBlock(collections: CollectionReader, reads: SensorReads): BuildingBlock {
  return {
    name: 'Sensor time series',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/collections/:collectionId/items/:featureId/timeseries',
        handler: async (ctx: ApiContext) => {
          const collection = await requireCollection(collections, String(ctx.params['collectionId']));
          const featureId = String(ctx.params['featureId']);
          rejectUnknown(ctx.query, PARAMETERS);
          readFormat(ctx, 'time series');
          const aggregateRaw = single(ctx.query, 'aggregate') ?? 'none';
          if (!Object.hasOwn(AGGREGATES, aggregateRaw)) throw new InvalidParameterError('aggregate', `aggregate must be one of ${Object.keys(AGGREGATES).join(', ')}, got '${aggregateRaw}'`);
          const datetime = single(ctx.query, 'datetime');
          const query = {
            datastreams: single(ctx.query, 'datastream')?.split(',').filter(Boolean) ?? null,
            time: datetime === undefined ? null : parseDatetime(datetime),
            bucket: AGGREGATES[aggregateRaw]!,
            limit: integerValue('limit', single(ctx.query, 'limit'), LIMIT),
          };
          const series = await reads.assetSeries(collection, featureId, query);
          if (series === null) throw new FeatureNotFoundError(collection.id, featureId);
          ctx.set('Cache-Control', 'no-store');
          ctx.type = JSON_ONLY;
          ctx.body = {
            asset: { collection: collection.id, id: featureId },
            datetime: datetime ?? null,
            aggregate: aggregateRaw,
            truncated: series.truncated,
            datastreams: series.datastreams,
            links: [
              { href: selfUrl(ctx), rel: 'self', type: JSON_ONLY, title: 'This time series' },
              { href: apiUrl(ctx, `/collections/${encodeURIComponent(collection.id)}/items/${encodeURIComponent(featureId)}`, { f: 'json' }), rel: 'about', type: 'application/geo+json', title: 'The asset' },
            ],
          };
        },
      },
    ],
    openapi: () => ({
      paths: {
        '/collections/{collectionId}/items/{featureId}/timeseries': {
          get: {
            tags: ['Sensor time series'],
            summary: "Time series of an asset's linked datastreams",
            description:
              'Observations of the datastreams linked to the asset while they were linked (a moving sensor counts for the asset only during its links), ordered by time; with `aggregate` the numeric results per bucket (UTC) as avg, min, max and count. At most `limit` values in total (`truncated` says when more exist).',
            operationId: 'getAssetTimeseries',
            parameters: [
              { $ref: '#/components/parameters/collectionId' },
              { $ref: '#/components/parameters/featureId' },
              { name: 'datastream', in: 'query', required: false, description: 'Comma-separated datastream ids (default: every linked datastream).', schema: { type: 'string' } },
              { $ref: '#/components/parameters/datetime' },
              { name: 'aggregate', in: 'query', required: false, description: 'Bucket size for avg/min/max/count.', schema: { type: 'string', enum: Object.keys(AGGREGATES), default: 'none' } },
              { name: 'limit', in: 'query', required: false, description: `Values in total (default 10000, at most ${LIMIT.maximum}).`, schema: { type: 'integer', minimum: 1, maximum: LIMIT.maximum, default: LIMIT.fallback } },
            ],
            responses: {
              '200': {
                description: 'The series per datastream.',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: {
                        asset: { type: 'object' },
                        aggregate: { type: 'string' },
                        truncated: { type: 'boolean' },
                        datastreams: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: { id: { type: 'string' }, name: { type: 'string' }, unit: { type: 'string', nullable: true }, values: { type: 'array', items: { type: 'object', properties: { time: { type: 'string', format: 'date-time' }, value: {}, avg: { type: 'number' }, min: { type: 'number' }, max: { type: 'number' }, count: { type: 'integer' } } } } },
                          },
                        },
                      },
                    },
                  },
                },
              },
              '400': { $ref: '#/components/responses/InvalidParameter' },
              '404': { $ref: '#/components/responses/NotFound' },
            },
          },
        },
      },
    }),
  };
}
