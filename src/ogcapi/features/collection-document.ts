import type { Collection } from '../../domain/collection.js';
import { INSPIRE_THEMES, inspireThemeUri } from '../../domain/inspire-themes.js';
import { CRS84_URI } from '../../geo/crs-registry.js';
import type { ApiContext } from '../../api/building-block.js';
import { apiUrl } from '../../api/urls.js';
import type { CollectionLink } from './deps.js';
import { offeredCrs } from '../crs/collection-crs.js';
import { selfAndAlternates, type Link } from '../links.js';
import type { Format } from '../negotiation.js';
import { MEDIA, PARAM, REL } from '../vocabulary.js';

const GREGORIAN = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian';

export function collectionPath(collection: Collection): string {
  return `/collections/${encodeURIComponent(collection.id)}`;
}

function extent(collection: Collection): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (collection.spatialExtent) out['spatial'] = { bbox: [collection.spatialExtent], crs: CRS84_URI };
  if (collection.temporalExtent) out['temporal'] = { interval: [collection.temporalExtent], trs: GREGORIAN };
  return Object.keys(out).length ? out : undefined;
}

function itemsLinks(ctx: ApiContext, collection: Collection): Link[] {
  const items = `${collectionPath(collection)}/items`;
  return [
    { href: apiUrl(ctx, items, { [PARAM.format]: 'json' }), rel: REL.items, type: MEDIA.geojson, title: `${collection.title} as GeoJSON` },
    { href: apiUrl(ctx, items, { [PARAM.format]: 'html' }), rel: REL.items, type: MEDIA.html, title: `${collection.title} as HTML` },
  ];
}

/** What filters and sortby may name (OGC API Features Part 3, Part 8 draft). */
function schemaLinks(ctx: ApiContext, collection: Collection): Link[] {
  const path = collectionPath(collection);
  return [
    { href: apiUrl(ctx, `${path}/queryables`), rel: REL.queryables, type: MEDIA.schemaJson, title: `Queryables of ${collection.title}` },
    { href: apiUrl(ctx, `${path}/sortables`), rel: REL.sortables, type: MEDIA.schemaJson, title: `Sortables of ${collection.title}` },
  ];
}

/**
 * What the harvesting mapping says about the dataset: its metadata record (rel describedby) and its
 * INSPIRE theme, linked to the theme's registry URI (rel tag, RFC 8288).
 */
function datasetLinks(collection: Collection): Link[] {
  const { metadataUrl, inspireTheme } = collection.harvest;
  const links: Link[] = [];
  if (metadataUrl) links.push({ href: metadataUrl, rel: REL.describedBy, title: `Metadata of ${collection.title}` });
  if (inspireTheme) links.push({ href: inspireThemeUri(inspireTheme), rel: REL.tag, title: `INSPIRE theme: ${INSPIRE_THEMES[inspireTheme] ?? inspireTheme}` });
  return links;
}

/** The keywords, with the INSPIRE theme's name when the collection has one. */
function keywords(collection: Collection): readonly string[] {
  const theme = collection.harvest.inspireTheme;
  const name = theme ? (INSPIRE_THEMES[theme] ?? theme) : null;
  return name && !collection.keywords.includes(name) ? [...collection.keywords, name] : collection.keywords;
}

function licenseLinks(collection: Collection): Link[] {
  return collection.license && /^https?:\/\//.test(collection.license) ? [{ href: collection.license, rel: REL.license, title: 'License' }] : [];
}

/** The collection resource (/collections/{id}, and each entry of /collections). */
export function collectionDocument(ctx: ApiContext, collection: Collection, ownLinks: Link[], extra: readonly CollectionLink[] = []): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    id: collection.id,
    title: collection.title,
  };
  if (collection.description) doc['description'] = collection.description;
  const words = keywords(collection);
  if (words.length) doc['keywords'] = words;
  if (collection.attribution) doc['attribution'] = collection.attribution;
  if (collection.license && !/^https?:\/\//.test(collection.license)) doc['license'] = collection.license;
  const ext = extent(collection);
  if (ext) doc['extent'] = ext;
  doc['itemType'] = collection.itemType;
  doc['crs'] = offeredCrs(collection).map((c) => c.uri);
  doc['storageCrs'] = CRS84_URI;
  const added = extra.map((link) => ({ href: apiUrl(ctx, link.path), rel: link.rel, type: link.type, title: link.title }));
  doc['links'] = [...ownLinks, ...itemsLinks(ctx, collection), ...schemaLinks(ctx, collection), ...licenseLinks(collection), ...datasetLinks(collection), ...added];
  return doc;
}

/** /collections/{id} with its own self and alternate links. */
export function singleCollectionDocument(ctx: ApiContext, collection: Collection, served: Format, extra: readonly CollectionLink[] = []): Record<string, unknown> {
  return collectionDocument(ctx, collection, selfAndAlternates(ctx, served), extra);
}

/** An entry of /collections: links to the collection resource itself. */
export function listedCollectionDocument(ctx: ApiContext, collection: Collection, extra: readonly CollectionLink[] = []): Record<string, unknown> {
  const path = collectionPath(collection);
  return collectionDocument(
    ctx,
    collection,
    [
      { href: apiUrl(ctx, path, { [PARAM.format]: 'json' }), rel: REL.self, type: MEDIA.json, title: collection.title },
      { href: apiUrl(ctx, path, { [PARAM.format]: 'html' }), rel: REL.alternate, type: MEDIA.html, title: `${collection.title} as HTML` },
    ],
    extra,
  );
}
