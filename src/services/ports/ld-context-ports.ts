import type { LdContextUse, StoredLdContext, StoredLdContextKind } from '../../domain/ld-context.js';

/** The @contexts placelink hosts (kinds Hosted and ImplicitlyCreated). */
export interface LdContextStore {
  insert(context: { readonly id: string; readonly kind: StoredLdContextKind; readonly document: Readonly<Record<string, unknown>> }): Promise<StoredLdContext>;
  byId(id: string): Promise<StoredLdContext | null>;
  /** The document (`{"@context": …}`) of a stored context; null when there is none with this id. */
  document(id: string): Promise<Record<string, unknown> | null>;
  /** Oldest first; all kinds when `kind` is null. */
  list(kind: StoredLdContextKind | null): Promise<StoredLdContext[]>;
  /** False when there was none with this id. */
  remove(id: string): Promise<boolean>;
  /** Adds uses to the counters (contexts deleted meanwhile are skipped). */
  recordUses(uses: readonly LdContextUse[]): Promise<void>;
}
