import { integerValue, single, type RawQuery } from '../../api/query-values.js';
import { InvalidInputError, InvalidParameterError, OperationNotSupportedError, UnknownRepresentationError } from '../../domain/errors.js';
import { AGGREGATION_METHODS, type Aggregation, type AggregationMethod, type AggregationPeriod, type TimeProperty, type TimeWindow } from '../../domain/temporal.js';
import { readEntityQuery, readRetrieve, type EntityPage, type EntitySelectionParameters, type EntityView } from '../entities/entity-parameters.js';
import { readQueryBody } from '../entities/query-body.js';
import type { EntityTypeSelection } from '../query/type-selection.js';

/** The temporal representations (clause 4.5.7–4.5.9, 4.5.19): whole instances, value-time pairs, or aggregates per period. */
export type TemporalFormat = 'normalized' | 'concise' | 'temporalValues' | 'aggregatedValues';

export interface TemporalView {
  readonly format: TemporalFormat;
  readonly entity: EntityView;
  readonly window: TimeWindow | null;
  readonly timeProperty: TimeProperty;
  readonly lastN: number | null;
  readonly aggregation: Aggregation | null;
}

const TEMPORAL_PARAMETERS = ['timerel', 'timeAt', 'endTimeAt', 'timeproperty', 'lastN', 'aggrMethods', 'aggrPeriodDuration'];

const TEMPORAL_FORMATS: Readonly<Record<string, TemporalFormat>> = {
  normalized: 'normalized',
  concise: 'concise',
  temporalValues: 'temporalValues',
  simplified: 'temporalValues',
  keyValues: 'temporalValues',
  aggregatedValues: 'aggregatedValues',
};
const TIME_PROPERTIES: readonly TimeProperty[] = ['observedAt', 'createdAt', 'modifiedAt', 'deletedAt'];

/** An RFC 3339 date-time with a time zone, the form clause 4.6.3 gives temporal values. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The date part names a day of the calendar (Date.parse takes 2024-02-30 for March 1st). */
function calendarDay(raw: string): boolean {
  const [year, month, day] = raw.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dateTime(name: string, raw: string | undefined): string {
  if (raw === undefined) throw new InvalidParameterError(name, `${name} is required with this timerel`);
  if (!DATE_TIME.test(raw) || Number.isNaN(Date.parse(raw)) || !calendarDay(raw)) throw new InvalidParameterError(name, `${name} must be an RFC 3339 date-time with a time zone, e.g. 2024-05-01T12:00:00Z; got '${raw.slice(0, 40)}'`);
  return raw;
}

/** timerel with timeAt (and endTimeAt for between), clause 4.11; none of them: the whole history. */
export function readTimeWindow(timerel: string | undefined, timeAt: string | undefined, endTimeAt: string | undefined): TimeWindow | null {
  if (timerel === undefined) {
    if (timeAt !== undefined || endTimeAt !== undefined) throw new InvalidParameterError('timerel', 'timeAt and endTimeAt need a timerel (before, after or between)');
    return null;
  }
  if (timerel !== 'before' && timerel !== 'after' && timerel !== 'between') throw new InvalidParameterError('timerel', `timerel is before, after or between; got '${timerel.slice(0, 20)}'`);
  const at = dateTime('timeAt', timeAt);
  if (timerel !== 'between') {
    if (endTimeAt !== undefined) throw new InvalidParameterError('endTimeAt', 'endTimeAt goes with timerel=between only');
    return { relation: timerel, timeAt: at, endTimeAt: null };
  }
  const end = dateTime('endTimeAt', endTimeAt);
  if (Date.parse(end) <= Date.parse(at)) throw new InvalidParameterError('endTimeAt', 'endTimeAt must be later than timeAt');
  return { relation: 'between', timeAt: at, endTimeAt: end };
}

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * An ISO 8601 duration as calendar months and fixed microseconds. A period mixing months with days
 * or time has no single length to lay periods by, so placelink refuses it (say P1M or P30D).
 */
export function readPeriod(raw: string): AggregationPeriod {
  const match = DURATION.exec(raw);
  if (!match || raw === 'P' || raw.endsWith('T')) throw new InvalidParameterError('aggrPeriodDuration', `aggrPeriodDuration is an ISO 8601 duration such as PT1H or P1D; got '${raw.slice(0, 40)}'`);
  const [, years = '0', months = '0', weeks = '0', days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  const calendar = Number(years) * 12 + Number(months);
  const microseconds = Math.round((((Number(weeks) * 7 + Number(days)) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1e6);
  if (calendar > 0 && microseconds > 0) throw new InvalidParameterError('aggrPeriodDuration', 'aggrPeriodDuration mixes years or months with days or time; give whole months (P1M) or a fixed length (P30D)');
  return { months: calendar, microseconds };
}

function readAggregation(methodsRaw: string | undefined, periodRaw: string | undefined): Aggregation {
  if (methodsRaw === undefined) throw new InvalidParameterError('aggrMethods', `the aggregated representation needs aggrMethods (${AGGREGATION_METHODS.join(', ')})`);
  const methods = methodsRaw.split(',').map((m) => m.trim());
  for (const method of methods) {
    if (!(AGGREGATION_METHODS as readonly string[]).includes(method)) throw new InvalidParameterError('aggrMethods', `aggrMethods may hold ${AGGREGATION_METHODS.join(', ')}; got '${method.slice(0, 30)}'`);
  }
  return { methods: [...new Set(methods)] as AggregationMethod[], period: readPeriod(periodRaw ?? 'P0D') };
}

/**
 * Splits the temporal representation off `format` and `options` (temporalValues, aggregatedValues)
 * and reads the temporal parameters; the rest is read (and unknown parameters refused) as for entities.
 */
function temporalPart(query: RawQuery): { rest: RawQuery; view: Omit<TemporalView, 'entity'> } {
  // The entity API's datasetId filter and linked entity retrieval are not applied to temporal representations yet: refused rather than ignored.
  for (const name of ['datasetId', 'join', 'joinLevel']) if (query[name] !== undefined) throw new OperationNotSupportedError(`the parameter ${name} is not supported by placelink on the temporal API`);
  const options = (single(query, 'options') ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const temporalOptions = options.filter((o) => o === 'temporalValues' || o === 'aggregatedValues');
  if (temporalOptions.length > 1) throw new UnknownRepresentationError('options', 'options may name one of temporalValues and aggregatedValues');
  const formatRaw = single(query, 'format');
  if (formatRaw !== undefined && !Object.hasOwn(TEMPORAL_FORMATS, formatRaw)) {
    throw new UnknownRepresentationError('format', `format must be one of ${Object.keys(TEMPORAL_FORMATS).join(', ')}; got '${formatRaw.slice(0, 40)}'`);
  }
  const fromFormat = formatRaw === undefined ? undefined : TEMPORAL_FORMATS[formatRaw];
  const fromOptions = temporalOptions[0] as TemporalFormat | undefined;
  const rest: RawQuery = { ...query };
  const entityOptions = options.filter((o) => o !== 'temporalValues' && o !== 'aggregatedValues');
  rest['options'] = entityOptions.length ? entityOptions.join(',') : undefined;
  rest['format'] = fromFormat === 'concise' ? 'concise' : undefined;
  for (const name of TEMPORAL_PARAMETERS) delete rest[name];

  const timePropertyRaw = single(query, 'timeproperty') ?? 'observedAt';
  if (!(TIME_PROPERTIES as readonly string[]).includes(timePropertyRaw)) throw new InvalidParameterError('timeproperty', `timeproperty is one of ${TIME_PROPERTIES.join(', ')}; got '${timePropertyRaw.slice(0, 30)}'`);
  const lastNRaw = single(query, 'lastN');
  const format = fromFormat ?? fromOptions ?? (entityOptions.includes('concise') ? 'concise' : 'normalized');
  return {
    rest,
    view: {
      format,
      window: readTimeWindow(single(query, 'timerel'), single(query, 'timeAt'), single(query, 'endTimeAt')),
      timeProperty: timePropertyRaw as TimeProperty,
      lastN: lastNRaw === undefined ? null : integerValue('lastN', lastNRaw, { minimum: 1, maximum: 1_000_000, fallback: 1 }),
      aggregation: format === 'aggregatedValues' ? readAggregation(single(query, 'aggrMethods'), single(query, 'aggrPeriodDuration')) : null,
    },
  };
}

/** GET /temporal/entities: the entity selection (with the minimal-filter rule), the page and the temporal view. */
export function readTemporalQuery(query: RawQuery): { selection: EntitySelectionParameters; page: EntityPage; view: TemporalView } {
  const { rest, view } = temporalPart(query);
  const entity = readEntityQuery(rest);
  return { selection: entity.selection, page: entity.page, view: { ...view, entity: entity.view } };
}

/** GET /temporal/entities/{entityId}. */
export function readTemporalRetrieve(query: RawQuery): { types: EntityTypeSelection | null; view: TemporalView } {
  const { rest, view } = temporalPart(query);
  const entity = readRetrieve(rest);
  return { types: entity.types, view: { ...view, entity: entity.view } };
}

const TEMPORAL_Q_MEMBERS = ['timerel', 'timeAt', 'endTimeAt', 'timeproperty'];

/** POST /temporal/entityOperations/query: a Query with its temporalQ, and the view parameters of the URL. */
export function readTemporalQueryBody(body: unknown, url: RawQuery): { selection: EntitySelectionParameters; page: EntityPage; view: TemporalView } {
  for (const name of TEMPORAL_Q_MEMBERS) if (url[name] !== undefined) throw new InvalidParameterError(name, `${name} goes in the Query's temporalQ`);
  let time: RawQuery = {};
  let query = body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'temporalQ' in body) {
    const { temporalQ, ...rest } = body as Record<string, unknown>;
    if (temporalQ === null || typeof temporalQ !== 'object' || Array.isArray(temporalQ)) throw new InvalidInputError('temporalQ must be an object');
    for (const [name, value] of Object.entries(temporalQ)) {
      if (!TEMPORAL_Q_MEMBERS.includes(name)) throw new InvalidInputError(`temporalQ has no member ${name.slice(0, 40)}`);
      if (typeof value !== 'string') throw new InvalidInputError(`temporalQ.${name} must be a string`);
    }
    time = temporalQ as RawQuery;
    query = rest;
  }
  const { rest, view } = temporalPart({ ...url, ...time });
  if (query !== null && typeof query === 'object' && ('join' in query || 'joinLevel' in query)) throw new OperationNotSupportedError('linked entity retrieval (join) is not supported by placelink on the temporal API');
  const entity = readQueryBody(query, rest);
  return { selection: entity.selection, page: entity.page, view: { ...view, entity: entity.view } };
}
