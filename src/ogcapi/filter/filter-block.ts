import type { OpenApiFragment } from '../../api/building-block.js';
import { apiUrl } from '../../api/urls.js';
import type { FeaturesApiDeps } from '../features/deps.js';
import type { FeaturesExtension } from '../features/features-block.js';
import type { ContributedParameter } from '../features/feature-request.js';
import { queryablesHandler, schemaOperation } from '../features/property-schemas.js';
import { CONFORMANCE, MEDIA, PARAM, REL } from '../vocabulary.js';
import { filterParameters } from './filter-parameters.js';
import { functionsHandler } from './functions.js';
import { queryableParameters } from './queryable-parameters.js';

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

function filterOpenApi(): OpenApiFragment {
  return {
    schemas: { functions: FUNCTIONS_SCHEMA },
    paths: {
      '/collections/{collectionId}/queryables': schemaOperation(
        'getQueryables',
        'Queryables of the collection',
        'The properties a `filter` and the `name=value` parameters may use, with `x-ogc-role` for the id, the primary geometry and the primary instant.',
        'Filtering',
      ),
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
 * OGC API – Features Part 3 (filtering) with every CQL2 conformance class in both encodings:
 * `filter`, `filter-lang`, `filter-crs` and the queryables as `name=value` parameters on items,
 * the queryables of each collection and the functions filters may call.
 */
export const FILTER_PARAMETERS: readonly ContributedParameter[] = [
  { parameter: filterParameters, resources: ['items'] },
  { parameter: queryableParameters, resources: ['items'] },
];

export function filterBlock(deps: FeaturesApiDeps): FeaturesExtension {
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
    ],
    routes: [
      { method: 'GET', path: '/collections/:collectionId/queryables', handler: queryablesHandler(deps) },
      { method: 'GET', path: '/functions', handler: functionsHandler() },
    ],
    parameters: FILTER_PARAMETERS,
    landingLinks: (ctx) => [{ href: apiUrl(ctx, '/functions', { [PARAM.format]: 'json' }), rel: REL.functions, type: MEDIA.json, title: 'Functions filters may call' }],
    openapi: filterOpenApi,
  };
}
