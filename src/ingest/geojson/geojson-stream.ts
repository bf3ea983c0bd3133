import { TextDecoder } from 'node:util';
import { getManyValues, isMany, none } from 'stream-chain/core';
import Assembler from 'stream-json/core/assembler.js';
import { jsonParser } from 'stream-json/core/parser.js';
import { SourceFormatError } from '../../domain/errors.js';
import type { SourceRecord } from '../source-record.js';
import { geoJsonFrame, geoJsonRecord, legacyCrs, type GeoJsonFrame, type GeoJsonReadOptions } from './geojson-records.js';

/** The members of a GeoJSON document other than `features` (type, crs, numberMatched, links …), as far as read. */
export type GeoJsonMembers = Record<string, unknown>;

type Token = { readonly name: string; readonly value?: unknown };

/**
 * Streams the features of a GeoJSON FeatureCollection (or a single Feature) one at a time with
 * stream-json's tokenizer: only the feature being assembled is in memory. The other top-level
 * members land in `members` as they are met. The text is tokenized line by line so that a syntax
 * error names its line and the feature it is in.
 */
export async function* streamGeoJsonFeatures(chunks: AsyncIterable<Uint8Array | string>, source: string, members: GeoJsonMembers): AsyncGenerator<unknown> {
  const parse = jsonParser({ streamValues: false });
  const decoder = new TextDecoder('utf-8');
  const ready: unknown[] = [];
  let line = 1;
  let depth = 0;
  let key: string | null = null;
  let inFeatures = false;
  let sawFeatures = false;
  let value: Assembler | null = null;
  let index = 0;

  const fail = (reason: string): never => {
    const where = inFeatures ? ` (in feature ${index})` : sawFeatures ? ` (after feature ${index - 1})` : '';
    throw new SourceFormatError(`${source} is not valid JSON at line ${line}${where}: ${reason.replace(/^Parser cannot parse input: /, '')}`, line, null);
  };

  const consume = (token: Token) => {
    if (value) {
      value.consume(token as Parameters<Assembler['consume']>[0]);
      if (!value.done) return;
      if (inFeatures) {
        ready.push(value.current);
        index++;
      } else if (key !== null) members[key] = value.current;
      value = null;
      return;
    }
    if (depth === 0) {
      if (token.name !== 'startObject') throw new SourceFormatError(`${source} is JSON but not a GeoJSON object`, null, null);
      depth = 1;
    } else if (inFeatures) {
      if (token.name === 'endArray') {
        inFeatures = false;
        depth = 1;
        return;
      }
      value = new Assembler();
      consume(token);
    } else if (token.name === 'keyValue') {
      key = String(token.value);
    } else if (token.name === 'endObject') {
      depth = 0;
    } else if (key === 'features' && token.name === 'startArray') {
      inFeatures = true;
      sawFeatures = true;
      depth = 2;
    } else {
      value = new Assembler();
      consume(token);
    }
  };

  const feed = (text: string) => {
    let start = 0;
    while (start < text.length) {
      const newline = text.indexOf('\n', start);
      const end = newline === -1 ? text.length : newline + 1;
      let result: unknown;
      try {
        result = parse(text.slice(start, end));
      } catch (error) {
        fail((error as Error).message);
      }
      if (isMany(result)) for (const token of getManyValues(result) as Token[]) consume(token);
      if (newline !== -1) line++;
      start = end;
    }
  };

  for await (const chunk of chunks) {
    feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (ready.length) yield ready.shift();
  }
  feed(decoder.decode());
  try {
    // stream-chain flushes a flushable by calling it with `none`.
    const rest = parse(none as unknown as string);
    if (isMany(rest)) for (const token of getManyValues(rest) as Token[]) consume(token);
  } catch {
    fail('the document ends before it is complete');
  }
  if (depth !== 0 || value) fail('the document ends before it is complete');
  while (ready.length) yield ready.shift();
  if (!sawFeatures) {
    if (members['type'] !== 'Feature') {
      // The members name what the document is instead (an SOS GetObservation response has request, service, observations…).
      const names = Object.keys(members).slice(0, 10);
      throw new SourceFormatError(`${source} is not a GeoJSON FeatureCollection or Feature (type is ${JSON.stringify(members['type'] ?? null)}; members: ${names.join(', ') || 'none'})`, null, null);
    }
    yield { ...members };
  } else if (members['type'] !== undefined && members['type'] !== 'FeatureCollection') {
    throw new SourceFormatError(`${source} has a features array but its type is ${JSON.stringify(members['type'])}, not FeatureCollection`, null, null);
  }
}

/**
 * Streams a GeoJSON document into source records (lon/lat). The legacy `crs` member applies when
 * it comes before the features, as GDAL and most writers put it; after them it is an error unless
 * the CRS is given (mapping source.crs), since earlier features were already read without it.
 */
export async function* streamGeoJsonRecords(chunks: AsyncIterable<Uint8Array | string>, options: GeoJsonReadOptions, members: GeoJsonMembers = {}): AsyncGenerator<SourceRecord> {
  let frame: GeoJsonFrame | null = null;
  let crsMemberSeen = false;
  let index = 0;
  for await (const feature of streamGeoJsonFeatures(chunks, options.source, members)) {
    if (!frame) {
      crsMemberSeen = members['crs'] !== undefined;
      frame = geoJsonFrame(options, legacyCrs(members));
    }
    yield geoJsonRecord(feature, index++, frame);
  }
  if (frame && !options.crs && !crsMemberSeen && legacyCrs(members)) {
    throw new SourceFormatError(`${options.source} names its CRS (crs member) after the features; set source.crs in the mapping to read it`, null, null);
  }
}
