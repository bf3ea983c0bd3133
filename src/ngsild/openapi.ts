import type { OpenApiFragment } from '../api/building-block.js';
import { LIMIT } from './entities/entity-parameters.js';
import { MEDIA } from './vocabulary.js';

/**
 * The NGSI-LD routes in placelink's OpenAPI document, with their parameters; the full schemas of
 * NGSI-LD payloads are the ETSI OpenAPI's (ngsi-ld-api-v1.8.1.yaml), which the bodies follow.
 */
const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const header = (name: string, description: string) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } });

const PARAMETERS = {
  ngsildId: query('id', 'Comma-separated entity ids (URIs).'),
  ngsildType: query('type', 'Entity type selection: names in the request @context, `,` or `|` for OR, `(A;B)` for AND, `*` for any.'),
  ngsildIdPattern: query('idPattern', 'A regular expression the entity id matches.'),
  ngsildQ: query('q', 'NGSI-LD query language (clause 4.9): `;` AND, `|` OR, parentheses, comparisons, ranges, lists, ~= regular expressions, dotted and [member] paths.'),
  ngsildScopeQ: query('scopeQ', 'Scope query (clause 4.19): `/a/+/c` one level, `/a/#` a scope and all below it, `;` AND, `,` OR, parentheses.'),
  ngsildAttrs: query('attrs', 'Attributes to return (and entities must have at least one of).'),
  ngsildPick: query('pick', 'Entity members to return.'),
  ngsildOmit: query('omit', 'Entity members to leave out.'),
  ngsildGeorel: query('georel', 'near;maxDistance==m, near;minDistance==m, equals, disjoint, intersects, within, contains, overlaps.'),
  ngsildGeometry: query('geometry', 'Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon.'),
  ngsildCoordinates: query('coordinates', 'GeoJSON coordinates of the reference geometry, in WGS 84.'),
  ngsildGeoproperty: query('geoproperty', 'The GeoProperty the geo-query tests (default location).'),
  ngsildGeometryProperty: query('geometryProperty', 'The GeoProperty GeoJSON output takes its geometry from (default location).'),
  ngsildLang: query('lang', 'The language of LanguageProperties to return.'),
  ngsildLimit: query('limit', `Entities per page (0 with count=true; at most ${LIMIT.maximum}).`, { type: 'integer', minimum: 0, maximum: LIMIT.maximum, default: LIMIT.fallback }),
  ngsildOffset: query('offset', 'Entities to skip.', { type: 'integer', minimum: 0, default: 0 }),
  ngsildCount: query('count', 'Announce how many entities match in NGSILD-Results-Count.', { type: 'boolean' }),
  ngsildOptions: query('options', 'keyValues, concise, normalized, sysAttrs.'),
  ngsildFormat: query('format', 'normalized, concise, keyValues (simplified).', { type: 'string', enum: ['normalized', 'concise', 'keyValues', 'simplified'] }),
  ngsildLink: header('Link', 'The @context of the names in the request (rel="http://www.w3.org/ns/json-ld#context").'),
  entityId: { name: 'entityId', in: 'path', required: true, description: 'An entity id (URI).', schema: { type: 'string' } },
};

const ref = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const body = (description: string) => ({ description, content: { [MEDIA.json]: { schema: {} }, [MEDIA.jsonLd]: { schema: {} }, [MEDIA.geoJson]: { schema: {} } } });
const problem = (description: string) => ({ description, content: { [MEDIA.json]: { schema: { $ref: '#/components/schemas/ngsildProblemDetails' } } } });

const ERRORS = { '400': problem('InvalidRequest or BadRequestData.'), '404': problem('ResourceNotFound.'), '406': problem('No representation the Accept header allows.'), '503': problem('LdContextNotAvailable, or the database is unavailable.') };
const VIEW = ['ngsildAttrs', 'ngsildPick', 'ngsildOmit', 'ngsildGeometryProperty', 'ngsildLang', 'ngsildOptions', 'ngsildFormat', 'ngsildLink'].map(ref);
const SELECTION = ['ngsildId', 'ngsildType', 'ngsildIdPattern', 'ngsildQ', 'ngsildGeorel', 'ngsildGeometry', 'ngsildCoordinates', 'ngsildGeoproperty'].map(ref);
const PAGING = ['ngsildLimit', 'ngsildOffset', 'ngsildCount'].map(ref);

export function consumptionOpenApi(): OpenApiFragment {
  return {
    parameters: PARAMETERS,
    schemas: {
      ngsildProblemDetails: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: { type: { type: 'string', format: 'uri' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' } },
      },
    },
    paths: {
      '/entities': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'Query entities (clause 5.7.2)',
          operationId: 'ngsildQueryEntities',
          parameters: [...SELECTION, ref('ngsildScopeQ'), ...VIEW, ...PAGING],
          responses: { '200': body('The entities (an array; a FeatureCollection with Accept: application/geo+json).'), ...ERRORS },
        },
      },
      '/entities/{entityId}': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'Retrieve an entity (clause 5.7.1)',
          operationId: 'ngsildRetrieveEntity',
          parameters: [ref('entityId'), ref('ngsildType'), ...VIEW],
          responses: { '200': body('The entity (a Feature with Accept: application/geo+json).'), ...ERRORS },
        },
      },
      '/entityOperations/query': {
        post: {
          tags: ['NGSI-LD'],
          summary: 'Query entities with a Query body (clause 5.7.2)',
          operationId: 'ngsildQueryEntitiesPost',
          parameters: [...PAGING, ref('ngsildOptions'), ref('ngsildFormat'), ref('ngsildLink')],
          requestBody: { required: true, content: { [MEDIA.json]: { schema: { type: 'object' } }, [MEDIA.jsonLd]: { schema: { type: 'object' } } } },
          responses: { '200': body('The entities.'), ...ERRORS },
        },
      },
    },
  };
}

const detailsParameter = { name: 'details', in: 'query', required: false, description: 'true: each type or attribute in detail.', schema: { type: 'boolean' } };
const discovery = (operationId: string, summary: string, pathParameter?: string) => ({
  get: {
    tags: ['NGSI-LD'],
    summary,
    operationId,
    parameters: pathParameter ? [{ name: pathParameter, in: 'path', required: true, description: 'A name in the request @context, or an IRI.', schema: { type: 'string' } }, ref('ngsildLink')] : [detailsParameter, ref('ngsildLink')],
    responses: { '200': body('The description.'), ...ERRORS },
  },
});

export function discoveryOpenApi(): OpenApiFragment {
  return {
    paths: {
      '/types': discovery('ngsildEntityTypes', 'Entity types there are (clauses 5.7.5, 5.7.6)'),
      '/types/{type}': discovery('ngsildEntityType', 'One entity type with its attributes (clause 5.7.7)', 'type'),
      '/attributes': discovery('ngsildAttributes', 'Attributes there are (clauses 5.7.8, 5.7.9)'),
      '/attributes/{attribute}': discovery('ngsildAttribute', 'One attribute (clause 5.7.10)', 'attribute'),
    },
  };
}

const TEMPORAL_PARAMETERS = {
  ngsildTimerel: query('timerel', 'before, after or between (with timeAt, and endTimeAt for between); none: the whole history.', { type: 'string', enum: ['before', 'after', 'between'] }),
  ngsildTimeAt: query('timeAt', 'RFC 3339 date-time.', { type: 'string', format: 'date-time' }),
  ngsildEndTimeAt: query('endTimeAt', 'RFC 3339 date-time, for timerel=between.', { type: 'string', format: 'date-time' }),
  ngsildTimeproperty: query('timeproperty', 'The time the window applies to: observedAt (default), createdAt, modifiedAt, deletedAt.', { type: 'string', enum: ['observedAt', 'createdAt', 'modifiedAt', 'deletedAt'] }),
  ngsildLastN: query('lastN', 'Only the last N instances of each attribute.', { type: 'integer', minimum: 1 }),
  ngsildAggrMethods: query('aggrMethods', 'With aggregatedValues: totalCount, distinctCount, sum, avg, min, max, stddev, sumsq.'),
  ngsildAggrPeriodDuration: query('aggrPeriodDuration', 'ISO 8601 duration of each aggregation period (PT1H, P1D, P1M); P0D (default): one period over the whole range.'),
  ngsildTemporalOptions: query('options', 'temporalValues, aggregatedValues, concise, sysAttrs.'),
  ngsildTemporalFormat: query('format', 'normalized, concise, temporalValues (simplified), aggregatedValues.', { type: 'string', enum: ['normalized', 'concise', 'temporalValues', 'simplified', 'aggregatedValues'] }),
};
const TIME = ['ngsildTimerel', 'ngsildTimeAt', 'ngsildEndTimeAt', 'ngsildTimeproperty', 'ngsildLastN', 'ngsildAggrMethods', 'ngsildAggrPeriodDuration'].map(ref);
const TEMPORAL_VIEW = ['ngsildAttrs', 'ngsildPick', 'ngsildOmit', 'ngsildLang', 'ngsildTemporalOptions', 'ngsildTemporalFormat', 'ngsildLink'].map(ref);
const PARTIAL = { description: 'Cut at the instance limit: Content-Range says the time range returned (clause 6.3.10).', content: { [MEDIA.json]: { schema: {} }, [MEDIA.jsonLd]: { schema: {} } } };

export function temporalOpenApi(): OpenApiFragment {
  return {
    parameters: TEMPORAL_PARAMETERS,
    paths: {
      '/temporal/entities': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'Query the temporal evolution of entities (clause 5.7.4)',
          operationId: 'ngsildQueryTemporalEntities',
          parameters: [...SELECTION, ...TIME, ...TEMPORAL_VIEW, ...PAGING],
          responses: { '200': body('The entities with their attribute instances (or temporal values, or aggregates per period).'), '206': PARTIAL, ...ERRORS },
        },
      },
      '/temporal/entities/{entityId}': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'Retrieve the temporal evolution of an entity (clause 5.7.3)',
          operationId: 'ngsildRetrieveTemporalEntity',
          parameters: [ref('entityId'), ref('ngsildType'), ...TIME, ...TEMPORAL_VIEW],
          responses: { '200': body('The entity with its attribute instances.'), '206': PARTIAL, ...ERRORS },
        },
      },
      '/temporal/entityOperations/query': {
        post: {
          tags: ['NGSI-LD'],
          summary: 'Query the temporal evolution of entities with a Query body and its temporalQ (clause 5.7.4)',
          operationId: 'ngsildQueryTemporalEntitiesPost',
          parameters: [...PAGING, ref('ngsildLastN'), ref('ngsildAggrMethods'), ref('ngsildAggrPeriodDuration'), ref('ngsildTemporalOptions'), ref('ngsildTemporalFormat'), ref('ngsildLink')],
          requestBody: { required: true, content: { [MEDIA.json]: { schema: { type: 'object' } }, [MEDIA.jsonLd]: { schema: { type: 'object' } } } },
          responses: { '200': body('The entities with their attribute instances.'), '206': PARTIAL, ...ERRORS },
        },
      },
    },
  };
}

const contextId = { name: 'contextId', in: 'path', required: true, description: 'The local id of an @context, or the URL of a Cached one (percent-encoded).', schema: { type: 'string' } };
const contextDetails = { name: 'details', in: 'query', required: false, description: 'true: the metadata (URL, localId, kind, createdAt, expiresAt, lastUsage, numberOfHits, extraInfo) instead of URLs or the document.', schema: { type: 'boolean' } };
const json = (description: string, schema: Record<string, unknown> = {}) => ({ description, content: { [MEDIA.json]: { schema }, [MEDIA.jsonLd]: { schema } } });
const CONTEXT_ERRORS = { '400': problem('InvalidRequest (not JSON, no @context member, unknown parameter) or BadRequestData (a bad value).'), '404': problem('ResourceNotFound: no such @context.') };

export function jsonldContextsOpenApi(): OpenApiFragment {
  return {
    paths: {
      '/jsonldContexts': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'List the @contexts placelink holds (clause 5.13.3)',
          operationId: 'ngsildListContexts',
          parameters: [contextDetails, { name: 'kind', in: 'query', required: false, description: 'Only @contexts of this kind.', schema: { type: 'string', enum: ['Cached', 'Hosted', 'ImplicitlyCreated'] } }],
          responses: { '200': json('Their URLs, or their metadata with details=true.', { type: 'array' }), '400': CONTEXT_ERRORS['400'] },
        },
        post: {
          tags: ['NGSI-LD'],
          summary: 'Add an @context for placelink to host (clause 5.13.2)',
          operationId: 'ngsildAddContext',
          requestBody: { required: true, content: { [MEDIA.json]: { schema: { type: 'object', required: ['@context'] } }, [MEDIA.jsonLd]: { schema: { type: 'object', required: ['@context'] } } } },
          responses: {
            '201': { description: 'Added (kind Hosted); Location is its path, served at that URL from now on.', headers: { Location: { schema: { type: 'string' } } } },
            '400': CONTEXT_ERRORS['400'],
            '413': problem('The body is larger than PLACELINK_NGSILD_MAX_BYTES.'),
            '415': problem('Neither application/json nor application/ld+json.'),
          },
        },
      },
      '/jsonldContexts/{contextId}': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'Serve an @context or its metadata (clause 5.13.4)',
          operationId: 'ngsildServeContext',
          parameters: [contextId, contextDetails],
          responses: {
            '200': json('The document {"@context": …} (Hosted, ImplicitlyCreated and shipped contexts), or its metadata with details=true.', { type: 'object' }),
            ...CONTEXT_ERRORS,
            '422': problem('OperationNotSupported: a Cached copy of a fetched context is not served (its details are).'),
          },
        },
        delete: {
          tags: ['NGSI-LD'],
          summary: 'Delete an @context, or download a Cached one again (clause 5.13.5)',
          operationId: 'ngsildDeleteContext',
          parameters: [contextId, { name: 'reload', in: 'query', required: false, description: 'true: download a Cached @context again from its URL instead of deleting it.', schema: { type: 'boolean' } }],
          responses: {
            '204': { description: 'Deleted, or reloaded.' },
            '400': problem('BadRequestData: reload=true for a context that is not Cached, or deleting the core context or another shipped one.'),
            '404': CONTEXT_ERRORS['404'],
            '503': problem('LdContextNotAvailable: the Cached @context could not be downloaded again; the kept copy stays.'),
          },
        },
      },
    },
  };
}

const WRITE_BODY = { required: true, content: { [MEDIA.json]: { schema: { type: 'object' } }, [MEDIA.jsonLd]: { schema: { type: 'object' } } } };
const BATCH_BODY = { required: true, content: { [MEDIA.json]: { schema: { type: 'array', items: { type: 'object' } } }, [MEDIA.jsonLd]: { schema: { type: 'array', items: { type: 'object' } } } } };
const jsonResponse = (description: string, schema: Record<string, unknown>) => ({ description, content: { [MEDIA.json]: { schema } } });
const WRITE_ERRORS = {
  '400': problem('InvalidRequest (not JSON) or BadRequestData (the entity, fragment or @context usage is invalid; the detail names the member by JSON pointer).'),
  '401': problem('No API key, or a wrong one (X-API-Key or Authorization: Bearer).'),
  '404': problem('ResourceNotFound: no such entity, attribute or instance.'),
  '415': { description: 'The body is neither application/json nor application/ld+json.' },
  '422': problem('OperationNotSupported: entities a harvest keeps are read-only; multi-type entities are not supported.'),
  '503': problem('LdContextNotAvailable, or the database is unavailable.'),
};
const NO_CONTENT = { '204': { description: 'Done.' } };
const UPDATE_RESULT = jsonResponse('UpdateResult: the attributes written and those that were not, with the reason (full attribute IRIs).', { $ref: '#/components/schemas/ngsildUpdateResult' });
const BATCH_RESULT = jsonResponse('BatchOperationResult: the entity ids written and an error (ProblemDetails) for each of the others.', { $ref: '#/components/schemas/ngsildBatchOperationResult' });
const typeParameter = query('type', 'The entity type the entity must have (a name in the request @context, or an IRI).');
const optionsParameter = (values: string[], description: string) => query('options', description, { type: 'string', enum: values });
const attrId = { name: 'attrId', in: 'path', required: true, description: 'An attribute name in the request @context, or an IRI.', schema: { type: 'string' } };
const write = (operationId: string, summary: string, responses: Record<string, unknown>, extra: { parameters?: unknown[]; requestBody?: unknown } = {}) => ({
  tags: ['NGSI-LD'],
  summary,
  operationId,
  parameters: [...(extra.parameters ?? []), ref('ngsildLink')],
  ...(extra.requestBody ? { requestBody: extra.requestBody } : {}),
  responses: { ...responses, ...WRITE_ERRORS },
});
const batch = (operation: string, summary: string, responses: Record<string, unknown>, parameters: unknown[] = []) => ({
  post: write(`ngsildBatch${operation}`, summary, { ...responses, '207': BATCH_RESULT }, { parameters, requestBody: BATCH_BODY }),
});

/** The routes of context provision (clause 5.6) and the batch entity operations; every one needs the API key. */
export function provisionOpenApi(): OpenApiFragment {
  return {
    schemas: {
      ngsildUpdateResult: {
        type: 'object',
        required: ['updated', 'notUpdated'],
        properties: {
          updated: { type: 'array', items: { type: 'string' } },
          notUpdated: { type: 'array', items: { type: 'object', required: ['attributeName', 'reason'], properties: { attributeName: { type: 'string' }, reason: { type: 'string' } } } },
        },
      },
      ngsildBatchOperationResult: {
        type: 'object',
        required: ['success', 'errors'],
        properties: {
          success: { type: 'array', items: { type: 'string', format: 'uri' } },
          errors: { type: 'array', items: { type: 'object', required: ['entityId', 'error'], properties: { entityId: { type: 'string' }, error: { $ref: '#/components/schemas/ngsildProblemDetails' } } } },
        },
      },
    },
    paths: {
      '/entities': {
        post: write('ngsildCreateEntity', 'Create an entity (clause 5.6.1)', { '201': { description: 'Created; Location names the entity.' }, '409': problem('AlreadyExists: an entity has that id.') }, { requestBody: WRITE_BODY }),
        delete: write('ngsildPurgeEntities', 'Purge entities (clause 5.6.21 of V1.9.1): delete the written entities a selection names, or drop / keep attributes of them; entities a harvest keeps are left alone', NO_CONTENT, {
          parameters: [
            ...['ngsildId', 'ngsildType', 'ngsildIdPattern', 'ngsildQ', 'ngsildScopeQ'].map(ref),
            query('local', 'true: every written entity (with no other selection).'),
            query('drop', 'Attributes to delete from the selected entities.'),
            query('keep', 'Attributes to keep; every other one is deleted (not with drop).'),
          ],
        }),
      },
      '/entities/{entityId}': {
        delete: write('ngsildDeleteEntity', 'Delete an entity (clause 5.6.6)', NO_CONTENT, { parameters: [ref('entityId'), typeParameter] }),
        patch: write('ngsildMergeEntity', 'Merge an entity (clause 5.6.17; application/merge-patch+json too; urn:ngsi-ld:null deletes)', NO_CONTENT, {
          parameters: [ref('entityId'), typeParameter],
          requestBody: { required: true, content: { ...WRITE_BODY.content, [MEDIA.mergePatch]: { schema: { type: 'object' } } } },
        }),
        put: write('ngsildReplaceEntity', 'Replace an entity (clause 5.6.18)', NO_CONTENT, { parameters: [ref('entityId'), typeParameter], requestBody: WRITE_BODY }),
      },
      '/entities/{entityId}/attrs': {
        patch: write('ngsildUpdateAttributes', 'Update the attributes an entity has (clause 5.6.2)', { ...NO_CONTENT, '207': UPDATE_RESULT }, { parameters: [ref('entityId'), typeParameter], requestBody: WRITE_BODY }),
        post: write('ngsildAppendAttributes', 'Append attributes (clause 5.6.3)', { ...NO_CONTENT, '207': UPDATE_RESULT }, {
          parameters: [ref('entityId'), typeParameter, optionsParameter(['noOverwrite'], 'noOverwrite: keep the attribute instances the entity has.')],
          requestBody: WRITE_BODY,
        }),
      },
      '/entities/{entityId}/attrs/{attrId}': {
        patch: write('ngsildPartialAttributeUpdate', 'Update some members of an attribute instance (clause 5.6.4)', NO_CONTENT, { parameters: [ref('entityId'), attrId, typeParameter], requestBody: WRITE_BODY }),
        put: write('ngsildReplaceAttribute', 'Replace an attribute instance (clause 5.6.19)', NO_CONTENT, { parameters: [ref('entityId'), attrId, typeParameter], requestBody: WRITE_BODY }),
        delete: write('ngsildDeleteAttribute', 'Delete an attribute instance, or all of them (clause 5.6.5)', NO_CONTENT, {
          parameters: [
            ref('entityId'),
            attrId,
            typeParameter,
            query('deleteAll', 'true: every instance of the attribute.', { type: 'boolean' }),
            query('datasetId', 'The instance to delete (default: the one without datasetId).'),
          ],
        }),
      },
      '/entityOperations/create': batch('Create', 'Create a batch of entities (clause 5.6.7)', { '201': jsonResponse('The ids of the created entities.', { type: 'array', items: { type: 'string' } }) }),
      '/entityOperations/upsert': batch(
        'Upsert',
        'Create or update a batch of entities (clause 5.6.8)',
        { '201': jsonResponse('The ids of the entities created (the others were updated).', { type: 'array', items: { type: 'string' } }), ...NO_CONTENT },
        [optionsParameter(['replace', 'update'], 'replace (default): existing entities are replaced; update: their attributes are appended.')],
      ),
      '/entityOperations/update': batch('Update', 'Update a batch of entities (clause 5.6.9)', NO_CONTENT, [optionsParameter(['noOverwrite'], 'noOverwrite: keep the attribute instances the entities have.')]),
      '/entityOperations/delete': {
        post: write(
          'ngsildBatchDelete',
          'Delete a batch of entities by id (clause 5.6.10)',
          { ...NO_CONTENT, '207': BATCH_RESULT },
          { requestBody: { required: true, content: { [MEDIA.json]: { schema: { type: 'array', items: { type: 'string', format: 'uri' } } }, [MEDIA.jsonLd]: { schema: { type: 'array', items: { type: 'string', format: 'uri' } } } } } },
        ),
      },
      '/entityOperations/merge': batch('Merge', 'Merge a batch of entities (clause 5.6.20)', NO_CONTENT),
    },
  };
}

/** The temporal writes (clauses 5.6.11–5.6.16); every one needs the API key, as the entity writes do. */
export function temporalProvisionOpenApi(): OpenApiFragment {
  const instanceId = { name: 'instanceId', in: 'path', required: true, description: 'The instanceId of an attribute instance (from the temporal representation).', schema: { type: 'string' } };
  return {
    paths: {
      '/temporal/entities': {
        post: write('ngsildCreateTemporalEntity', 'Create or update the temporal representation of an entity (clause 5.6.11): its instances, oldest first; the newest become its current values', { '201': { description: 'Created; Location names it.' }, ...NO_CONTENT }, { requestBody: WRITE_BODY }),
      },
      '/temporal/entities/{entityId}': {
        delete: write('ngsildDeleteTemporalEntity', 'Delete an entity with its temporal representation (clause 5.6.16)', NO_CONTENT, { parameters: [ref('entityId')] }),
      },
      '/temporal/entities/{entityId}/attrs': {
        post: write('ngsildAddTemporalAttributes', 'Add attribute instances to the temporal representation of an entity (clause 5.6.12)', NO_CONTENT, { parameters: [ref('entityId')], requestBody: WRITE_BODY }),
      },
      '/temporal/entities/{entityId}/attrs/{attrId}': {
        delete: write('ngsildDeleteTemporalAttribute', 'Delete an attribute with all its instances (clause 5.6.13; datasetId, deleteAll)', NO_CONTENT, { parameters: [ref('entityId'), attrId] }),
      },
      '/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}': {
        patch: write('ngsildModifyAttributeInstance', 'Modify an attribute instance (clause 5.6.14); its instanceId stays', NO_CONTENT, { parameters: [ref('entityId'), attrId, instanceId], requestBody: WRITE_BODY }),
        delete: write('ngsildDeleteAttributeInstance', 'Delete an attribute instance (clause 5.6.15)', NO_CONTENT, { parameters: [ref('entityId'), attrId, instanceId] }),
      },
    },
  };
}
const subscriptionIdParameter = { name: 'subscriptionId', in: 'path', required: true, description: 'A subscription id (URI).', schema: { type: 'string' } };
const subscriptionBody = {
  required: true,
  description: 'A Subscription (clause 5.2.12) as the ETSI OpenAPI defines it; names in the request @context.',
  content: { [MEDIA.json]: { schema: { type: 'object' } }, [MEDIA.jsonLd]: { schema: { type: 'object' } } },
};
const noContent = { description: 'Done; no body.' };
const subscriptions = (description: string) => ({ description, content: { [MEDIA.json]: { schema: {} }, [MEDIA.jsonLd]: { schema: {} } } });

export function subscriptionOpenApi(): OpenApiFragment {
  return {
    paths: {
      '/subscriptions': {
        post: {
          tags: ['NGSI-LD'],
          summary: 'Create a subscription (clause 5.8.1)',
          operationId: 'ngsildCreateSubscription',
          parameters: [ref('ngsildLink')],
          requestBody: subscriptionBody,
          responses: { '201': { description: 'Created; Location names the subscription.' }, ...ERRORS, '409': problem('AlreadyExists: a subscription with that id exists.') },
        },
        get: {
          tags: ['NGSI-LD'],
          summary: 'Query subscriptions (clause 5.8.4)',
          operationId: 'ngsildQuerySubscriptions',
          parameters: [
            query('limit', 'Subscriptions per page (0 with count=true; at most 1000).', { type: 'integer', minimum: 0, maximum: 1000, default: 20 }),
            ref('ngsildOffset'),
            ref('ngsildCount'),
            query('options', 'sysAttrs: include createdAt and modifiedAt.'),
            ref('ngsildLink'),
          ],
          responses: { '200': subscriptions('The subscriptions, with their status and delivery counters.'), ...ERRORS },
        },
      },
      '/subscriptions/{subscriptionId}': {
        get: {
          tags: ['NGSI-LD'],
          summary: 'Retrieve a subscription (clause 5.8.3)',
          operationId: 'ngsildRetrieveSubscription',
          parameters: [subscriptionIdParameter, query('options', 'sysAttrs: include createdAt and modifiedAt.'), ref('ngsildLink')],
          responses: { '200': subscriptions('The subscription, with its status and delivery counters.'), ...ERRORS },
        },
        patch: {
          tags: ['NGSI-LD'],
          summary: 'Update a subscription (clause 5.8.2)',
          operationId: 'ngsildUpdateSubscription',
          parameters: [subscriptionIdParameter, ref('ngsildLink')],
          requestBody: { ...subscriptionBody, description: 'A subscription fragment with type "Subscription"; null removes an optional member.' },
          responses: { '204': noContent, ...ERRORS },
        },
        delete: {
          tags: ['NGSI-LD'],
          summary: 'Delete a subscription (clause 5.8.5)',
          operationId: 'ngsildDeleteSubscription',
          parameters: [subscriptionIdParameter],
          responses: { '204': noContent, ...ERRORS },
        },
      },
    },
  };
}
