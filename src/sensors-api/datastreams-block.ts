import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { rejectUnknown, single } from '../api/query-values.js';
import { apiUrl, selfUrl } from '../api/urls.js';
import type { Collection } from '../domain/collection.js';
import { parseDatastreamCollectionId } from '../domain/datastream.js';
import { ResourceNotFoundError } from '../domain/errors.js';
import { collectionPath, listedCollectionDocument, MEDIA, PARAM, parseLimit, parseOffset, REL, type CollectionLink } from '../ogcapi/ogcapi.js';
import { requireCollection, type CollectionReader } from '../services/features/collection-catalog.js';
import type { SensorReads } from '../services/sensors/sensor-reads.js';
import type { SensorService } from '../services/sensors/sensor-service.js';
import { readFormat } from './json-only.js';

const PARAMETERS = new Set([PARAM.limit, PARAM.offset, PARAM.format]);
const UP = 'up';

const upLink = (sourceId: string): CollectionLink => ({ path: `/collections/${encodeURIComponent(sourceId)}`, rel: UP, type: MEDIA.json, title: 'The observations of all datastreams of the source' });

/**
 * The links that make datastream collections findable: an observation collection links to the
 * list of its datastreams as collections, a datastream's collection up to its source's.
 */
export function datastreamCollectionLinks(sensors: SensorService): (collection: Collection) => Promise<readonly CollectionLink[]> {
  return async (collection) => {
    if (!(await sensors.sourceForCollection(collection.key))) return [];
    const ref = parseDatastreamCollectionId(collection.id);
    if (ref) return [upLink(ref.collectionId)];
    return [{ path: `${collectionPath(collection)}/datastreams`, rel: REL.data, type: MEDIA.json, title: `Each datastream of ${collection.title} as a collection of its own` }];
  };
}

/**
 * GET /collections/{collectionId}/datastreams: the datastreams of an observation collection, each as
 * a collection of its own (`{collectionId}:{datastream}`), a page at a time in the shape of
 * /collections. They are not listed in /collections itself, which stays one entry per source
 * however many datastreams there are.
 */
export function datastreamsBlock(collections: CollectionReader, reads: SensorReads): BuildingBlock {
  return {
    name: 'Datastream collections',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/collections/:collectionId/datastreams',
        handler: async (ctx: ApiContext) => {
          const collection = await requireCollection(collections, String(ctx.params['collectionId']));
          rejectUnknown(ctx.query, PARAMETERS);
          readFormat(ctx, 'datastream collections');
          const limit = parseLimit(single(ctx.query, PARAM.limit));
          const offset = parseOffset(single(ctx.query, PARAM.offset));
          const page = await reads.datastreamCollections(collection, limit, offset);
          if (!page) throw new ResourceNotFoundError(`datastreams of collection '${collection.id}' (it holds no observations)`);
          const links = [
            { href: selfUrl(ctx), rel: REL.self, type: MEDIA.json, title: 'This document' },
            { href: apiUrl(ctx, collectionPath(collection), { [PARAM.format]: 'json' }), rel: UP, type: MEDIA.json, title: collection.title },
          ];
          if (offset + page.collections.length < page.total) links.push({ href: selfUrl(ctx, { [PARAM.offset]: String(offset + limit) }), rel: REL.next, type: MEDIA.json, title: 'Next page' });
          if (offset > 0) links.push({ href: selfUrl(ctx, { [PARAM.offset]: String(Math.max(0, offset - limit)) }), rel: REL.prev, type: MEDIA.json, title: 'Previous page' });
          ctx.type = MEDIA.json;
          ctx.body = {
            links,
            collections: page.collections.map((c) => listedCollectionDocument(ctx, c, [upLink(collection.id)])),
            numberMatched: page.total,
            numberReturned: page.collections.length,
          };
        },
      },
    ],
    openapi: () => ({
      paths: {
        '/collections/{collectionId}/datastreams': {
          get: {
            tags: ['Datastream collections'],
            summary: "An observation collection's datastreams, each as a collection of its own",
            description:
              "Each datastream's observations are the collection `{collectionId}:{datastream}` (the datastream's id at its source), with `/items`, `datetime`, `bbox` and paging like any collection; they are listed here, a page at a time, not in /collections.",
            operationId: 'getDatastreamCollections',
            parameters: [{ $ref: '#/components/parameters/collectionId' }, { $ref: '#/components/parameters/limit' }, { $ref: '#/components/parameters/offset' }],
            responses: {
              '200': { description: 'A page of datastream collections.', content: { 'application/json': { schema: { $ref: '#/components/schemas/collections' } } } },
              '400': { $ref: '#/components/responses/InvalidParameter' },
              '404': { $ref: '#/components/responses/NotFound' },
            },
          },
        },
      },
    }),
  };
}
