import { existsSync } from 'node:fs';
import path from 'node:path';
import { UnsupportedCrsError } from '../domain/errors.js';
import type {
  CsvGeometryColumns,
  FileSource,
  HttpOptions,
  LonLatBox,
  Mapping,
  OgcApiFeaturesSource,
  PropertyPath,
  PropertyRule,
  SourceDefinition,
  ValueExpression,
  WfsSource,
} from '../domain/mapping.js';
import { unitConversion } from '../domain/units.js';
import { resolveCrs } from '../geo/crs-registry.js';

/** A problem found after the schema passed: the path of the field and what is wrong. */
export interface FieldIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What the normaliser knows besides the document: where it came from and which strings were ${VAR}s. */
export interface NormalizeContext {
  readonly file: string;
  /** Paths (joined with '/') of strings that came from ${VAR} substitution. */
  readonly substituted: ReadonlySet<string>;
  readonly issues: FieldIssue[];
}

type Raw = Record<string, unknown>;

const issue = (ctx: NormalizeContext, at: readonly (string | number)[], message: string) => ctx.issues.push({ path: at, message });

/** Durations as the schema accepts them (30s, 15m, PT1H …) in milliseconds. */
export function durationMs(text: string): number {
  const simple = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (simple) {
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[simple[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Math.round(Number(simple[1]) * factor);
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!iso) throw new Error(`not a duration: ${text}`);
  const [, d = '0', h = '0', m = '0', s = '0'] = iso;
  return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000);
}

export function toPath(raw: unknown): PropertyPath {
  return typeof raw === 'string' ? raw.split('.') : (raw as string[]);
}

const TEMPLATE_PLACEHOLDER = /\{([^{}]*)\}/g;

function templateParts(template: string): { parts: (string | PropertyPath)[]; problem?: string } {
  const parts: (string | PropertyPath)[] = [];
  let last = 0;
  for (const match of template.matchAll(TEMPLATE_PLACEHOLDER)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    if (!match[1]) return { parts, problem: 'has an empty {} placeholder' };
    parts.push(toPath(match[1]));
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  const rest = template.replace(TEMPLATE_PLACEHOLDER, '');
  if (rest.includes('{') || rest.includes('}')) return { parts, problem: 'has an unbalanced { or }' };
  return { parts };
}

function valueExpression(raw: unknown, at: readonly (string | number)[], ctx: NormalizeContext): ValueExpression | null {
  if (raw === undefined) return null;
  if (typeof raw === 'string') return { kind: 'path', path: toPath(raw) };
  const object = raw as Raw;
  if ('from' in object) return { kind: 'path', path: toPath(object['from']) };
  if ('value' in object) return { kind: 'constant', value: object['value'] as string | number | boolean };
  const template = String(object['template']);
  const { parts, problem } = templateParts(template);
  if (problem) issue(ctx, [...at, 'template'], problem);
  return { kind: 'template', template, parts };
}

function checkCrs(raw: unknown, at: readonly (string | number)[], ctx: NormalizeContext): string | null {
  if (raw === undefined) return null;
  try {
    resolveCrs(String(raw), at.join('.'));
  } catch (error) {
    if (!(error instanceof UnsupportedCrsError)) throw error;
    issue(ctx, at, error.message);
  }
  return String(raw);
}

function bbox(raw: unknown, at: readonly (string | number)[], ctx: NormalizeContext): LonLatBox | null {
  if (raw === undefined) return null;
  const [w, s, e, n] = raw as [number, number, number, number];
  if (!(w >= -180 && e <= 180 && s >= -90 && n <= 90 && w < e && s < n)) issue(ctx, at, `must be [minLon, minLat, maxLon, maxLat] in CRS84 with min < max (got ${JSON.stringify(raw)})`);
  return [w, s, e, n];
}

function http(raw: Raw, at: readonly (string | number)[], ctx: NormalizeContext): HttpOptions {
  const retries = raw['retries'] as Raw;
  const auth = (raw['auth'] as Raw | undefined) ?? null;
  if (auth) {
    for (const secret of ['password', 'token']) {
      if (secret in auth && !ctx.substituted.has([...at, 'auth', secret].join('/'))) {
        issue(ctx, [...at, 'auth', secret], 'must come from the environment as ${VAR}, not be written into the mapping file');
      }
    }
  }
  return {
    timeoutMs: durationMs(String(raw['timeout'])),
    retries: {
      attempts: Number(retries['attempts']),
      initialDelayMs: durationMs(String(retries['initialDelay'])),
      maxDelayMs: durationMs(String(retries['maxDelay'])),
    },
    headers: raw['headers'] as Record<string, string>,
    auth: auth as HttpOptions['auth'],
  };
}

function wfsSource(raw: Raw, ctx: NormalizeContext): WfsSource {
  return {
    type: 'wfs',
    url: String(raw['url']),
    typeName: String(raw['typeName']),
    version: raw['version'] as WfsSource['version'],
    outputFormat: raw['outputFormat'] as WfsSource['outputFormat'],
    crs: checkCrs(raw['crs'], ['source', 'crs'], ctx),
    axisOrder: raw['axisOrder'] as WfsSource['axisOrder'],
    pageSize: Number(raw['pageSize']),
    paging: raw['paging'] as WfsSource['paging'],
    bbox: bbox(raw['bbox'], ['source', 'bbox'], ctx),
    http: http(raw['http'] as Raw, ['source', 'http'], ctx),
  };
}

function ogcApiSource(raw: Raw, ctx: NormalizeContext): OgcApiFeaturesSource {
  return {
    type: 'ogcapi-features',
    url: String(raw['url']),
    collection: String(raw['collection']),
    crs: checkCrs(raw['crs'], ['source', 'crs'], ctx),
    axisOrder: raw['axisOrder'] as OgcApiFeaturesSource['axisOrder'],
    pageSize: Number(raw['pageSize']),
    bbox: bbox(raw['bbox'], ['source', 'bbox'], ctx),
    http: http(raw['http'] as Raw, ['source', 'http'], ctx),
  };
}

const FORMAT_BY_EXTENSION: Record<string, FileSource['format']> = {
  '.json': 'geojson',
  '.geojson': 'geojson',
  '.gml': 'gml',
  '.xml': 'gml',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
};

function fileSource(raw: Raw, ctx: NormalizeContext): FileSource {
  const file = path.resolve(path.dirname(ctx.file), String(raw['path']));
  if (!existsSync(file)) issue(ctx, ['source', 'path'], `file ${file} does not exist`);
  let format = raw['format'] as FileSource['format'] | 'auto';
  if (format === 'auto') {
    const detected = FORMAT_BY_EXTENSION[path.extname(file).toLowerCase()];
    if (!detected) issue(ctx, ['source', 'format'], `cannot tell the format from the extension of ${path.basename(file)}; set format to geojson, gml or csv`);
    format = detected ?? 'geojson';
  }
  const csv = raw['csv'] as Raw | undefined;
  let columns: CsvGeometryColumns | null = null;
  if (csv) {
    if (format !== 'csv') issue(ctx, ['source', 'csv'], `only applies to CSV files (this one is ${format})`);
    columns = 'wkt' in csv ? { wkt: String(csv['wkt']) } : { x: String(csv['x']), y: String(csv['y']), z: csv['z'] === undefined ? null : String(csv['z']) };
  } else if (format === 'csv') {
    issue(ctx, ['source', 'csv'], 'is required for CSV files: name the WKT column ({wkt: …}) or the coordinate columns ({x: …, y: …})');
  }
  if (format === 'csv' && raw['crs'] === undefined) issue(ctx, ['source', 'crs'], 'is required for CSV files (the file cannot say which CRS its coordinates are in)');
  return {
    type: 'file',
    path: file,
    format,
    crs: checkCrs(raw['crs'], ['source', 'crs'], ctx),
    axisOrder: raw['axisOrder'] as FileSource['axisOrder'],
    csv: columns ? { delimiter: String(csv?.['delimiter'] ?? (path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',')), geometry: columns } : null,
  };
}

/**
 * Normalisers per `source.type`. A new source family (sensorthings, mqtt, http-push) adds its schema
 * file under mappings/schema/, its type to SourceDefinition and its entry here.
 */
export const SOURCE_NORMALIZERS: Readonly<Record<string, (raw: Raw, ctx: NormalizeContext) => SourceDefinition>> = {
  wfs: wfsSource,
  'ogcapi-features': ogcApiSource,
  file: fileSource,
};

function propertyRule(raw: Raw, index: number, ctx: NormalizeContext): PropertyRule {
  const at = ['properties', 'rules', index];
  let unit: PropertyRule['unit'] = null;
  const rawUnit = raw['unit'] as Raw | undefined;
  if (rawUnit && 'from' in rawUnit) {
    const conversion = unitConversion(String(rawUnit['from']), String(rawUnit['to']));
    if ('problem' in conversion) issue(ctx, [...at, 'unit'], conversion.problem);
    else unit = { ...conversion, label: `${String(rawUnit['from'])} → ${String(rawUnit['to'])}` };
  } else if (rawUnit) {
    unit = { scale: Number(rawUnit['scale']), offset: Number(rawUnit['offset'] ?? 0), label: `× ${String(rawUnit['scale'])}` };
  }
  const cast = (raw['type'] as PropertyRule['cast'] | undefined) ?? null;
  if (unit && cast && !['number', 'integer'].includes(cast)) issue(ctx, [...at, 'type'], `a unit conversion gives a number, not ${cast}`);
  return {
    name: String(raw['name']),
    from: 'value' in raw ? null : toPath(raw['from'] ?? [String(raw['name'])]),
    constant: 'value' in raw ? { value: raw['value'] as PropertyRule['default'] & {} } : null,
    cast,
    codeValue: raw['codeValue'] === true,
    values: (raw['values'] as PropertyRule['values']) ?? null,
    unmatched: raw['unmatched'] as PropertyRule['unmatched'],
    unit,
    default: raw['default'] as PropertyRule['default'],
    required: raw['required'] === true,
    onInvalid: raw['onInvalid'] as PropertyRule['onInvalid'],
  };
}

const NGSI_LD_PLACEHOLDERS = new Set(['type', 'namespace', 'localId', 'versionId', 'id', 'collection']);

/** Turns a schema-valid document (defaults filled in) into a Mapping, collecting what the schema cannot check. */
export function normalizeMapping(raw: Raw, ctx: NormalizeContext): Mapping {
  const fileStem = path.basename(ctx.file).replace(/\.[^.]+$/, '');
  const id = typeof raw['id'] === 'string' ? raw['id'] : fileStem;
  if (raw['id'] === undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(fileStem)) {
    issue(ctx, ['id'], `is required because the file name '${fileStem}' is not a valid mapping id`);
  }
  const rawSource = raw['source'] as Raw;
  const source = SOURCE_NORMALIZERS[String(rawSource['type'])]!(rawSource, ctx);

  const target = raw['target'] as Raw;
  const identifiers = raw['identifiers'] as Raw;
  const ngsiLdId = String(identifiers['ngsiLdId']);
  for (const match of ngsiLdId.matchAll(TEMPLATE_PLACEHOLDER)) {
    if (!NGSI_LD_PLACEHOLDERS.has(match[1]!)) issue(ctx, ['identifiers', 'ngsiLdId'], `unknown placeholder {${match[1]}}; use ${[...NGSI_LD_PLACEHOLDERS].map((p) => `{${p}}`).join(' ')}`);
  }
  const properties = raw['properties'] as Raw;
  const rules = (properties['rules'] as Raw[]).map((rule, index) => propertyRule(rule, index, ctx));
  const names = new Map<string, number>();
  rules.forEach((rule, index) => {
    const first = names.get(rule.name);
    if (first !== undefined) issue(ctx, ['properties', 'rules', index, 'name'], `'${rule.name}' is already produced by rule ${first}`);
    else names.set(rule.name, index);
  });
  const geometry = raw['geometry'] as Raw;
  const time = (raw['time'] as Raw | undefined) ?? {};
  if (time['end'] !== undefined && time['start'] === undefined) issue(ctx, ['time', 'start'], 'is required when time.end is given');
  const ngsiLd = raw['ngsiLd'] as Raw | undefined;
  const deletePolicy = raw['deletePolicy'] as Raw;
  const schedule = raw['schedule'] as Raw | undefined;
  const intervalMs = schedule ? durationMs(String(schedule['interval'])) : 0;
  if (schedule && intervalMs < 10_000) issue(ctx, ['schedule', 'interval'], 'must be at least 10s');
  const theme = typeof target['inspireTheme'] === 'string' ? target['inspireTheme'].replace(/^.*\//, '') : null;

  return {
    id,
    title: typeof raw['title'] === 'string' ? raw['title'] : id,
    description: typeof raw['description'] === 'string' ? raw['description'] : null,
    file: ctx.file,
    source,
    target: {
      collection: String(target['collection']),
      title: (target['title'] as string | undefined) ?? null,
      description: (target['description'] as string | undefined) ?? null,
      keywords: target['keywords'] as string[],
      license: (target['license'] as string | undefined) ?? null,
      attribution: (target['attribution'] as string | undefined) ?? null,
      inspireTheme: theme,
      metadataUrl: (target['metadataUrl'] as string | undefined) ?? null,
      namespace: (target['namespace'] as string | undefined) ?? null,
    },
    identifiers: {
      id: valueExpression(identifiers['id'] ?? '$id', ['identifiers', 'id'], ctx)!,
      namespace: valueExpression(identifiers['namespace'], ['identifiers', 'namespace'], ctx),
      localId: valueExpression(identifiers['localId'], ['identifiers', 'localId'], ctx),
      versionId: valueExpression(identifiers['versionId'], ['identifiers', 'versionId'], ctx),
      ngsiLdId,
    },
    properties: {
      keepUnmapped: properties['keepUnmapped'] === true,
      flatten: properties['flatten'] === true,
      exclude: properties['exclude'] as string[],
      rules,
    },
    geometry: {
      property: (geometry['property'] as string | undefined) ?? null,
      dimensions: geometry['dimensions'] as 'keep' | '2d',
      densifyTolerance: Number(geometry['densifyTolerance']),
      invalid: geometry['invalid'] as 'repair' | 'reject',
      required: geometry['required'] === true,
    },
    time: { start: valueExpression(time['start'], ['time', 'start'], ctx), end: valueExpression(time['end'], ['time', 'end'], ctx) },
    ngsiLd: ngsiLd ? { type: String(ngsiLd['type']), context: ngsiLd['context'] as string[] } : null,
    deletePolicy: { mode: deletePolicy['mode'] as 'retire' | 'purge' | 'keep', maxFraction: Number(deletePolicy['maxFraction']) },
    rejections: { max: ((raw['rejections'] as Raw)['max'] as number | null) ?? null },
    schedule: schedule ? { intervalMs, enabled: schedule['enabled'] !== false } : null,
  };
}
