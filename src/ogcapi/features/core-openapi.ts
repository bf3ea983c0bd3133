import type { OpenApiFragment } from '../../api/building-block.js';
import type { Collection } from '../../domain/collection.js';
import { MEDIA, PARAM } from '../vocabulary.js';
import type { FeatureParameters } from './feature-request.js';

const ref = (kind: 'parameters' | 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });

const PATH_PARAMETERS = {
  collectionId: { name: 'collectionId', in: 'path', required: true, description: 'Identifier of a collection', schema: { type: 'string' } },
  featureId: { name: 'featureId', in: 'path', required: true, description: 'Identifier of a feature', schema: { type: 'string' } },
};

const LINK = {
  type: 'object',
  required: ['href', 'rel'],
  properties: { href: { type: 'string' }, rel: { type: 'string' }, type: { type: 'string' }, hreflang: { type: 'string' }, title: { type: 'string' }, length: { type: 'integer' } },
};

const GEOMETRY = {
  type: 'object',
  nullable: true,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection'] },
    coordinates: { type: 'array', items: {} },
    geometries: { type: 'array', items: {} },
  },
};

const SCHEMAS = {
  link: LINK,
  landingPage: {
    type: 'object',
    required: ['links'],
    properties: { title: { type: 'string' }, description: { type: 'string' }, links: { type: 'array', items: ref('schemas', 'link') } },
  },
  confClasses: { type: 'object', required: ['conformsTo'], properties: { conformsTo: { type: 'array', items: { type: 'string' } } } },
  extent: {
    type: 'object',
    properties: {
      spatial: {
        type: 'object',
        properties: {
          bbox: { type: 'array', minItems: 1, items: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } } },
          crs: { type: 'string' },
        },
      },
      temporal: {
        type: 'object',
        properties: {
          interval: { type: 'array', minItems: 1, items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', format: 'date-time', nullable: true } } },
          trs: { type: 'string' },
        },
      },
    },
  },
  collection: {
    type: 'object',
    required: ['id', 'links'],
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      keywords: { type: 'array', items: { type: 'string' } },
      attribution: { type: 'string' },
      links: { type: 'array', items: ref('schemas', 'link') },
      extent: ref('schemas', 'extent'),
      itemType: { type: 'string', default: 'feature' },
      crs: { type: 'array', items: { type: 'string' } },
      storageCrs: { type: 'string' },
    },
  },
  collections: {
    type: 'object',
    required: ['links', 'collections'],
    properties: { links: { type: 'array', items: ref('schemas', 'link') }, collections: { type: 'array', items: ref('schemas', 'collection') } },
  },
  featureGeoJSON: {
    type: 'object',
    required: ['type', 'geometry', 'properties'],
    properties: {
      type: { type: 'string', enum: ['Feature'] },
      id: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
      geometry: GEOMETRY,
      properties: { type: 'object', nullable: true },
      links: { type: 'array', items: ref('schemas', 'link') },
    },
  },
  featureCollectionGeoJSON: {
    type: 'object',
    required: ['type', 'features'],
    properties: {
      type: { type: 'string', enum: ['FeatureCollection'] },
      features: { type: 'array', items: ref('schemas', 'featureGeoJSON') },
      links: { type: 'array', items: ref('schemas', 'link') },
      timeStamp: { type: 'string', format: 'date-time' },
      numberMatched: { type: 'integer', minimum: 0 },
      numberReturned: { type: 'integer', minimum: 0 },
    },
  },
  problem: {
    type: 'object',
    description: 'RFC 9457 problem details, with the OGC exception members code and description',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      parameter: { type: 'string' },
      code: { type: 'string' },
      description: { type: 'string' },
      errorId: { type: 'string' },
    },
  },
};

const problem = (description: string) => ({ description, content: { [MEDIA.problem]: { schema: ref('schemas', 'problem') } } });

const RESPONSES = {
  InvalidParameter: problem('A query parameter has an invalid value or is not defined for this resource.'),
  NotFound: problem('The collection or feature does not exist.'),
  NotAcceptable: problem('None of the requested media types can be produced.'),
  ServerError: problem('A server error occurred (details are in the log under the error id).'),
  Unavailable: problem('The database is not reachable.'),
};

const html = { [MEDIA.html]: { schema: { type: 'string' } } };

function ok(description: string, json: Record<string, unknown>, jsonType: string = MEDIA.json, headers?: Record<string, unknown>) {
  return { description, ...(headers ? { headers } : {}), content: { [jsonType]: { schema: json }, ...html } };
}

const ERRORS = {
  '400': ref('responses', 'InvalidParameter'),
  '404': ref('responses', 'NotFound'),
  '406': ref('responses', 'NotAcceptable'),
  '500': ref('responses', 'ServerError'),
  '503': ref('responses', 'Unavailable'),
};

const CONTENT_CRS = { 'Content-Crs': { description: 'CRS of the geometries in the body, as a URI in angle brackets.', schema: { type: 'string' } } };

function itemsOperation(operationId: string, pathParameters: unknown[], itemsParameters: readonly unknown[], extraParameters: readonly unknown[] = []) {
  return {
    get: {
      tags: ['Features'],
      summary: 'Features of the collection',
      description: 'A page of features, streamed in a stable order. Follow `next` links to page through.',
      operationId,
      parameters: [...pathParameters, ...itemsParameters, ...extraParameters],
      responses: { '200': ok('The features (GeoJSON FeatureCollection).', ref('schemas', 'featureCollectionGeoJSON'), MEDIA.geojson, CONTENT_CRS), ...ERRORS },
    },
  };
}

/** Per-collection items paths declare that collection's scoped parameters (its queryables as equality parameters). */
function collectionItemsPaths(collections: readonly Collection[], parameters: FeatureParameters, itemsParameters: readonly unknown[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const collection of collections) {
    const extra = parameters.items.scoped(collection);
    if (extra.length === 0) continue;
    paths[`/collections/${collection.id}/items`] = itemsOperation(`getItems_${collection.id.replace(/[^A-Za-z0-9_]/g, '_')}`, [], itemsParameters, extra);
  }
  return paths;
}

/** The parameters of a resource as references to their components. */
function references(names: Iterable<string>) {
  return [...names].map((name) => ref('parameters', name));
}

/** The core resources' part of the API definition, with the parameters the enabled blocks contribute. */
export function coreOpenApi(collections: readonly Collection[], parameters: FeatureParameters): OpenApiFragment {
  const itemsParameters = references(parameters.items.modules.flatMap((m) => m.names));
  const featureParameters = references(parameters.feature.modules.flatMap((m) => m.names));
  return {
    parameters: { ...PATH_PARAMETERS, ...parameters.items.openapi(), ...parameters.feature.openapi() },
    schemas: SCHEMAS,
    responses: RESPONSES,
    paths: {
      '/': {
        get: {
          tags: ['Capabilities'],
          summary: 'Landing page',
          operationId: 'getLandingPage',
          parameters: [ref('parameters', PARAM.format)],
          responses: { '200': ok('Links to the API definition, conformance and collections.', ref('schemas', 'landingPage')), ...ERRORS },
        },
      },
      '/conformance': {
        get: {
          tags: ['Capabilities'],
          summary: 'Conformance classes implemented',
          operationId: 'getConformance',
          parameters: [ref('parameters', PARAM.format)],
          responses: { '200': ok('The conformance classes.', ref('schemas', 'confClasses')), ...ERRORS },
        },
      },
      '/api': {
        get: {
          tags: ['Capabilities'],
          summary: 'This API definition (OpenAPI 3.0)',
          operationId: 'getApi',
          parameters: [ref('parameters', PARAM.format)],
          responses: { '200': { description: 'The OpenAPI document.', content: { [MEDIA.openapi]: { schema: { type: 'object' } }, ...html } }, ...ERRORS },
        },
      },
      '/api.html': {
        get: {
          tags: ['Capabilities'],
          summary: 'This API definition as HTML',
          operationId: 'getApiHtml',
          responses: { '200': { description: 'Documentation of every path and parameter.', content: html }, ...ERRORS },
        },
      },
      '/collections': {
        get: {
          tags: ['Data'],
          summary: 'Feature collections',
          operationId: 'getCollections',
          parameters: [ref('parameters', PARAM.format)],
          responses: { '200': ok('The collections.', ref('schemas', 'collections')), ...ERRORS },
        },
      },
      '/collections/{collectionId}': {
        get: {
          tags: ['Data'],
          summary: 'One feature collection',
          operationId: 'getCollection',
          parameters: [ref('parameters', 'collectionId'), ref('parameters', PARAM.format)],
          responses: { '200': ok('The collection.', ref('schemas', 'collection')), ...ERRORS },
        },
      },
      '/collections/{collectionId}/items': itemsOperation('getItems', [ref('parameters', 'collectionId')], itemsParameters),
      ...collectionItemsPaths(collections, parameters, itemsParameters),
      '/collections/{collectionId}/items/{featureId}': {
        get: {
          tags: ['Features'],
          summary: 'One feature',
          operationId: 'getFeature',
          parameters: [ref('parameters', 'collectionId'), ref('parameters', 'featureId'), ...featureParameters],
          responses: { '200': ok('The feature (GeoJSON Feature).', ref('schemas', 'featureGeoJSON'), MEDIA.geojson, CONTENT_CRS), ...ERRORS },
        },
      },
    },
  };
}
