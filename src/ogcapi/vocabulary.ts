/** OGC API – Features vocabulary: media types, link relations, conformance URIs, parameter names. */

export const MEDIA = {
  json: 'application/json',
  geojson: 'application/geo+json',
  html: 'text/html',
  openapi: 'application/vnd.oai.openapi+json;version=3.0',
  problem: 'application/problem+json',
  schemaJson: 'application/schema+json',
} as const;

export const REL = {
  self: 'self',
  alternate: 'alternate',
  serviceDesc: 'service-desc',
  serviceDoc: 'service-doc',
  conformance: 'conformance',
  data: 'data',
  items: 'items',
  collection: 'collection',
  next: 'next',
  prev: 'prev',
  license: 'license',
  describedBy: 'describedby',
  /** RFC 6892: the feature describes the thing this URI identifies (its NGSI-LD entity id). */
  describes: 'describes',
  tag: 'tag',
  queryables: 'http://www.opengis.net/def/rel/ogc/1.0/queryables',
  sortables: 'http://www.opengis.net/def/rel/ogc/1.0/sortables',
  functions: 'http://www.opengis.net/def/rel/ogc/1.0/functions',
} as const;

const FEATURES_1 = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf';
const FEATURES_2 = 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf';
const FEATURES_3 = 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf';
const FEATURES_6 = 'http://www.opengis.net/spec/ogcapi-features-6/1.0/conf';
const FEATURES_8 = 'http://www.opengis.net/spec/ogcapi-features-8/1.0/conf';
const CQL2 = 'http://www.opengis.net/spec/cql2/1.0/conf';

export const CONFORMANCE = {
  core: `${FEATURES_1}/core`,
  html: `${FEATURES_1}/html`,
  geojson: `${FEATURES_1}/geojson`,
  oas30: `${FEATURES_1}/oas30`,
  crs: `${FEATURES_2}/crs`,
  filter: `${FEATURES_3}/filter`,
  featuresFilter: `${FEATURES_3}/features-filter`,
  queryables: `${FEATURES_3}/queryables`,
  queryablesQueryParameters: `${FEATURES_3}/queryables-query-parameters`,
  cql2Text: `${CQL2}/cql2-text`,
  cql2Json: `${CQL2}/cql2-json`,
  basicCql2: `${CQL2}/basic-cql2`,
  advancedComparisonOperators: `${CQL2}/advanced-comparison-operators`,
  caseInsensitiveComparison: `${CQL2}/case-insensitive-comparison`,
  accentInsensitiveComparison: `${CQL2}/accent-insensitive-comparison`,
  basicSpatialFunctions: `${CQL2}/basic-spatial-functions`,
  basicSpatialFunctionsPlus: `${CQL2}/basic-spatial-functions-plus`,
  spatialFunctions: `${CQL2}/spatial-functions`,
  temporalFunctions: `${CQL2}/temporal-functions`,
  arrayFunctions: `${CQL2}/array-functions`,
  propertyProperty: `${CQL2}/property-property`,
  functions: `${CQL2}/functions`,
  arithmetic: `${CQL2}/arithmetic`,
  sortables: `${FEATURES_8}/sortables`,
  sorting: `${FEATURES_8}/sorting`,
  featuresSorting: `${FEATURES_8}/features-sorting`,
  properties: `${FEATURES_6}/properties`,
  propertiesFeatures: `${FEATURES_6}/properties-features`,
} as const;

export const PARAM = {
  format: 'f',
  limit: 'limit',
  offset: 'offset',
  cursor: 'cursor',
  bbox: 'bbox',
  bboxCrs: 'bbox-crs',
  datetime: 'datetime',
  crs: 'crs',
  filter: 'filter',
  filterLang: 'filter-lang',
  filterCrs: 'filter-crs',
  sortby: 'sortby',
  properties: 'properties',
} as const;

export const FILTER_LANG = { text: 'cql2-text', json: 'cql2-json' } as const;

export const LIMIT = { default: 10, minimum: 1, maximum: 10_000 } as const;

export const HEADER = { contentCrs: 'Content-Crs' } as const;
