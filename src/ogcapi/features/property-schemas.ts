import type { ApiContext } from '../../api/building-block.js';
import { rejectUnknown } from '../../api/query-values.js';
import { apiUrl } from '../../api/urls.js';
import type { Collection, Queryable } from '../../domain/collection.js';
import { collectionQueryables, isSortable } from '../../domain/queryables.js';
import { html } from '../html/html.js';
import { crumbsFor, page } from '../html/layout.js';
import { selfAndAlternates, type Link } from '../links.js';
import { negotiate } from '../negotiation.js';
import { MEDIA, PARAM, REL } from '../vocabulary.js';
import { collectionPath } from './collection-document.js';
import { requireCollection, type FeaturesApiDeps } from './deps.js';

const ONLY_FORMAT = new Set([PARAM.format]);

const GEOMETRY_FORMATS: Record<string, string> = {
  Point: 'geometry-point',
  MultiPoint: 'geometry-multipoint',
  LineString: 'geometry-linestring',
  MultiLineString: 'geometry-multilinestring',
  Polygon: 'geometry-polygon',
  MultiPolygon: 'geometry-multipolygon',
  GeometryCollection: 'geometry-geometrycollection',
};

/**
 * The JSON Schema documents of what a collection's filters and sort keys may name (queryables,
 * OGC API Features Part 3; sortables, Part 8 draft), with Common Part 3 roles.
 */

/** The JSON Schema of one queryable. */
function propertySchema(queryable: Queryable, collection: Collection): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  if (queryable.title) schema['title'] = queryable.title;
  if (queryable.description) schema['description'] = queryable.description;
  switch (queryable.type) {
    case 'date':
      Object.assign(schema, { type: 'string', format: 'date' });
      break;
    case 'timestamp':
      Object.assign(schema, { type: 'string', format: 'date-time' });
      break;
    case 'geometry': {
      const types = collection.geometryTypes;
      schema['format'] = types.length === 1 ? (GEOMETRY_FORMATS[types[0]!] ?? 'geometry-any') : 'geometry-any';
      break;
    }
    default:
      schema['type'] = queryable.type;
  }
  if (queryable.role) schema['x-ogc-role'] = queryable.role;
  return schema;
}

function schemaDocument(ctx: ApiContext, collection: Collection, kind: 'queryables' | 'sortables', entries: [string, Queryable][]): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: apiUrl(ctx, `${collectionPath(collection)}/${kind}`),
    type: 'object',
    title: collection.title,
    description: kind === 'queryables' ? `Properties of '${collection.id}' that filters (filter, name=value parameters) may use` : `Properties of '${collection.id}' that sortby may use`,
    properties: Object.fromEntries(entries.map(([name, q]) => [name, propertySchema(q, collection)])),
    additionalProperties: false,
  };
}

function typeLabel(queryable: Queryable, collection: Collection): string {
  const schema = propertySchema(queryable, collection);
  return [schema['type'], schema['format']].filter(Boolean).join(', ');
}

function schemaHandler(deps: FeaturesApiDeps, kind: 'queryables' | 'sortables') {
  return async (ctx: ApiContext): Promise<void> => {
    const collection = await requireCollection(deps, String(ctx.params['collectionId']));
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx, MEDIA.schemaJson);
    const all = [...collectionQueryables(collection)];
    const entries = kind === 'queryables' ? all : all.filter(([, q]) => isSortable(q));
    if (format === 'json') {
      ctx.type = MEDIA.schemaJson;
      ctx.body = JSON.stringify(schemaDocument(ctx, collection, kind, entries));
      return;
    }
    const base = ctx.state.baseUrl;
    const links: Link[] = [
      ...selfAndAlternates(ctx, 'html', MEDIA.schemaJson),
      { href: apiUrl(ctx, collectionPath(collection), { [PARAM.format]: 'html' }), rel: REL.collection, type: MEDIA.html, title: collection.title },
    ];
    const title = kind === 'queryables' ? 'Queryables' : 'Sortables';
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: `${collection.title}: ${title.toLowerCase()}`, crumbs: crumbsFor(ctx.state.apiBase, [['Collections', `${ctx.state.apiBase}/collections`], [collection.title, apiUrl(ctx, collectionPath(collection))], [title, undefined]]), links, baseUrl: base },
      html`<table><thead><tr><th>Name</th><th>Type</th><th>Role</th><th>Title</th></tr></thead><tbody>
${entries.map(([name, q]) => html`<tr><td><code>${name}</code></td><td>${typeLabel(q, collection)}</td><td>${q.role ?? ''}</td><td>${q.title ?? ''}</td></tr>`)}
</tbody></table>`,
    );
  };
}

/** GET /collections/{collectionId}/queryables */
export function queryablesHandler(deps: FeaturesApiDeps) {
  return schemaHandler(deps, 'queryables');
}

/** GET /collections/{collectionId}/sortables */
export function sortablesHandler(deps: FeaturesApiDeps) {
  return schemaHandler(deps, 'sortables');
}

const ref = (kind: 'parameters' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });
const SCHEMA_ERRORS = { '400': ref('responses', 'InvalidParameter'), '404': ref('responses', 'NotFound'), '406': ref('responses', 'NotAcceptable'), '500': ref('responses', 'ServerError') };

/** A JSON Schema of queryables or sortables (OGC API Features Part 3, Part 8 draft). */
export function schemaOperation(operationId: string, summary: string, description: string, tag: string) {
  return {
    get: {
      tags: [tag],
      summary,
      description,
      operationId,
      parameters: [ref('parameters', 'collectionId'), ref('parameters', 'f')],
      responses: { '200': { description: 'A JSON Schema of an object whose properties are the names.', content: { [MEDIA.schemaJson]: { schema: { type: 'object' } }, [MEDIA.html]: { schema: { type: 'string' } } } }, ...SCHEMA_ERRORS },
    },
  };
}

