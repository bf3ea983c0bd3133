/**
 * The lexical pieces the NGSI-LD request languages share (q, type selection, projection, georel):
 * names, URIs, JSON numbers, and positions as users count them.
 */

/** ETSI GS CIM 009 clause 4.9 AttrName and EntityType, also used by 4.21: a Unicode letter, then letters, digits and '_'. */
const NAME = /\p{L}[\p{L}\p{N}_]*/uy;

const WHOLE_NAME = /^\p{L}[\p{L}\p{N}_]*$/u;
/** Clause 4.6.2: a name, optionally prefixed to avoid clashes (`prefix:name`). */
const PREFIXED_NAME = /^\p{L}[\p{L}\p{N}_]*(?::\p{L}[\p{L}\p{N}_]*)?$/u;
/** RFC 3986 scheme, then anything a URI or IRI (RFC 3987) may hold; percent escapes are checked apart. */
// eslint-disable-next-line no-control-regex
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\u0000-\u0020\u007F"<>\\^`{|}]+$/u;
const BROKEN_PERCENT_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** RFC 8259 section 6 number. */
export const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** The name that starts at `index`, or null. */
export function nameAt(text: string, index: number): string | null {
  NAME.lastIndex = index;
  return NAME.exec(text)?.[0] ?? null;
}

export function isName(text: string): boolean {
  return WHOLE_NAME.test(text);
}

export function isPrefixedName(text: string): boolean {
  return PREFIXED_NAME.test(text);
}

export function isAbsoluteUri(text: string): boolean {
  return ABSOLUTE_URI.test(text) && !BROKEN_PERCENT_ESCAPE.test(text);
}

/** 1-based position counted in Unicode code points, as a user counts characters. */
export function characterAt(text: string, index: number): string {
  return `character ${[...text.slice(0, index)].length + 1}`;
}

/** What stands at `index`, for the "found" part of a syntax error. */
export function describeFoundAt(text: string, index: number, parameter: string): string {
  if (index >= text.length) return `the end of ${parameter}`;
  const ch = String.fromCodePoint(text.codePointAt(index)!);
  return /\p{C}|\s/u.test(ch) ? `character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `'${ch}'`;
}

/** A stretch of the input quoted for an error message, shortened when long. */
export function quoteExcerpt(excerpt: string): string {
  const chars = [...excerpt];
  return `'${chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : excerpt}'`;
}
