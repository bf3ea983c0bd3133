import type { DatastreamInfo, LocationEntry } from '../../domain/datastream.js';
import type { ObservationRules } from '../../domain/mapping.js';
import { checkObservation, type ObservationInput, type ObservationRecord, type RecordSummary } from '../../domain/observation.js';
import type { SensorPorts } from '../ports/sensor-ports.js';

/** Rows per INSERT statement (one round trip, bounded parameter arrays). */
const STATEMENT_ROWS = 5000;

export interface IncomingObservation {
  /** Position in the batch as the client sent it (for per-item results). */
  readonly index: number;
  /** null: the datastream the item names does not exist. */
  readonly datastream: DatastreamInfo | null;
  /** How the item named its datastream (for messages). */
  readonly datastreamRef: string;
  readonly input: ObservationInput;
  /** A place the payload gave for the sensor at the observation's time. */
  readonly location?: LocationEntry | null;
  /** The stored FeatureOfInterest the observation observed. */
  readonly featureOfInterestKey?: number | null;
}

export interface RecordContext {
  /** Timestamp rules of the source a datastream belongs to. */
  readonly rules: (sourceId: string) => Pick<ObservationRules, 'withoutZone' | 'oddOffsets'>;
  readonly maxFutureMs: number;
  readonly now?: number;
}

export interface RecordOutcome extends RecordSummary {
  /** Datastreams whose place changed (their links need a refresh). */
  readonly moved: number[];
}

/**
 * Checks and stores a batch of observations: unknown datastreams, results of the wrong type,
 * unreadable or future timestamps are rejected with a reason; the rest is stored idempotently
 * (an observation already stored counts as a duplicate, not an error).
 */
export async function recordObservations(store: SensorPorts, batch: readonly IncomingObservation[], context: RecordContext): Promise<RecordOutcome> {
  const now = context.now ?? Date.now();
  const records: ObservationRecord[] = [];
  const summary: RecordOutcome = { inserted: 0, duplicates: 0, rejected: [], moved: [] };
  const locations: { key: number; location: LocationEntry }[] = [];
  for (const item of batch) {
    if (!item.datastream) {
      summary.rejected.push({ index: item.index, status: 'unknown-datastream', reason: `datastream '${item.datastreamRef}' does not exist` });
      continue;
    }
    const checked = checkObservation(item.datastream.key, item.input, {
      rules: context.rules(item.datastream.sourceId),
      resultType: item.datastream.resultType,
      maxFutureMs: context.maxFutureMs,
      now,
    });
    if ('problem' in checked) {
      summary.rejected.push({ index: item.index, status: 'invalid', reason: checked.problem });
      continue;
    }
    records.push(item.featureOfInterestKey ? { ...checked.value, featureOfInterestKey: item.featureOfInterestKey } : checked.value);
    if (item.location) locations.push({ key: item.datastream.key, location: { time: checked.value.phenomenonTime, geometry: item.location.geometry } });
  }
  for (let start = 0; start < records.length; start += STATEMENT_ROWS) {
    const chunk = records.slice(start, start + STATEMENT_ROWS);
    const { inserted } = await store.sensors.insertObservations(chunk);
    summary.inserted += inserted;
    summary.duplicates += chunk.length - inserted;
  }
  if (locations.length) summary.moved.push(...(await store.sensors.moveDatastreams(locations)));
  return summary;
}
