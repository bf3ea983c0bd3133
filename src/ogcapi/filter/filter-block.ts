import type { BuildingBlock, OpenApiFragment } from '../building-block.js';
import type { FeaturesApiDeps } from '../core/deps.js';
import { CONFORMANCE, MEDIA } from '../vocabulary.js';
import { functionsHandler, queryablesHandler, sortablesHandler } from './queryables.js';

const ref = (kind: 'parameters' | 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });
const html = { [MEDIA.html]: { schema: { type: 'string' } } };
const ERRORS = { '400': ref('responses', 'InvalidParameter'), '404': ref('responses', 'NotFound'), '406': ref('responses', 'NotAcceptable'), '500': ref('responses', 'ServerError') };

const TYPES = { type: 'array', items: { type: 'string', enum: ['string', 'number', 'integer', 'datetime', 'geometry', 'boolean'] } };

const FUNCTIONS_SCHEMA = {
  type: 'object',
  required: ['functions'],
  properties: {
    functions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'returns'],
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          metadataUrl: { type: 'string', format: 'uri-reference' },
          arguments: { type: 'array', items: { type: 'object', required: ['type'], properties: { title: { type: 'string' }, description: { type: 'string' }, type: TYPES } } },
          returns: TYPES,
        },
      },
    },
  },
};

function schemaOperation(operationId: string, summary: string, description: string) {
  return {
    get: {
      tags: ['Filtering'],
      summary,
      description,
      operationId,
      parameters: [ref('parameters', 'collectionId'), ref('parameters', 'f')],
      responses: { '200': { description: 'A JSON Schema of an object whose properties are the names.', content: { [MEDIA.schemaJson]: { schema: { type: 'object' } }, ...html } }, ...ERRORS },
    },
  };
}

function filterOpenApi(): OpenApiFragment {
  return {
    schemas: { functions: FUNCTIONS_SCHEMA },
    paths: {
      '/collections/{collectionId}/queryables': schemaOperation(
        'getQueryables',
        'Queryables of the collection',
        'The properties a `filter` and the `name=value` parameters may use, with `x-ogc-role` for the id, the primary geometry and the primary instant.',
      ),
      '/collections/{collectionId}/sortables': schemaOperation('getSortables', 'Sortables of the collection', 'The properties `sortby` may use.'),
      '/functions': {
        get: {
          tags: ['Filtering'],
          summary: 'Functions filters may call',
          operationId: 'getFunctions',
          parameters: [ref('parameters', 'f')],
          responses: { '200': { description: 'The functions, their argument and result types.', content: { [MEDIA.json]: { schema: ref('schemas', 'functions') }, ...html } }, ...ERRORS },
        },
      },
    },
  };
}

/**
 * OGC API – Features Part 3 (filtering) with every CQL2 conformance class in both encodings,
 * Part 8 (sorting, draft) and Part 6 (property selection, draft). The parameters themselves are
 * read by the items request (src/ogcapi/core/items-request.ts); this block adds the resources
 * that describe what they accept.
 */
export function filterBlock(deps: FeaturesApiDeps): BuildingBlock {
  return {
    name: 'Filtering',
    conformance: [
      CONFORMANCE.filter,
      CONFORMANCE.featuresFilter,
      CONFORMANCE.queryables,
      CONFORMANCE.queryablesQueryParameters,
      CONFORMANCE.cql2Text,
      CONFORMANCE.cql2Json,
      CONFORMANCE.basicCql2,
      CONFORMANCE.advancedComparisonOperators,
      CONFORMANCE.caseInsensitiveComparison,
      CONFORMANCE.accentInsensitiveComparison,
      CONFORMANCE.basicSpatialFunctions,
      CONFORMANCE.basicSpatialFunctionsPlus,
      CONFORMANCE.spatialFunctions,
      CONFORMANCE.temporalFunctions,
      CONFORMANCE.arrayFunctions,
      CONFORMANCE.propertyProperty,
      CONFORMANCE.functions,
      CONFORMANCE.arithmetic,
      CONFORMANCE.sortables,
      CONFORMANCE.sorting,
      CONFORMANCE.featuresSorting,
      CONFORMANCE.properties,
      CONFORMANCE.propertiesFeatures,
    ],
    routes: [
      { method: 'GET', path: '/collections/:collectionId/queryables', handler: queryablesHandler(deps) },
      { method: 'GET', path: '/collections/:collectionId/sortables', handler: sortablesHandler(deps) },
      { method: 'GET', path: '/functions', handler: functionsHandler() },
    ],
    openapi: filterOpenApi,
  };
}
