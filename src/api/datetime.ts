import { isCalendarDay } from '../domain/calendar.js';
import { InvalidParameterError } from '../domain/errors.js';
import type { TimeInterval } from '../domain/query.js';
import { quoted } from './query-values.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function invalid(name: string, raw: string, why: string): InvalidParameterError {
  return new InvalidParameterError(name, `${name} ${quoted(raw)} ${why}; use an RFC 3339 date-time (2018-02-12T23:20:50Z), a date, or an interval such as 2018-02-12T00:00:00Z/.. or ../2018-03-18`);
}

/** A full date covers the whole UTC day; a date-time is an instant. */
function parseMoment(name: string, text: string, raw: string): TimeInterval {
  const date = DATE.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (!isCalendarDay(y, m, d)) throw invalid(name, raw, `has no such date ${text}`);
    const start = new Date(Date.UTC(y, m - 1, d));
    return { start, end: new Date(start.getTime() + 86_400_000 - 1) };
  }
  const dateTime = DATE_TIME.exec(text);
  if (!dateTime) throw invalid(name, raw, 'is not a date, a date-time or an interval');
  const [y, mo, d, h, mi, s] = dateTime.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!isCalendarDay(y, mo, d) || h > 23 || mi > 59 || s > 60) throw invalid(name, raw, `has an impossible date or time ${text}`);
  const instant = new Date(text.replace(/z$/, 'Z').replace(/t/, 'T'));
  if (Number.isNaN(instant.getTime())) throw invalid(name, raw, 'cannot be read as a time');
  return { start: instant, end: instant };
}

/** A `datetime` value (OGC API, RFC 3339): an instant, a date, or an interval `start/end` where either end may be `..` or empty. */
export function parseDatetime(raw: string, name = 'datetime'): TimeInterval {
  const text = raw.trim();
  const parts = text.split('/');
  if (parts.length === 1) {
    if (text === '' || text === '..') throw invalid(name, raw, 'is empty');
    return parseMoment(name, text, raw);
  }
  if (parts.length !== 2) throw invalid(name, raw, 'has more than one "/"');
  const [from, to] = parts.map((p) => p.trim()) as [string, string];
  const start = from === '' || from === '..' ? null : parseMoment(name, from, raw).start;
  const end = to === '' || to === '..' ? null : parseMoment(name, to, raw).end;
  if (start && end && start > end) throw invalid(name, raw, 'ends before it starts');
  return { start, end };
}
