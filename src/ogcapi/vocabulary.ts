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
} as const;

const FEATURES_1 = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf';
const FEATURES_2 = 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf';

export const CONFORMANCE = {
  core: `${FEATURES_1}/core`,
  html: `${FEATURES_1}/html`,
  geojson: `${FEATURES_1}/geojson`,
  oas30: `${FEATURES_1}/oas30`,
  crs: `${FEATURES_2}/crs`,
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
} as const;

export const LIMIT = { default: 10, minimum: 1, maximum: 10_000 } as const;

export const HEADER = { contentCrs: 'Content-Crs' } as const;
