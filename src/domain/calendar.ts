/**
 * Date and date-time text as placelink reads it in stored properties. These mirror the SQL
 * functions placelink_date and placelink_timestamp (migration 0020): what passes here, PostgreSQL
 * casts without error.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d+)?)?([Zz]|[+-](0\d|1[0-5]):?[0-5]\d)?$/;

/** A day that exists in the proleptic Gregorian calendar, years 1–9999. */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** YYYY-MM-DD of a real day. */
export function isDateText(text: string): boolean {
  const m = DATE.exec(text);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** An RFC 3339 date-time (T or space, seconds optional, offset optional meaning UTC) of a real day. */
export function isTimestampText(text: string): boolean {
  const m = TIMESTAMP.exec(text);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}
