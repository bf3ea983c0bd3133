/** A statement and its bound values; text never contains request data, only `$n` placeholders. */
export interface SqlQuery {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Set for fixed-shape hot statements so each connection prepares them once. */
  readonly name?: string;
}

/** Collects bound values while a statement is assembled from fragments. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Binds a value and returns its placeholder. */
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Quotes an identifier that came from the catalog or a mapping (never from a request). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
