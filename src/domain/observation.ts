import { daysFromCivil, isCalendarDay } from './calendar.js';
import type { ObservationRules, ResultType } from './mapping.js';

/** An observation ready to be stored: its datastream resolved, its times normalised to RFC 3339 UTC. */
export interface ObservationRecord {
  readonly datastreamKey: number;
  readonly phenomenonTime: string;
  /** Equal to phenomenonTime for an instant. */
  readonly phenomenonEnd: string;
  /** Epoch milliseconds of phenomenonTime and phenomenonEnd, sub-millisecond digits cut off. */
  readonly phenomenonStartMs: number;
  readonly phenomenonEndMs: number;
  readonly resultTime: string | null;
  /** Any JSON value, as the source gave it. */
  readonly result: unknown;
  readonly resultQuality: unknown;
  readonly validStart: string | null;
  readonly validEnd: string | null;
  readonly parameters: unknown;
  readonly upstreamId: string | null;
  /** The stored FeatureOfInterest it observed, if the source said. */
  readonly featureOfInterestKey: number | null;
}

/** An observation as a source delivered it, before it is checked. */
export interface ObservationInput {
  readonly phenomenonTime: unknown;
  readonly resultTime?: unknown;
  readonly result: unknown;
  readonly resultQuality?: unknown;
  readonly validTime?: unknown;
  readonly parameters?: unknown;
  readonly upstreamId?: unknown;
}

/** The members of a SensorThings Observation entity (JSON or an MQTT payload) that make an ObservationInput. */
export function sensorThingsObservationInput(entity: Readonly<Record<string, unknown>>): ObservationInput {
  return {
    phenomenonTime: entity['phenomenonTime'],
    resultTime: entity['resultTime'],
    result: entity['result'],
    resultQuality: entity['resultQuality'],
    validTime: entity['validTime'],
    parameters: entity['parameters'],
    upstreamId: entity['@iot.id'],
  };
}

export type Checked<T> = { readonly value: T } | { readonly problem: string };

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(.*)$/;

function validCalendar(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return isCalendarDay(y, mo, d) && h < 24 && mi < 60 && s < 61;
}

type TimeRules = Pick<ObservationRules, 'withoutZone' | 'oddOffsets'>;

/** The zone designator as ±hh:mm or Z, or why it cannot be used under the rules. */
function zoneOf(zone: string, rules: TimeRules): Checked<string> {
  if (zone === 'Z' || zone === 'z') return { value: 'Z' };
  if (/^[+-]\d{2}:\d{2}$/.test(zone)) return { value: zone };
  if (zone === '') {
    if (rules.withoutZone === 'reject') return { problem: 'has no time zone (the mapping rejects zone-less timestamps; set observations.withoutZone to utc or an offset to accept them)' };
    return { value: rules.withoutZone === 'utc' ? 'Z' : rules.withoutZone };
  }
  const odd = /^([+-]\d{2}):?(\d{2})?[Zz]?$/.exec(zone);
  if (!odd) return { problem: `has an unreadable time zone '${zone}'` };
  if (rules.oddOffsets === 'reject') return { problem: `has the offset '${zone}', not in the RFC 3339 form ±hh:mm (the mapping rejects odd offsets)` };
  return { value: `${odd[1]}:${odd[2] ?? '00'}` };
}

function epochMillis(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number): number {
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
}

/** The digit at `i` of `text`, or NaN. */
function digitAt(text: string, i: number): number {
  const code = text.charCodeAt(i) - 48;
  return code >= 0 && code <= 9 ? code : NaN;
}

const twoDigits = (text: string, i: number) => digitAt(text, i) * 10 + digitAt(text, i + 1);

/**
 * Epoch milliseconds of a timestamp already in the form stored as given (YYYY-MM-DDTHH:MM:SS,
 * optional fraction, Z or ±HH:MM), read without a regular expression: the common case of every
 * observation. null for any other form (normaliseInstant's full reading decides).
 */
function rfc3339Millis(text: string): number | null {
  const n = text.length;
  if (n < 20 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return null;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const [month, day, hour, minute, second] = [twoDigits(text, 5), twoDigits(text, 8), twoDigits(text, 11), twoDigits(text, 14), twoDigits(text, 17)];
  let i = 19;
  let millis = 0;
  if (text[i] === '.') {
    const start = ++i;
    while (i < n && digitAt(text, i) >= 0) i++;
    if (i === start || i - start > 9) return null;
    for (let k = start; k < start + 3; k++) millis = millis * 10 + (k < i ? digitAt(text, k) : 0);
  }
  let offset = 0;
  if (text[i] === 'Z' && i === n - 1) offset = 0;
  else if ((text[i] === '+' || text[i] === '-') && i === n - 6 && text[i + 3] === ':') {
    const [hours, minutes] = [twoDigits(text, i + 1), twoDigits(text, i + 4)];
    if (!(hours < 16 && minutes < 60)) return null;
    offset = (text[i] === '-' ? -1 : 1) * (hours * 60 + minutes);
  } else return null;
  // NaN (a non-digit) fails every comparison, as does an impossible date or a leap second
  if (!(validCalendar(year, month, day, hour, minute, second) && second < 60)) return null;
  return epochMillis(year, month, day, hour, minute - offset, second, millis);
}

/**
 * An instant as RFC 3339 text with an explicit zone (sub-millisecond digits kept for the database)
 * and its epoch milliseconds. Zone-less times and offsets such as -0700 or -0700Z are read or
 * rejected as the mapping says.
 */
export function normaliseInstant(raw: unknown, rules: TimeRules): Checked<{ text: string; ms: number }> {
  if (typeof raw !== 'string') return { problem: `must be an ISO 8601 date-time string, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}` };
  const ms = rfc3339Millis(raw);
  if (ms !== null) return { value: { text: raw, ms } };
  const trimmed = raw.trim();
  const match = TIMESTAMP.exec(trimmed);
  if (!match) return { problem: `'${raw}' is not an ISO 8601 date-time` };
  const [, y, mo, d, separator, h, mi, seconds, fraction = '', zone = ''] = match;
  const [year, month, day, hour, minute, second] = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(seconds ?? 0)];
  if (!validCalendar(year, month, day, hour, minute, second)) return { problem: `'${raw}' is not a valid date and time` };
  if (second === 60) return { problem: `'${raw}' cannot be read as a time` };
  const zoned = zoneOf(zone.trim(), rules);
  if ('problem' in zoned) return { problem: `'${raw}' ${zoned.problem}` };
  const offsetMinutes = zoned.value === 'Z' ? 0 : (zoned.value[0] === '-' ? -1 : 1) * (Number(zoned.value.slice(1, 3)) * 60 + Number(zoned.value.slice(4, 6)));
  if (Math.abs(offsetMinutes) >= 16 * 60 || Number(zoned.value.slice(4, 6)) > 59) return { problem: `'${raw}' has an offset beyond ±15:59` };
  const canonical = separator === 'T' && seconds !== undefined && zone === zoned.value;
  const text = canonical ? trimmed : `${y}-${mo}-${d}T${h}:${mi}:${seconds ?? '00'}${fraction}${zoned.value}`;
  const millis = fraction ? Number(fraction.slice(1, 4).padEnd(3, '0')) : 0;
  return { value: { text, ms: epochMillis(year, month, day, hour, minute - offsetMinutes, second, millis) } };
}

export interface NormalisedTime {
  readonly start: { readonly text: string; readonly ms: number };
  readonly end: { readonly text: string; readonly ms: number };
}

/** An instant, or an interval `start/end` (ISO 8601), as start and end. */
export function normaliseTimeOrInterval(raw: unknown, rules: TimeRules): Checked<NormalisedTime> {
  if (typeof raw === 'string' && raw.includes('/')) {
    const [from, to, ...rest] = raw.split('/');
    if (rest.length) return { problem: `'${raw}' has more than one '/'` };
    const start = normaliseInstant(from, rules);
    if ('problem' in start) return start;
    const end = normaliseInstant(to, rules);
    if ('problem' in end) return end;
    if (end.value.ms < start.value.ms) return { problem: `'${raw}' ends before it starts` };
    return { value: { start: start.value, end: end.value } };
  }
  const instant = normaliseInstant(raw, rules);
  if ('problem' in instant) return instant;
  return { value: { start: instant.value, end: instant.value } };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Why a result does not fit the datastream's declared type, or null when it does. */
export function resultProblem(result: unknown, type: ResultType): string | null {
  if (result === undefined) return 'has no result';
  const actual = jsonType(result);
  switch (type) {
    case 'any':
      return ['string', 'number', 'boolean', 'object', 'array', 'null'].includes(actual) ? null : `has a result of type ${actual}`;
    case 'number':
      return actual === 'number' && Number.isFinite(result) ? null : `result ${JSON.stringify(result)} is not a number (the datastream's results are numbers)`;
    case 'integer':
      return actual === 'number' && Number.isInteger(result) ? null : `result ${JSON.stringify(result)} is not an integer (the datastream's results are integers)`;
    default:
      return actual === type ? null : `result ${JSON.stringify(result)} is ${actual === 'object' || actual === 'array' ? `an ${actual}` : `a ${actual}`}, not ${type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`} (the datastream's declared result type)`;
  }
}

/** Result types implied by the O&M observation types SensorThings datastreams declare. */
export function resultTypeOf(observationType: string | null | undefined): ResultType {
  const name = observationType?.split('/').pop() ?? '';
  switch (name) {
    case 'OM_Measurement':
      return 'number';
    case 'OM_CountObservation':
      return 'integer';
    case 'OM_TruthObservation':
      return 'boolean';
    case 'OM_CategoryObservation':
      return 'string';
    default:
      return 'any';
  }
}

export interface ObservationCheck {
  readonly rules: TimeRules;
  readonly resultType: ResultType;
  /** Observations whose phenomenon time lies further in the future than this are rejected. */
  readonly maxFutureMs: number;
  readonly now: number;
}

/**
 * Where an incremental pull may continue after this observation: its phenomenon start, normalised,
 * when the time is readable under the rules and not beyond the allowed future. Such an observation
 * is settled (stored, or rejected for good); a future one may become acceptable later and an
 * unreadable time cannot be compared, so those give null and do not move the watermark.
 */
export function settledStart(input: Pick<ObservationInput, 'phenomenonTime'>, check: Omit<ObservationCheck, 'resultType'>): { text: string; ms: number } | null {
  const time = normaliseTimeOrInterval(input.phenomenonTime, check.rules);
  if ('problem' in time || time.value.end.ms > check.now + check.maxFutureMs) return null;
  return time.value.start;
}

/** Checks an observation of a known datastream; the record (without a FeatureOfInterest), or why it is rejected. */
export function checkObservation(datastreamKey: number, input: ObservationInput, check: ObservationCheck): Checked<ObservationRecord> {
  const time = normaliseTimeOrInterval(input.phenomenonTime, check.rules);
  if ('problem' in time) return { problem: `phenomenonTime: ${time.problem}` };
  if (time.value.end.ms > check.now + check.maxFutureMs) {
    return { problem: `phenomenonTime ${time.value.end.text} is more than ${Math.round(check.maxFutureMs / 1000)} s in the future` };
  }
  let resultTime: string | null = null;
  if (input.resultTime !== undefined && input.resultTime !== null) {
    const checked = normaliseInstant(input.resultTime, check.rules);
    if ('problem' in checked) return { problem: `resultTime: ${checked.problem}` };
    resultTime = checked.value.text;
  }
  const problem = resultProblem(input.result, check.resultType);
  if (problem) return { problem };
  let validStart: string | null = null;
  let validEnd: string | null = null;
  if (input.validTime !== undefined && input.validTime !== null) {
    const valid = normaliseTimeOrInterval(input.validTime, check.rules);
    if ('problem' in valid) return { problem: `validTime: ${valid.problem}` };
    validStart = valid.value.start.text;
    validEnd = valid.value.end.text;
  }
  const upstreamId = input.upstreamId === undefined || input.upstreamId === null ? null : typeof input.upstreamId === 'string' ? input.upstreamId : JSON.stringify(input.upstreamId);
  return {
    value: {
      datastreamKey,
      phenomenonTime: time.value.start.text,
      phenomenonEnd: time.value.end.text,
      phenomenonStartMs: time.value.start.ms,
      phenomenonEndMs: time.value.end.ms,
      resultTime,
      result: input.result,
      resultQuality: input.resultQuality ?? null,
      validStart,
      validEnd,
      parameters: input.parameters ?? null,
      upstreamId,
      featureOfInterestKey: null,
    },
  };
}

/** The outcome of recording a batch: counts and, per rejected item, its position and reason. */
export interface RecordSummary {
  /** Stored now. */
  inserted: number;
  /** Already stored before (same datastream, phenomenon time and result time). */
  duplicates: number;
  rejected: { readonly index: number; readonly reason: string; readonly status: 'unknown-datastream' | 'invalid' }[];
}

/** Where an observation stands in its collection's order: datastream key and epoch microseconds of phenomenon start, end and result time ('n': none). Also the observation's feature id. */
export interface ObservationPosition {
  readonly datastreamKey: number;
  readonly phenomenonTime: string;
  readonly phenomenonEnd: string;
  readonly resultTime: string;
}

/** Reads a position made by placelink_observation_seq (SQL); null when it is not one. */
export function parseObservationSeq(seq: string): ObservationPosition | null {
  const match = /^(\d{1,10})\.(-?\d{1,19})\.(-?\d{1,19})\.(-?\d{1,19}|n)$/.exec(seq);
  if (!match) return null;
  return { datastreamKey: Number(match[1]), phenomenonTime: match[2]!, phenomenonEnd: match[3]!, resultTime: match[4]! };
}

