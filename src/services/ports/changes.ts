/**
 * What the store announces once a write has committed, whichever path wrote it (harvest, import,
 * sensor feeds and pulls, API writes): consumers (asset links today; subscriptions and publishing
 * tomorrow) follow the data without each write path having to call them.
 */

/** Features of a collection were inserted, updated, retired or purged: those with updates since `since`. */
export interface FeaturesChanged {
  readonly kind: 'features';
  readonly collectionKey: number;
  readonly collectionId: string;
  /** The committing transaction's start: changed features have `updated_at` at or after it. */
  readonly since: string;
  readonly inserted: number;
  readonly updated: number;
  readonly retired: number;
  readonly purged: number;
}

/** Observations were stored (duplicates of stored ones are not counted). */
export interface ObservationsStored {
  readonly kind: 'observations';
  readonly datastreamKeys: readonly number[];
  readonly inserted: number;
}

/** Links between assets and datastreams were opened, closed or changed. */
export interface LinksChanged {
  readonly kind: 'links';
  readonly datastreamKeys: readonly number[];
  readonly opened: number;
  readonly closed: number;
  readonly updated: number;
}

export type ChangeEvent = FeaturesChanged | ObservationsStored | LinksChanged;

export type ChangeListener = (event: ChangeEvent) => Promise<void>;

/** Where consumers register; listeners run after the commit, one event at a time per publisher call. */
export interface ChangeFeed {
  subscribe(listener: ChangeListener): () => void;
}

/** The store's side: announces committed changes and waits for the listeners. */
export interface ChangePublisher {
  publish(event: ChangeEvent): Promise<void>;
}
