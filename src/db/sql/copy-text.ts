/** Fields of COPY … FROM STDIN in PostgreSQL's text format. */

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text field: \N for null; backslash, tab, newline and carriage return escaped. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}

/** A json or jsonb field from a JavaScript value (null and undefined give SQL NULL). */
export const copyJson = (value: unknown): string => copyField(value === null || value === undefined ? null : JSON.stringify(value));
