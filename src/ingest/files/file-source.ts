import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import type { Geometry } from 'geojson';
import { wktToGeoJSON } from '@terraformer/wkt';
import { SourceFormatError } from '../../domain/errors.js';
import type { RunWarning } from '../../domain/harvest-run.js';
import type { FileSource, GeometryRules } from '../../domain/mapping.js';
import { CRS84, resolveCrs } from '../../geo/crs-registry.js';
import { positionTransform, transformGeometry } from '../../geo/reproject.js';
import { RECORDS_PER_PAGE, type FeatureSourceReader, type SourcePage } from '../feature-source.js';
import { legacyCrs } from '../geojson/geojson-records.js';
import { streamGeoJsonRecords, type GeoJsonMembers } from '../geojson/geojson-stream.js';
import { readGml, type GmlReadResult } from '../gml/gml-reader.js';
import type { SourceRecord } from '../source-record.js';

async function* slices(records: AsyncIterable<SourceRecord> | Iterable<SourceRecord>, name: string): AsyncIterable<SourcePage> {
  let buffer: SourceRecord[] = [];
  let first = 0;
  for await (const record of records) {
    buffer.push(record);
    if (buffer.length === RECORDS_PER_PAGE) {
      yield { records: buffer, label: `${name} features ${first}–${first + buffer.length - 1}` };
      first += buffer.length;
      buffer = [];
    }
  }
  if (buffer.length) yield { records: buffer, label: `${name} features ${first}–${first + buffer.length - 1}` };
}

/** A GeoJSON, GML or CSV file, streamed in slices of 1000 features. */
export function fileSource(source: FileSource, geometry: Pick<GeometryRules, 'densifyTolerance'>): FeatureSourceReader {
  const name = path.basename(source.path);
  const warnings: RunWarning[] = [];
  const crs = source.crs ? resolveCrs(source.crs, 'source.crs') : null;
  let sourceSrid = crs?.srid ?? 4326;

  async function* geojson(): AsyncIterable<SourcePage> {
    const members: GeoJsonMembers = {};
    yield* slices(streamGeoJsonRecords(createReadStream(source.path), { crs, axisOrder: source.axisOrder, source: name }, members), name);
    sourceSrid = (crs ?? legacyCrs(members) ?? CRS84).srid;
  }

  async function* gml(): AsyncIterable<SourcePage> {
    const result: GmlReadResult = { collection: { numberMatched: null, numberReturned: null, next: null }, warnings };
    const records = readGml(createReadStream(source.path), { defaultCrs: source.crs, ignoreSrsName: source.ignoreSrsName, axisOrder: source.axisOrder, densifyTolerance: geometry.densifyTolerance, source: name }, result);
    const wanted = source.featureTypes ? new Set(source.featureTypes) : null;
    async function* ofWantedTypes(): AsyncIterable<SourceRecord> {
      for await (const record of records) if (!wanted || (record.type && wanted.has(record.type))) yield record;
    }
    yield* slices(ofWantedTypes(), name);
  }

  async function* csv(): AsyncIterable<SourcePage> {
    const columns = source.csv!;
    const ref = crs!;
    const reference = source.axisOrder === 'auto' ? { ...ref, swapAxes: false } : { ...ref, swapAxes: source.axisOrder === 'yx' };
    const transform = positionTransform(reference, 4326);
    const parser = createReadStream(source.path).pipe(parseCsv({ columns: true, delimiter: columns.delimiter, bom: true, skip_empty_lines: true, trim: true, info: true }));
    async function* records(): AsyncIterable<SourceRecord> {
      let index = 0;
      try {
        for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
          const location = `${name} line ${info.lines}`;
          const geometryColumns = 'wkt' in columns.geometry ? [columns.geometry.wkt] : [columns.geometry.x, columns.geometry.y, ...(columns.geometry.z ? [columns.geometry.z] : [])];
          const properties = Object.fromEntries(Object.entries(record).filter(([key]) => !geometryColumns.includes(key)));
          let geometry: Geometry | null = null;
          let problem: string | null = null;
          if ('wkt' in columns.geometry) {
            const text = record[columns.geometry.wkt];
            if (text) {
              try {
                geometry = transformGeometry(wktToGeoJSON(text), transform);
              } catch (error) {
                problem = `column ${columns.geometry.wkt} is not WKT: ${(error as Error).message}`;
              }
            }
          } else {
            const { x, y, z } = columns.geometry;
            const values = [record[x], record[y], ...(z ? [record[z]] : [])];
            if (values.every((v) => v !== undefined && v !== '')) {
              const numbers = values.map((v) => Number(v!.replace(',', '.')));
              if (numbers.every(Number.isFinite)) geometry = { type: 'Point', coordinates: transform(numbers) };
              else problem = `columns ${[x, y, z].filter(Boolean).join(', ')} do not hold numbers (${values.join(', ')})`;
            }
          }
          yield {
            id: null,
            properties,
            geometries: problem ? [{ name: 'geometry', geometry: null, problem }] : geometry ? [{ name: 'geometry', geometry }] : [],
            location: `${location} (row ${index++})`,
          };
        }
      } catch (error) {
        const where = (error as { lines?: number }).lines;
        throw new SourceFormatError(`${name} is not valid CSV${where ? ` at line ${where}` : ''}: ${(error as Error).message}`, where ?? null, null);
      }
    }
    yield* slices(records(), name);
  }

  return {
    description: source.path,
    get sourceSrid() {
      return sourceSrid;
    },
    pages: () => (source.format === 'geojson' ? geojson() : source.format === 'gml' ? gml() : csv()),
    expected: () => null,
    unverified: () => null,
    warnings,
  };
}
