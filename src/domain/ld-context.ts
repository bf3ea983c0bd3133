/**
 * JSON-LD @contexts as NGSI-LD keeps them (clause 5.13.1): copies of published contexts (Cached),
 * contexts clients add (Hosted) and contexts the service makes for a request (ImplicitlyCreated).
 */
export type LdContextKind = 'Cached' | 'Hosted' | 'ImplicitlyCreated';

export const LD_CONTEXT_KINDS: readonly LdContextKind[] = ['Cached', 'Hosted', 'ImplicitlyCreated'];

/** The kinds placelink stores in its database and serves at its own URL. */
export type StoredLdContextKind = Exclude<LdContextKind, 'Cached'>;

/** What is known of a stored @context besides its document. */
export interface StoredLdContext {
  /** Its local id (a UUID): the last segment of its URL. */
  readonly id: string;
  readonly kind: StoredLdContextKind;
  /** RFC 3339. */
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  /** How many requests used it. */
  readonly hits: number;
}

/** Uses of a stored @context since they were last recorded. */
export interface LdContextUse {
  readonly id: string;
  readonly hits: number;
  /** The last use, RFC 3339. */
  readonly at: string;
}
