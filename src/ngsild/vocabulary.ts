/** NGSI-LD vocabulary (ETSI GS CIM 009 V1.8.1): media types, headers, error types, parameter names. */

export const NGSI_LD_MOUNT = '/ngsi-ld/v1';

export const MEDIA = {
  json: 'application/json',
  jsonLd: 'application/ld+json',
  geoJson: 'application/geo+json',
  mergePatch: 'application/merge-patch+json',
} as const;

export const HEADER = {
  link: 'Link',
  resultsCount: 'NGSILD-Results-Count',
  tenant: 'NGSILD-Tenant',
  prefer: 'Prefer',
  preferenceApplied: 'Preference-Applied',
  contentRange: 'Content-Range',
} as const;

/** The link relation of an @context in a Link header (clause 6.3.5). */
export const CONTEXT_REL = 'http://www.w3.org/ns/json-ld#context';

const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';

/** ProblemDetails types (clause 5.5.2). */
export const ERROR_TYPE = {
  invalidRequest: `${ERRORS}InvalidRequest`,
  badRequestData: `${ERRORS}BadRequestData`,
  alreadyExists: `${ERRORS}AlreadyExists`,
  operationNotSupported: `${ERRORS}OperationNotSupported`,
  resourceNotFound: `${ERRORS}ResourceNotFound`,
  internalError: `${ERRORS}InternalError`,
  tooComplexQuery: `${ERRORS}TooComplexQuery`,
  tooManyResults: `${ERRORS}TooManyResults`,
  ldContextNotAvailable: `${ERRORS}LdContextNotAvailable`,
  noMultiTenantSupport: `${ERRORS}NoMultiTenantSupport`,
  nonexistentTenant: `${ERRORS}NonexistentTenant`,
  notAcceptable: `${ERRORS}NotAcceptable`,
  unsupportedMediaType: `${ERRORS}UnsupportedMediaType`,
  methodNotAllowed: `${ERRORS}MethodNotAllowed`,
} as const;

export const NGSI_LD_NULL = 'urn:ngsi-ld:null';

/** Attribute members that are not sub-attributes (clause 4.5). */
export const ATTRIBUTE_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'value',
  'object',
  'languageMap',
  'json',
  'vocab',
  'valueList',
  'objectList',
  'observedAt',
  'unitCode',
  'datasetId',
  'objectType',
  'createdAt',
  'modifiedAt',
  'deletedAt',
  'instanceId',
  'previousValue',
  'previousObject',
  'previousLanguageMap',
  'previousJson',
  'previousVocab',
  'previousValueList',
  'previousObjectList',
]);

/** The @context API's resource (clause 6.29): hosted contexts are served at `<mount>/jsonldContexts/<id>`. */
export const CONTEXTS_PATH = '/jsonldContexts';
