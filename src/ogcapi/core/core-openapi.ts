import type { Collection } from '../../domain/collection.js';
import type { OpenApiFragment } from '../building-block.js';
import { FILTER_LANG, LIMIT, MEDIA, PARAM } from '../vocabulary.js';
import { queryableParameters } from './items-request.js';

const ref = (kind: 'parameters' | 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });

const query = (name: string, description: string, schema: Record<string, unknown>) => ({ name, in: 'query', description, required: false, style: 'form', explode: false, schema });

const PARAMETERS = {
  f: query(PARAM.format, 'Representation: `json` (GeoJSON for features) or `html`. Overrides the Accept header.', { type: 'string', enum: ['json', 'html'] }),
  collectionId: { name: 'collectionId', in: 'path', required: true, description: 'Identifier of a collection', schema: { type: 'string' } },
  featureId: { name: 'featureId', in: 'path', required: true, description: 'Identifier of a feature', schema: { type: 'string' } },
  limit: query(PARAM.limit, `Page size. Values above ${LIMIT.maximum} are reduced to ${LIMIT.maximum}.`, { type: 'integer', minimum: LIMIT.minimum, maximum: LIMIT.maximum, default: LIMIT.default }),
  offset: query(PARAM.offset, 'Number of matching features to skip. Prefer following `next` links, which cost the same at any depth.', { type: 'integer', minimum: 0, default: 0 }),
  cursor: query(PARAM.cursor, 'Opaque paging position issued in `next`/`prev` links.', { type: 'string' }),
  bbox: query(
    PARAM.bbox,
    'Only features whose geometry intersects the box: minx,miny,maxx,maxy (or with heights minx,miny,minz,maxx,maxy,maxz), in the axis order of `bbox-crs` (CRS84: longitude first). A west edge east of the east edge crosses the antimeridian.',
    { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
  ),
  'bbox-crs': query(PARAM.bboxCrs, 'CRS of `bbox` (a URI from the collection\'s `crs` list). Default CRS84.', { type: 'string', format: 'uri' }),
  datetime: query(
    PARAM.datetime,
    'Only features whose time intersects this instant or interval (RFC 3339; `..` or empty for an open end). Features without time always match.',
    { type: 'string' },
  ),
  crs: query(PARAM.crs, 'CRS of the returned geometries (a URI from the collection\'s `crs` list). Default CRS84.', { type: 'string', format: 'uri' }),
  filter: query(
    PARAM.filter,
    'A CQL2 filter (OGC 21-065r2) on the collection\'s queryables (see `/collections/{collectionId}/queryables`), in the encoding `filter-lang` names. Combined with the other parameters by AND. String comparisons use binary (code point) order.',
    { type: 'string' },
  ),
  'filter-lang': query(PARAM.filterLang, 'Encoding of `filter`: CQL2 Text or CQL2 JSON.', { type: 'string', enum: [FILTER_LANG.text, FILTER_LANG.json], default: FILTER_LANG.text }),
  'filter-crs': query(PARAM.filterCrs, 'CRS of the geometry literals in `filter` (a URI from the collection\'s `crs` list), coordinates in its axis order. Default CRS84.', { type: 'string', format: 'uri-reference' }),
  sortby: query(
    PARAM.sortby,
    'Comma-separated sortables (see `/collections/{collectionId}/sortables`), each optionally prefixed `+` (ascending, the default) or `-` (descending). Missing values sort last; ties keep the stable default order.',
    { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[+-]?[A-Za-z_:].*$' } },
  ),
  properties: query(PARAM.properties, 'Comma-separated names of the properties to return (empty: none). The id and geometry are always returned.', { type: 'array', items: { type: 'string' } }),
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

const ITEMS_PARAMS = ['f', 'limit', 'offset', 'cursor', 'bbox', 'bbox-crs', 'datetime', 'crs', 'filter', 'filter-lang', 'filter-crs', 'sortby', 'properties'].map((n) => ref('parameters', n));

const SCALAR_SCHEMAS: Record<string, Record<string, unknown>> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date' },
  timestamp: { type: 'string', format: 'date-time' },
};

function itemsOperation(operationId: string, pathParameters: unknown[], extraParameters: unknown[] = []) {
  return {
    get: {
      tags: ['Features'],
      summary: 'Features of the collection',
      description: 'A page of features, streamed in a stable order. Follow `next` links to page through.',
      operationId,
      parameters: [...pathParameters, ...ITEMS_PARAMS, ...extraParameters],
      responses: { '200': ok('The features (GeoJSON FeatureCollection).', ref('schemas', 'featureCollectionGeoJSON'), MEDIA.geojson, CONTENT_CRS), ...ERRORS },
    },
  };
}

/** Per-collection items paths declare that collection's queryables as equality parameters. */
function collectionItemsPaths(collections: readonly Collection[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const collection of collections) {
    const filters = queryableParameters(collection);
    if (filters.length === 0) continue;
    const extra = filters.map(([name, q]) => query(name, `Only features whose ${q.role === 'id' ? 'id' : `property '${name}'`} equals this value.`, SCALAR_SCHEMAS[q.type] ?? { type: 'string' }));
    paths[`/collections/${collection.id}/items`] = itemsOperation(`getItems_${collection.id.replace(/[^A-Za-z0-9_]/g, '_')}`, [], extra);
  }
  return paths;
}

export function coreOpenApi(collections: readonly Collection[]): OpenApiFragment {
  return {
    parameters: PARAMETERS,
    schemas: SCHEMAS,
    responses: RESPONSES,
    paths: {
      '/': {
        get: {
          tags: ['Capabilities'],
          summary: 'Landing page',
          operationId: 'getLandingPage',
          parameters: [ref('parameters', 'f')],
          responses: { '200': ok('Links to the API definition, conformance and collections.', ref('schemas', 'landingPage')), ...ERRORS },
        },
      },
      '/conformance': {
        get: {
          tags: ['Capabilities'],
          summary: 'Conformance classes implemented',
          operationId: 'getConformance',
          parameters: [ref('parameters', 'f')],
          responses: { '200': ok('The conformance classes.', ref('schemas', 'confClasses')), ...ERRORS },
        },
      },
      '/api': {
        get: {
          tags: ['Capabilities'],
          summary: 'This API definition (OpenAPI 3.0)',
          operationId: 'getApi',
          parameters: [ref('parameters', 'f')],
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
          parameters: [ref('parameters', 'f')],
          responses: { '200': ok('The collections.', ref('schemas', 'collections')), ...ERRORS },
        },
      },
      '/collections/{collectionId}': {
        get: {
          tags: ['Data'],
          summary: 'One feature collection',
          operationId: 'getCollection',
          parameters: [ref('parameters', 'collectionId'), ref('parameters', 'f')],
          responses: { '200': ok('The collection.', ref('schemas', 'collection')), ...ERRORS },
        },
      },
      '/collections/{collectionId}/items': itemsOperation('getItems', [ref('parameters', 'collectionId')]),
      ...collectionItemsPaths(collections),
      '/collections/{collectionId}/items/{featureId}': {
        get: {
          tags: ['Features'],
          summary: 'One feature',
          operationId: 'getFeature',
          parameters: [ref('parameters', 'collectionId'), ref('parameters', 'featureId'), ref('parameters', 'f'), ref('parameters', 'crs'), ref('parameters', 'properties')],
          responses: { '200': ok('The feature (GeoJSON Feature).', ref('schemas', 'featureGeoJSON'), MEDIA.geojson, CONTENT_CRS), ...ERRORS },
        },
      },
    },
  };
}
