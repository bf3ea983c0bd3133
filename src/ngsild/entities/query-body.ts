import { integerValue, rejectUnknown, single, type RawQuery } from '../../api/query-values.js';
import { InvalidInputError, InvalidParameterError, OperationNotSupportedError } from '../../domain/errors.js';
import { parseGeoQ } from '../query/geo-query.js';
import { parseProjection } from '../query/projection.js';
import { parseQuery } from '../query/q-language.js';
import { parseScopeQuery } from '../query/scope-query.js';
import { parseTypeSelection, type EntityTypeName, type EntityTypeSelection } from '../query/type-selection.js';
import { checkEntityId, joinOf, LIMIT, readView, type EntityPage, type EntitySelectionParameters, type EntityView } from './entity-parameters.js';

const URL_PARAMETERS = new Set(['limit', 'offset', 'count', 'options', 'format', 'local']);
const MEMBERS = new Set(['type', 'entities', 'attrs', 'pick', 'omit', 'q', 'geoQ', 'scopeQ', 'lang', 'local', 'join', 'joinLevel', '@context']);
const UNSUPPORTED = ['csf', 'temporalQ', 'datasetId', 'containedBy', 'expandValues', 'jsonKeys'];

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

function strings(value: unknown, member: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
  throw new InvalidInputError(`${member} must be a string or an array of strings`);
}

/** The entity selectors of a query body: every type they name, their ids and their id patterns (any selector may match). */
function selectors(value: unknown): Pick<EntitySelectionParameters, 'types' | 'ids' | 'idPattern'> {
  if (value === undefined) return { types: null, ids: null, idPattern: null };
  if (!Array.isArray(value) || value.length === 0) throw new InvalidInputError('entities must be a non-empty array of entity selectors');
  const types: (EntityTypeName | Extract<EntityTypeSelection, { kind: 'and' }>)[] = [];
  const ids: string[] = [];
  const patterns: string[] = [];
  for (const [index, selector] of value.entries()) {
    if (!isObject(selector) || typeof selector['type'] !== 'string') throw new InvalidInputError(`entities[${index}] needs a type`);
    const selection = parseTypeSelection(selector['type'], `entities[${index}].type`);
    if (selection.kind === 'any') return { types: selection, ids: null, idPattern: null };
    types.push(...(selection.kind === 'or' ? selection.operands : [selection]));
    if (typeof selector['id'] === 'string') ids.push(checkEntityId(selector['id'], `entities[${index}].id`));
    if (typeof selector['idPattern'] === 'string') patterns.push(selector['idPattern']);
  }
  return { types: { kind: 'or', operands: types }, ids: ids.length ? ids : null, idPattern: patterns.length ? patterns.map((p) => `(${p})`).join('|') : null };
}

/** POST /entityOperations/query: a Query body (clause 5.2.23) and the paging and view parameters of the URL. */
export function readQueryBody(body: unknown, url: RawQuery): { selection: EntitySelectionParameters; page: EntityPage; view: EntityView } {
  rejectUnknown(url, URL_PARAMETERS);
  if (!isObject(body)) throw new InvalidInputError('The body must be a Query object');
  if (body['type'] !== 'Query') throw new InvalidInputError(`The body's type must be "Query", got ${JSON.stringify(body['type'])?.slice(0, 40)}`);
  for (const name of UNSUPPORTED) if (body[name] !== undefined) throw new OperationNotSupportedError(`the Query member ${name} is not supported by placelink`);
  for (const name of Object.keys(body)) if (!MEMBERS.has(name)) throw new InvalidInputError(`The Query has no member ${name.slice(0, 40)}`);
  const base = readView(url);
  const projection = parseProjection({ attrs: strings(body['attrs'], 'attrs'), pick: strings(body['pick'], 'pick'), omit: strings(body['omit'], 'omit') });
  const joinRaw = body['join'];
  if (joinRaw !== undefined && typeof joinRaw !== 'string') throw new InvalidInputError('join must be a string: flat, inline or @none');
  const levelRaw = body['joinLevel'];
  if (levelRaw !== undefined && typeof levelRaw !== 'number') throw new InvalidInputError('joinLevel must be a number');
  const join = joinRaw === undefined && levelRaw === undefined ? (base.join ?? null) : joinOf(joinRaw, levelRaw === undefined ? undefined : String(levelRaw));
  const view: EntityView = { ...base, projection, lang: typeof body['lang'] === 'string' ? body['lang'] : base.lang, join };
  const q = body['q'];
  if (q !== undefined && typeof q !== 'string') throw new InvalidInputError('q must be a string');
  const geo = body['geoQ'] === undefined ? null : parseGeoQ(body['geoQ']);
  const scopeQ = body['scopeQ'];
  if (scopeQ !== undefined && typeof scopeQ !== 'string') throw new InvalidInputError('scopeQ must be a string');
  const chosen = selectors(body['entities']);
  if (chosen.types === null && projection.attrs === null && q === undefined && geo === null) {
    throw new InvalidInputError('A Query needs at least one of entities, attrs, q or geoQ (clause 5.7.2)');
  }
  const count = single(url, 'count');
  if (count !== undefined && count !== 'true' && count !== 'false') throw new InvalidParameterError('count', `count is true or false, got '${count.slice(0, 20)}'`);
  const limit = integerValue('limit', single(url, 'limit'), { minimum: 0, maximum: LIMIT.maximum, fallback: LIMIT.fallback });
  if (limit === 0 && count !== 'true') throw new InvalidParameterError('limit', 'limit=0 is only meaningful together with count=true');
  return {
    selection: { ...chosen, q: q === undefined ? null : parseQuery(q, { parameter: 'q' }), geo, scopes: scopeQ === undefined ? null : parseScopeQuery(scopeQ) },
    page: { limit, offset: integerValue('offset', single(url, 'offset'), { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, fallback: 0 }), count: count === 'true' },
    view,
  };
}
