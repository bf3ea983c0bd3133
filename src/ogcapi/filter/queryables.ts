import type { Collection, Queryable } from '../../domain/collection.js';
import { FILTER_FUNCTIONS, type FilterFunction } from '../../domain/filter-functions.js';
import type { ValueType } from '../../domain/filter.js';
import { collectionQueryables } from '../../domain/queryables.js';
import type { ApiContext } from '../building-block.js';
import { collectionPath } from '../core/collection-document.js';
import { requireCollection, type FeaturesApiDeps } from '../core/deps.js';
import { html } from '../html/html.js';
import { crumbsFor, page } from '../html/layout.js';
import { apiUrl, selfAndAlternates, type Link } from '../links.js';
import { negotiate } from '../negotiation.js';
import { rejectUnknown } from '../params/query-values.js';
import { sortables } from '../params/sortby.js';
import { MEDIA, PARAM, REL } from '../vocabulary.js';

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

/** The JSON Schema of one queryable (OGC API Features Part 3, Common Part 3 roles). */
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
    const entries = kind === 'queryables' ? all : sortables(new Map(all));
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
      { title: `${collection.title}: ${title.toLowerCase()}`, crumbs: crumbsFor(base, [['Collections', `${base}/collections`], [collection.title, apiUrl(ctx, collectionPath(collection))], [title, undefined]]), links, baseUrl: base },
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

/** Types of the Part 3 functions schema: dates and timestamps are both `datetime`. */
function functionTypes(type: ValueType): string[] {
  return [type === 'date' || type === 'timestamp' ? 'datetime' : type];
}

function functionDocument(f: FilterFunction): Record<string, unknown> {
  return { name: f.name, description: f.description, arguments: f.args.map((a) => ({ title: a.title, type: functionTypes(a.type) })), returns: functionTypes(f.returns) };
}

/** GET /functions: the functions filters may call. */
export function functionsHandler() {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx);
    const links = selfAndAlternates(ctx, format);
    if (format === 'json') {
      ctx.body = { functions: FILTER_FUNCTIONS.map(functionDocument), links };
      return;
    }
    const base = ctx.state.baseUrl;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: 'Filter functions', crumbs: crumbsFor(base, [['Functions', undefined]]), links, baseUrl: base },
      html`<p>Functions a CQL2 filter may call, e.g. <code>s_distance(geometry, POINT(9.73 52.37)) &lt; 500</code>.</p>
<table><thead><tr><th>Function</th><th>Arguments</th><th>Returns</th><th>Description</th></tr></thead><tbody>
${FILTER_FUNCTIONS.map((f) => html`<tr><td><code>${f.name}</code></td><td>${f.args.map((a) => `${a.title}: ${a.type}`).join('; ')}</td><td>${f.returns}</td><td>${f.description}</td></tr>`)}
</tbody></table>`,
    );
  };
}
