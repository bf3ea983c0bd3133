import { FeatureNotFoundError, InvalidParameterError } from '../../domain/errors.js';
import type { Store } from '../../services/ports.js';
import type { LinkPeriod, SeriesBucket } from '../../services/sensor-ports.js';
import type { TimeInterval } from '../../domain/query.js';
import type { ApiContext, BuildingBlock } from '../building-block.js';
import { requireCollection, type FeaturesApiDeps } from '../core/deps.js';
import { apiUrl, selfUrl } from '../links.js';
import { parseDatetime } from '../params/datetime.js';
import { rejectUnknown, single } from '../params/query-values.js';
import { MEDIA, PARAM } from '../vocabulary.js';

const AGGREGATES: Record<string, SeriesBucket | null> = { none: null, minute: 'minute', hour: 'hour', day: 'day', week: 'week', month: 'month' };
const PARAMETERS = new Set(['datastream', PARAM.datetime, 'aggregate', PARAM.limit, PARAM.format]);
const MAX_VALUES = 100_000;

function overlaps(period: LinkPeriod, time: TimeInterval | null): boolean {
  if (!time) return true;
  return (time.end === null || Date.parse(period.validFrom) <= time.end.getTime()) && (time.start === null || period.validTo === null || Date.parse(period.validTo) > time.start.getTime());
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 10_000;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new InvalidParameterError(PARAM.limit, `limit must be a positive integer, got '${raw}'`);
  return Math.min(Number(raw), MAX_VALUES);
}

/**
 * GET /collections/{collectionId}/items/{featureId}/timeseries: the observations of the datastreams
 * linked to one asset over an interval, raw or aggregated per bucket (avg, min, max, count of
 * numeric results).
 */
export function timeseriesBlock(store: Store, deps: FeaturesApiDeps): BuildingBlock {
  return {
    name: 'Sensor time series',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/collections/:collectionId/items/:featureId/timeseries',
        handler: async (ctx: ApiContext) => {
          const collection = await requireCollection(deps, String(ctx.params['collectionId']));
          const featureId = String(ctx.params['featureId']);
          rejectUnknown(ctx.query, PARAMETERS);
          const format = single(ctx.query, PARAM.format);
          if (format !== undefined && format !== 'json') throw new InvalidParameterError(PARAM.format, 'time series are served as JSON only (f=json)');
          const aggregateRaw = single(ctx.query, 'aggregate') ?? 'none';
          if (!(aggregateRaw in AGGREGATES)) throw new InvalidParameterError('aggregate', `aggregate must be one of ${Object.keys(AGGREGATES).join(', ')}, got '${aggregateRaw}'`);
          const bucket = AGGREGATES[aggregateRaw]!;
          const datetime = single(ctx.query, PARAM.datetime);
          const time = datetime === undefined ? null : parseDatetime(datetime);
          const limit = limitOf(single(ctx.query, PARAM.limit));
          const wanted = single(ctx.query, 'datastream')?.split(',').filter(Boolean) ?? null;

          // Every link the asset had: a datastream's observations count while it was linked.
          const periods = await store.sensors.links.periods(collection.key, featureId);
          if (periods.length === 0 && (await store.features.byId(collection.key, featureId, { srid: 4326, swapAxes: false, decimals: 0, properties: [] })) === null) {
            throw new FeatureNotFoundError(collection.id, featureId);
          }
          const unknown = wanted?.filter((id) => !periods.some((p) => p.datastreamId === id)) ?? [];
          if (unknown.length) throw new InvalidParameterError('datastream', `not linked to ${collection.id}/${featureId}: ${unknown.join(', ')}`);
          const within = periods.filter((p) => (wanted ? wanted.includes(p.datastreamId) : overlaps(p, time)));
          const chosen = [...new Map(within.map((p) => [p.datastreamId, p])).values()];
          const rows = within.length ? await store.sensors.series({ periods: within.map((p) => ({ datastreamKey: p.datastreamKey, from: p.validFrom, to: p.validTo })), time, bucket, limit }) : [];
          const byKey = new Map<number, unknown[]>();
          for (const row of rows) {
            const { datastream_key: key, ...value } = row;
            (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(value);
          }
          ctx.set('Cache-Control', 'no-store');
          ctx.type = MEDIA.json;
          ctx.body = {
            asset: { collection: collection.id, id: featureId },
            datetime: datetime ?? null,
            aggregate: aggregateRaw,
            truncated: rows.length >= limit,
            datastreams: chosen.map((c) => ({
              id: c.datastreamId,
              name: c.name,
              unit: c.unit,
              values: byKey.get(c.datastreamKey) ?? [],
            })),
            links: [
              { href: selfUrl(ctx), rel: 'self', type: MEDIA.json, title: 'This time series' },
              { href: apiUrl(ctx, `/collections/${encodeURIComponent(collection.id)}/items/${encodeURIComponent(featureId)}`, { [PARAM.format]: 'json' }), rel: 'about', type: MEDIA.geojson, title: 'The asset' },
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
              { name: 'limit', in: 'query', required: false, description: `Values in total (default 10000, at most ${MAX_VALUES}).`, schema: { type: 'integer', minimum: 1, maximum: MAX_VALUES, default: 10_000 } },
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
