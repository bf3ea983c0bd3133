import type { ScopeCondition } from '../../domain/entity.js';
import { integerValue, rejectUnknown, single, type RawQuery } from '../../api/query-values.js';
import { InvalidParameterError, OperationNotSupportedError, UnknownRepresentationError } from '../../domain/errors.js';
import { parseGeoQueryParameters, type GeoQuery } from '../query/geo-query.js';
import { parseProjection, type Projection } from '../query/projection.js';
import { parseQuery, type QExpression } from '../query/q-language.js';
import { parseScopeQuery } from '../query/scope-query.js';
import { isAbsoluteUri } from '../query/query-syntax.js';
import { parseTypeSelection, type EntityTypeSelection } from '../query/type-selection.js';
import type { EntityFormat } from './entity-encoder.js';
import type { JoinView } from './linked-entities.js';

/** How entities are written: representation, system attributes, projection, language, geometry of GeoJSON. */
export interface EntityView {
  readonly format: EntityFormat;
  readonly sysAttrs: boolean;
  readonly projection: Projection;
  readonly lang: string | null;
  /** The GeoProperty GeoJSON output takes its geometry from. */
  readonly geometryProperty: string;
  /** datasetId (clause 4.5.5): only the attribute instances with one of these datasetIds (`@none`: the default instances). */
  readonly datasetIds?: ReadonlySet<string> | null;
  /** join and joinLevel (clause 4.5.23): linked entity retrieval; null: none. */
  readonly join?: JoinView | null;
}

export interface EntitySelectionParameters {
  readonly types: EntityTypeSelection | null;
  readonly ids: readonly string[] | null;
  readonly idPattern: string | null;
  readonly q: QExpression | null;
  readonly geo: GeoQuery | null;
  /** scopeQ (clause 4.19). */
  readonly scopes?: ScopeCondition | null;
}

export interface EntityPage {
  readonly limit: number;
  readonly offset: number;
  readonly count: boolean;
}

export const LIMIT = { fallback: 20, maximum: 1000 } as const;

/** Parameters of NGSI-LD V1.8.1 placelink knows of but does not implement: naming one is OperationNotSupported, not a silent wrong answer. */
const UNSUPPORTED = ['csf', 'containedBy', 'entityMap', 'orderBy', 'collation', 'expandValues', 'jsonKeys', 'orderFrom', 'orderGeometry'];

const VIEW_PARAMETERS = ['attrs', 'pick', 'omit', 'options', 'format', 'lang', 'geometryProperty', 'datasetId', 'join', 'joinLevel', 'local'];
export const QUERY_PARAMETERS = new Set([...VIEW_PARAMETERS, 'id', 'type', 'idPattern', 'q', 'scopeQ', 'georel', 'geometry', 'coordinates', 'geoproperty', 'limit', 'offset', 'count', ...UNSUPPORTED]);
export const RETRIEVE_PARAMETERS = new Set([...VIEW_PARAMETERS, 'type', ...UNSUPPORTED]);

const OPTIONS = new Set(['keyValues', 'simplified', 'concise', 'normalized', 'sysAttrs']);
const FORMATS: Readonly<Record<string, EntityFormat>> = { normalized: 'normalized', concise: 'concise', keyValues: 'keyValues', simplified: 'keyValues' };

function list(value: string | undefined): string[] | null {
  return value === undefined ? null : value.split(',').map((v) => v.trim()).filter(Boolean);
}

function refuseUnsupported(query: RawQuery): void {
  for (const name of UNSUPPORTED) if (query[name] !== undefined) throw new OperationNotSupportedError(`the parameter ${name} is not supported by placelink`);
}

/** The most relationship levels a join follows. */
export const MAX_JOIN_LEVEL = 5;

/** join (flat, inline or @none) and joinLevel (default 1), as parameters or Query members. */
export function joinOf(join: string | undefined, levelRaw: string | undefined): JoinView | null {
  if (join !== undefined && join !== 'flat' && join !== 'inline' && join !== '@none') throw new InvalidParameterError('join', `join is flat, inline or @none; got '${join.slice(0, 20)}'`);
  const level = integerValue('joinLevel', levelRaw, { minimum: 1, maximum: MAX_JOIN_LEVEL, fallback: 1 });
  return join === 'flat' || join === 'inline' ? { mode: join, level } : null;
}

/** The representation: `format` wins over the older `options` values; keyValues and concise are exclusive. */
export function readView(query: RawQuery): EntityView {
  const options = list(single(query, 'options')) ?? [];
  for (const option of options) if (!OPTIONS.has(option)) throw new UnknownRepresentationError('options', `options may hold ${[...OPTIONS].join(', ')}; got '${option.slice(0, 40)}'`);
  const formatRaw = single(query, 'format');
  if (formatRaw !== undefined && !Object.hasOwn(FORMATS, formatRaw)) throw new UnknownRepresentationError('format', `format must be one of ${Object.keys(FORMATS).join(', ')}; got '${formatRaw.slice(0, 40)}'`);
  const fromOptions = options.filter((o) => o !== 'sysAttrs').map((o) => FORMATS[o]!);
  if (new Set(fromOptions).size > 1) throw new UnknownRepresentationError('options', 'options may name one representation only');
  const projection = parseProjection({ attrs: single(query, 'attrs'), pick: single(query, 'pick'), omit: single(query, 'omit') });
  return {
    format: formatRaw !== undefined ? FORMATS[formatRaw]! : (fromOptions[0] ?? 'normalized'),
    sysAttrs: options.includes('sysAttrs'),
    projection,
    lang: single(query, 'lang') ?? null,
    geometryProperty: single(query, 'geometryProperty') ?? 'location',
    datasetIds: datasetIdsOf(single(query, 'datasetId')),
    join: joinOf(single(query, 'join'), single(query, 'joinLevel')),
  };
}

/** The datasetId parameter: comma-separated dataset URIs, `@none` for the default instances. */
function datasetIdsOf(raw: string | undefined): ReadonlySet<string> | null {
  const ids = list(raw);
  if (!ids) return null;
  for (const id of ids) if (id !== '@none' && !isAbsoluteUri(id)) throw new InvalidParameterError('datasetId', `datasetId lists dataset URIs or @none; '${id.slice(0, 80)}' is neither`);
  return new Set(ids);
}

/** An idPattern parameter: a regular expression (or none). */
export function checkIdPattern(idPattern: string | null): string | null {
  if (idPattern === null) return null;
  try {
    new RegExp(idPattern, 'u');
  } catch {
    throw new InvalidParameterError('idPattern', `idPattern is not a regular expression: ${idPattern.slice(0, 80)}`);
  }
  return idPattern;
}

export function checkEntityId(id: string, parameter = 'id'): string {
  if (!isAbsoluteUri(id)) throw new InvalidParameterError(parameter, `an entity id is a URI; '${id.slice(0, 100)}' is not one`);
  return id;
}

/** GET /entities: what selects entities (with the minimal-filter rule of clause 5.7.2), the page and the view. */
export function readEntityQuery(query: RawQuery): { selection: EntitySelectionParameters; page: EntityPage; view: EntityView } {
  rejectUnknown(query, QUERY_PARAMETERS);
  refuseUnsupported(query);
  const view = readView(query);
  const typeRaw = single(query, 'type');
  const q = single(query, 'q');
  const geo = parseGeoQueryParameters({ georel: single(query, 'georel'), geometry: single(query, 'geometry'), coordinates: single(query, 'coordinates'), geoproperty: single(query, 'geoproperty') });
  const ids = list(single(query, 'id'));
  const scopeQ = single(query, 'scopeQ');
  if (typeRaw === undefined && view.projection.attrs === null && q === undefined && geo === null && single(query, 'local') !== 'true') {
    throw new InvalidParameterError('type', 'a query needs at least one of type, attrs, q, a geo-query or local=true (clause 5.7.2); id and idPattern alone select too much');
  }
  const count = single(query, 'count');
  if (count !== undefined && count !== 'true' && count !== 'false') throw new InvalidParameterError('count', `count is true or false, got '${count.slice(0, 20)}'`);
  const limit = integerValue('limit', single(query, 'limit'), { minimum: 0, maximum: LIMIT.maximum, fallback: LIMIT.fallback });
  if (limit === 0 && count !== 'true') throw new InvalidParameterError('limit', 'limit=0 is only meaningful together with count=true');
  const idPattern = checkIdPattern(single(query, 'idPattern') ?? null);
  return {
    selection: {
      types: typeRaw === undefined ? null : parseTypeSelection(typeRaw),
      ids: ids ? ids.map((id) => checkEntityId(id)) : null,
      idPattern,
      q: q === undefined ? null : parseQuery(q, { parameter: 'q' }),
      geo,
      scopes: scopeQ === undefined ? null : parseScopeQuery(scopeQ),
    },
    page: { limit, offset: integerValue('offset', single(query, 'offset'), { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, fallback: 0 }), count: count === 'true' },
    view,
  };
}

/** GET /entities/{entityId}: an optional type and the view. */
export function readRetrieve(query: RawQuery): { types: EntityTypeSelection | null; view: EntityView } {
  rejectUnknown(query, RETRIEVE_PARAMETERS);
  refuseUnsupported(query);
  const typeRaw = single(query, 'type');
  return { types: typeRaw === undefined ? null : parseTypeSelection(typeRaw), view: readView(query) };
}
