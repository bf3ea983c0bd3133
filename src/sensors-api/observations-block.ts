import type { Geometry } from 'geojson';
import { valid } from 'geojson-validation';
import { requireApiKey } from '../api/api-key.js';
import type { BuildingBlock } from '../api/building-block.js';
import { readJsonBody } from '../api/request-body.js';
import { InvalidInputError } from '../domain/errors.js';
import type { ObservationInput } from '../domain/observation.js';
import type { IncomingObservation } from '../services/sensors/record-observations.js';
import type { SensorService } from '../services/sensors/sensor-service.js';

export interface ObservationsBlockOptions {
  readonly apiKey: string | undefined;
  readonly maxBytes: number;
}

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

/** An item of a batch before its datastream is resolved; `pointer` says where it was in the body. */
interface ParsedItem {
  readonly pointer: string;
  readonly datastream: string | null;
  readonly input: ObservationInput;
  readonly location: Geometry | null;
  readonly problem: string | null;
}

function datastreamRef(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number') return String(value);
  if (isObject(value)) return datastreamRef(value['@iot.id'] ?? value['id']);
  return null;
}

function location(value: unknown): { geometry: Geometry | null; problem: string | null } {
  if (value === undefined || value === null) return { geometry: null, problem: null };
  if (Array.isArray(value) && value.length >= 2 && value.every((n) => typeof n === 'number')) {
    const [lon, lat] = value as number[];
    if (lon! < -180 || lon! > 180 || lat! < -90 || lat! > 90) return { geometry: null, problem: `location ${JSON.stringify(value)} is not [lon, lat] in CRS84` };
    return { geometry: { type: 'Point', coordinates: value as number[] }, problem: null };
  }
  const geometry = isObject(value) && value['type'] === 'Feature' ? value['geometry'] : value;
  const problems = isObject(geometry) ? valid(geometry, true) : ['not a GeoJSON geometry'];
  return problems.length ? { geometry: null, problem: `location: ${problems[0]}` } : { geometry: geometry as unknown as Geometry, problem: null };
}

function item(raw: unknown, pointer: string): ParsedItem {
  if (!isObject(raw)) return { pointer, datastream: null, input: { phenomenonTime: undefined, result: undefined }, location: null, problem: 'is not an object' };
  const place = location(raw['location']);
  const datastream = datastreamRef(raw['datastream'] ?? raw['Datastream']);
  return {
    pointer,
    datastream,
    input: {
      phenomenonTime: raw['phenomenonTime'],
      resultTime: raw['resultTime'],
      result: raw['result'],
      resultQuality: raw['resultQuality'],
      validTime: raw['validTime'],
      parameters: raw['parameters'],
      upstreamId: raw['@iot.id'] ?? raw['id'],
    },
    location: place.geometry,
    problem: datastream === null ? 'names no datastream ("datastream": "<id>")' : place.problem,
  };
}

/** A JSON array of observations and/or SensorThings CreateObservations groups (components + dataArray). */
export function parseBatch(body: unknown): ParsedItem[] {
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body['observations']) ? (body['observations'] as unknown[]) : null;
  if (!list) throw new InvalidInputError('The body must be a JSON array of observations (or SensorThings dataArray groups)');
  const items: ParsedItem[] = [];
  list.forEach((entry, index) => {
    if (isObject(entry) && Array.isArray(entry['components']) && Array.isArray(entry['dataArray'])) {
      const components = (entry['components'] as unknown[]).map(String);
      const datastream = datastreamRef(entry['Datastream'] ?? entry['datastream']);
      (entry['dataArray'] as unknown[]).forEach((row, rowIndex) => {
        const pointer = `/${index}/dataArray/${rowIndex}`;
        if (!Array.isArray(row)) {
          items.push({ pointer, datastream, input: { phenomenonTime: undefined, result: undefined }, location: null, problem: 'is not an array of component values' });
          return;
        }
        const values: Raw = {};
        components.forEach((name, i) => (values[name] = row[i]));
        const parsed = item({ ...values, datastream: datastream ?? undefined }, pointer);
        items.push(parsed);
      });
    } else items.push(item(entry, `/${index}`));
  });
  return items;
}

const STATUS_OF = { 'unknown-datastream': 404, invalid: 422 } as const;
const OBSERVATIONS_REALM = 'placelink observations';

/** POST /observations: batches of observations pushed over HTTP, authenticated with an API key. */
export function observationsBlock(sensors: SensorService, options: ObservationsBlockOptions): BuildingBlock {
  return {
    name: 'Sensor observations',
    conformance: [],
    routes: [
      {
        method: 'POST',
        path: '/observations',
        handler: async (ctx) => {
          requireApiKey(ctx, { key: options.apiKey, realm: OBSERVATIONS_REALM, disabled: 'POST /observations is not enabled: the service has no PLACELINK_OBSERVATIONS_API_KEY' });
          const items = parseBatch(await readJsonBody(ctx, options.maxBytes));
          const refs = [...new Set(items.flatMap((i) => (i.datastream ? [i.datastream] : [])))];
          const found = await sensors.directory.byIds(refs);
          const incoming: IncomingObservation[] = [];
          const early: { index: number; status: number; reason: string }[] = [];
          items.forEach((parsed, index) => {
            if (parsed.problem) early.push({ index, status: 422, reason: parsed.problem });
            else
              incoming.push({
                index,
                datastream: found.get(parsed.datastream!) ?? null,
                datastreamRef: parsed.datastream!,
                input: parsed.input,
                location: parsed.location ? { time: '', geometry: parsed.location } : null,
              });
          });
          const outcome = await sensors.record(incoming);
          const rejected = [...early, ...outcome.rejected.map((r) => ({ index: r.index, status: STATUS_OF[r.status], reason: r.reason }))].sort((a, b) => a.index - b.index);
          ctx.status = 202;
          ctx.set('Cache-Control', 'no-store');
          ctx.body = {
            accepted: outcome.inserted + outcome.duplicates,
            rejected: rejected.length,
            inserted: outcome.inserted,
            duplicates: outcome.duplicates,
            items: rejected.map((r) => ({ index: r.index, pointer: items[r.index]!.pointer, datastream: items[r.index]!.datastream, status: r.status, reason: r.reason })),
          };
        },
      },
    ],
    openapi: () => ({
      schemas: {
        observationItem: {
          type: 'object',
          required: ['datastream', 'phenomenonTime', 'result'],
          properties: {
            datastream: { type: 'string', description: 'Datastream id (declared in a mapping, or `<mapping>:<@iot.id>` for SensorThings sources).' },
            phenomenonTime: { type: 'string', description: 'ISO 8601 instant or interval start/end.' },
            resultTime: { type: 'string', format: 'date-time' },
            result: { description: 'Any JSON value; must fit the datastream\'s declared result type.' },
            resultQuality: {},
            validTime: { type: 'string' },
            parameters: { type: 'object' },
            location: { description: 'Where the sensor was: [lon, lat] or a GeoJSON geometry (moving sensors).' },
          },
        },
        observationDataArray: {
          type: 'object',
          required: ['Datastream', 'components', 'dataArray'],
          description: 'SensorThings CreateObservations form.',
          properties: {
            Datastream: { type: 'object', properties: { '@iot.id': { type: 'string' } } },
            components: { type: 'array', items: { type: 'string' } },
            dataArray: { type: 'array', items: { type: 'array', items: {} } },
          },
        },
        observationBatchResult: {
          type: 'object',
          required: ['accepted', 'rejected', 'items'],
          properties: {
            accepted: { type: 'integer', description: 'Items stored now or already stored before (at-least-once delivery is idempotent).' },
            rejected: { type: 'integer' },
            inserted: { type: 'integer' },
            duplicates: { type: 'integer' },
            items: {
              type: 'array',
              description: 'One entry per rejected item: 404 for an unknown datastream, 422 for an invalid observation.',
              items: {
                type: 'object',
                properties: { index: { type: 'integer' }, pointer: { type: 'string' }, datastream: { type: 'string', nullable: true }, status: { type: 'integer', enum: [404, 422] }, reason: { type: 'string' } },
              },
            },
          },
        },
      },
      paths: {
        '/observations': {
          post: {
            tags: ['Sensor observations'],
            summary: 'Push a batch of observations',
            description:
              'Authenticated with the API key (X-API-Key or Authorization: Bearer). Each item is checked on its own: the answer is 202 with counts and a reason per rejected item. Storage is idempotent by datastream, phenomenon time and result time.',
            operationId: 'postObservations',
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'array', items: { oneOf: [{ $ref: '#/components/schemas/observationItem' }, { $ref: '#/components/schemas/observationDataArray' }] } } } },
            },
            responses: {
              '202': { description: 'The batch was processed.', content: { 'application/json': { schema: { $ref: '#/components/schemas/observationBatchResult' } } } },
              '400': { $ref: '#/components/responses/InvalidParameter' },
              '401': { description: 'No or a wrong API key.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } },
              '413': { description: 'The body is larger than PLACELINK_OBSERVATIONS_MAX_BYTES.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } },
              '415': { description: 'The body is not JSON.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } },
              '503': { $ref: '#/components/responses/Unavailable' },
            },
          },
        },
      },
    }),
  };
}
