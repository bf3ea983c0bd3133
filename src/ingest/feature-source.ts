import type { RunWarning } from '../domain/harvest-run.js';
import type { SourceRecord } from './source-record.js';

/** Records as one request (or one slice of a file) delivered them; at most a page size of them. */
export interface SourcePage {
  readonly records: readonly SourceRecord[];
  /** Which request or part of the file, for messages: `GetFeature STARTINDEX=5000`. */
  readonly label: string;
}

/** Set by the harvester after it wrote a page, before it asks for the next one. */
export interface PageFeedback {
  /** How many of the page's ids the run had not read before. */
  newIds: number;
}

/** An upstream read as pages of source records (WFS, OGC API Features, a file). */
export interface FeatureSourceReader {
  /** The upstream as it may be shown (secrets redacted). */
  readonly description: string;
  /** EPSG code the data is published in (recorded on the collection and offered as an output CRS). */
  readonly sourceSrid: number;
  pages(feedback: PageFeedback): AsyncIterable<SourcePage>;
  /** Once the pages are read: the total the source announced, if it did and it can be trusted. */
  expected(): number | null;
  /**
   * Once the pages are read: why the source cannot show it delivered everything (no total to check
   * against, a bbox filter), or null when it can. Vanished features are then left alone.
   */
  unverified(): string | null;
  readonly warnings: RunWarning[];
}

export const RECORDS_PER_PAGE = 1000;
