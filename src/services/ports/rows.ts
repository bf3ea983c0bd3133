/** Row shapes the store hands to the query services, shared by features and observations. */

/** A collection's item count and data version as of the snapshot a page was read in. */
export interface CollectionSnapshot {
  readonly total: number;
  readonly version: number;
}

/** Consecutive items of a page as one piece of GeoJSON text (features joined by commas). */
export interface PageChunk {
  /** Paging positions of the chunk's first and last item. */
  readonly firstSeq: string;
  readonly lastSeq: string;
  /** Items in this chunk; 0 for the marker that ends a page with items beyond it (`more`). */
  readonly n: number;
  readonly json: string;
  /** With sort keys: the sort key values (a JSON array) of the chunk's first and last item. */
  readonly firstKeys?: string;
  readonly lastKeys?: string;
  /** Items lie beyond the page in its reading direction. */
  readonly more: boolean;
  /** The collection's item count and data version, in the page's snapshot (as text: bigint). */
  readonly total: string;
  readonly version: string;
}

/** A feature as the store hands it out: its position in the stable order and its GeoJSON text. */
export interface FeatureRow {
  readonly seq: string;
  readonly json: string;
  /** The NGSI-LD entity id of the thing it describes, when it has one. */
  readonly ngsiLdId?: string | null;
}

/** Rows in batches (one per database fetch), holding a connection until consumed or closed. */
export interface RowStream<Row> extends AsyncIterable<readonly Row[]> {
  close(): Promise<void>;
}
