import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvariantError, UnsupportedCrsError } from '../domain/errors.js';
import type { Geometry } from 'geojson';
import type {
  CsvGeometryColumns,
  DatastreamDefinition,
  FileSource,
  HttpOptions,
  HttpPushSource,
  LinkRule,
  LonLatBox,
  Mapping,
  MqttSource,
  MqttTopic,
  ObservationRules,
  OgcApiFeaturesSource,
  PropertyPath,
  PropertyRule,
  ResultType,
  SensorThingsSource,
  SourceDefinition,
  ValueExpression,
  WfsSource,
} from '../domain/mapping.js';
import { isSensorSource } from '../domain/mapping.js';
import { ngsiLdBase } from './ngsi-ld-base.js';
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
  if (!iso) throw new InvariantError(`not a duration: ${text}`);
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

function ignoreSrsName(raw: Raw, ctx: NormalizeContext): boolean {
  const ignore = raw['ignoreSrsName'] === true;
  if (ignore && raw['crs'] === undefined) issue(ctx, ['source', 'ignoreSrsName'], 'needs source.crs: the CRS to read the geometries in instead of their srsName');
  if (ignore && raw['format'] !== undefined && raw['format'] !== 'gml' && raw['format'] !== 'auto') issue(ctx, ['source', 'ignoreSrsName'], `only applies to GML (this source is ${String(raw['format'])})`);
  return ignore;
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

function normalizeWfsSource(raw: Raw, ctx: NormalizeContext): WfsSource {
  return {
    type: 'wfs',
    url: String(raw['url']),
    typeName: String(raw['typeName']),
    version: raw['version'] as WfsSource['version'],
    outputFormat: raw['outputFormat'] as WfsSource['outputFormat'],
    crs: checkCrs(raw['crs'], ['source', 'crs'], ctx),
    axisOrder: raw['axisOrder'] as WfsSource['axisOrder'],
    ignoreSrsName: ignoreSrsName(raw, ctx),
    pageSize: Number(raw['pageSize']),
    paging: raw['paging'] as WfsSource['paging'],
    bbox: bbox(raw['bbox'], ['source', 'bbox'], ctx),
    http: http(raw['http'] as Raw, ['source', 'http'], ctx),
  };
}

function normalizeOgcApiSource(raw: Raw, ctx: NormalizeContext): OgcApiFeaturesSource {
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

function normalizeFileSource(raw: Raw, ctx: NormalizeContext): FileSource {
  const file = path.resolve(path.dirname(ctx.file), String(raw['path']));
  if (!existsSync(file)) issue(ctx, ['source', 'path'], `file ${file} does not exist`);
  let format = raw['format'] as FileSource['format'] | 'auto';
  if (format === 'auto') {
    const detected = FORMAT_BY_EXTENSION[path.extname(file).toLowerCase()];
    if (!detected) issue(ctx, ['source', 'format'], `cannot tell the format from the extension of ${path.basename(file)}; set format to geojson, gml or csv`);
    format = detected ?? 'geojson';
  }
  if (raw['featureTypes'] !== undefined && format !== 'gml') issue(ctx, ['source', 'featureTypes'], `only applies to GML files (this one is ${format})`);
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
    featureTypes: (raw['featureTypes'] as string[] | undefined) ?? null,
    crs: checkCrs(raw['crs'], ['source', 'crs'], ctx),
    axisOrder: raw['axisOrder'] as FileSource['axisOrder'],
    ignoreSrsName: ignoreSrsName(raw, ctx),
    csv: columns ? { delimiter: String(csv?.['delimiter'] ?? (path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',')), geometry: columns } : null,
  };
}

function normalizeSensorThingsSource(raw: Raw, ctx: NormalizeContext): SensorThingsSource {
  return {
    type: 'sensorthings',
    url: String(raw['url']).replace(/\/+$/, ''),
    filter: typeof raw['filter'] === 'string' ? raw['filter'] : null,
    pageSize: Number(raw['pageSize']),
    expand: raw['expand'] !== false,
    resultFormat: raw['resultFormat'] as SensorThingsSource['resultFormat'],
    historicalLocations: raw['historicalLocations'] !== false,
    featuresOfInterest: raw['featuresOfInterest'] !== false,
    http: http(raw['http'] as Raw, ['source', 'http'], ctx),
  };
}

/** Wildcard levels of an MQTT topic filter: '+' only as a whole level, '#' only last. */
function checkTopicFilter(pattern: string): string | null {
  const levels = pattern.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('+') && level !== '+') return `'+' must stand alone in a topic level (got '${level}')`;
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) return `'#' must be the whole last topic level (got '${level}')`;
  }
  return null;
}

function mqttTopic(raw: Raw, index: number, ctx: NormalizeContext): MqttTopic {
  const at = ['source', 'topics', index];
  const pattern = String(raw['pattern']);
  const problem = checkTopicFilter(pattern);
  if (problem) issue(ctx, [...at, 'pattern'], problem);
  const format = raw['format'] as MqttTopic['format'];
  if (format === 'sensorthings' && !/(^|\/)(\+|Datastreams\([^()/]+\))\/Observations$/.test(pattern) && !pattern.endsWith('#')) {
    issue(ctx, [...at, 'pattern'], `a sensorthings topic filter must end with +/Observations, Datastreams(<id>)/Observations or #, got '${pattern}'`);
  }
  if (format === 'sensorthings') {
    for (const field of ['datastream', 'time', 'resultTime', 'value', 'unit', 'location']) if (field in raw) issue(ctx, [...at, field], 'only applies to json topics (sensorthings payloads are Observations)');
  }
  const wildcards = pattern.split('/').filter((level) => level === '+' || level === '#').length;
  const datastream = typeof raw['datastream'] === 'string' ? raw['datastream'] : '{1}';
  for (const match of format === 'json' ? datastream.matchAll(TEMPLATE_PLACEHOLDER) : []) {
    const name = match[1]!;
    if (/^\d+$/.test(name) ? Number(name) < 1 || Number(name) > wildcards : !name.startsWith('payload.')) {
      issue(ctx, [...at, 'datastream'], `{${name}} is neither a wildcard level of the pattern ({1} … {${wildcards}}) nor a payload path ({payload.…})`);
    }
  }
  if (format === 'json' && wildcards === 0 && !('datastream' in raw)) issue(ctx, [...at, 'datastream'], 'is required when the pattern has no wildcard to take the datastream id from');
  const location = raw['location'] as unknown;
  return {
    pattern,
    format,
    datastream,
    time: toPath(raw['time'] ?? 'phenomenonTime'),
    resultTime: raw['resultTime'] === undefined ? null : toPath(raw['resultTime']),
    value: toPath(raw['value'] ?? 'result'),
    unit: raw['unit'] === undefined ? null : toPath(raw['unit']),
    location:
      location === undefined
        ? null
        : typeof location === 'string' || Array.isArray(location)
          ? { geometry: toPath(location) }
          : { lon: toPath((location as Raw)['lon']), lat: toPath((location as Raw)['lat']) },
  };
}

function normalizeMqttSource(raw: Raw, ctx: NormalizeContext): MqttSource {
  if ('password' in raw && !ctx.substituted.has('source/password')) issue(ctx, ['source', 'password'], 'must come from the environment as ${VAR}, not be written into the mapping file');
  const batch = raw['batch'] as Raw;
  const reconnect = raw['reconnect'] as Raw;
  const window = Number(raw['window']);
  const batchSize = Number(batch['size']);
  if (batchSize > window) issue(ctx, ['source', 'batch', 'size'], `cannot exceed the window (${window}): the broker sends at most that many messages before placelink acknowledges`);
  return {
    type: 'mqtt',
    url: String(raw['url']),
    clientId: String(raw['clientId']),
    username: typeof raw['username'] === 'string' ? raw['username'] : null,
    password: typeof raw['password'] === 'string' ? raw['password'] : null,
    sessionExpiryMs: durationMs(String(raw['sessionExpiry'])),
    window,
    batchSize,
    batchMaxWaitMs: durationMs(String(batch['maxWait'])),
    reconnect: { initialDelayMs: durationMs(String(reconnect['initialDelay'])), maxDelayMs: durationMs(String(reconnect['maxDelay'])) },
    datastreamSource: typeof raw['datastreamSource'] === 'string' ? raw['datastreamSource'] : null,
    topics: (raw['topics'] as Raw[]).map((topic, index) => mqttTopic(topic, index, ctx)),
  };
}

function normalizeHttpPushSource(): HttpPushSource {
  return { type: 'http-push' };
}

function datastreamLocation(raw: unknown, at: readonly (string | number)[], ctx: NormalizeContext): Geometry | null {
  if (raw === undefined) return null;
  if (Array.isArray(raw)) {
    const [lon, lat] = raw as number[];
    if (!(lon! >= -180 && lon! <= 180 && lat! >= -90 && lat! <= 90)) issue(ctx, at, `must be [lon, lat] in CRS84 (got ${JSON.stringify(raw)})`);
    return { type: 'Point', coordinates: raw as number[] };
  }
  return raw as Geometry;
}

function datastreams(raw: unknown, ctx: NormalizeContext): DatastreamDefinition[] {
  if (raw === undefined) return [];
  const seen = new Map<string, number>();
  return (raw as Raw[]).map((item, index) => {
    const id = String(item['id']);
    const first = seen.get(id);
    if (first !== undefined) issue(ctx, ['datastreams', index, 'id'], `'${id}' is already declared by datastreams[${first}]`);
    else seen.set(id, index);
    return {
      id,
      name: typeof item['name'] === 'string' ? item['name'] : id,
      description: typeof item['description'] === 'string' ? item['description'] : null,
      unit: (item['unit'] as DatastreamDefinition['unit']) ?? null,
      observedProperty: (item['observedProperty'] as DatastreamDefinition['observedProperty']) ?? null,
      resultType: item['resultType'] as ResultType,
      location: datastreamLocation(item['location'], ['datastreams', index, 'location'], ctx),
      properties: (item['properties'] as Record<string, unknown>) ?? {},
    };
  });
}

function observationRules(raw: Raw): ObservationRules {
  return {
    withoutZone: String(raw['withoutZone']),
    oddOffsets: raw['oddOffsets'] as ObservationRules['oddOffsets'],
    retentionMs: raw['retention'] === undefined ? null : durationMs(String(raw['retention'])),
  };
}

/** The mapping whose link rules are read: a sensor mapping links its datastreams, an asset mapping its own collection. */
interface LinkOwner {
  readonly id: string;
  readonly collection: string;
  readonly sensor: boolean;
}

function linkRules(raw: unknown, owner: LinkOwner, ctx: NormalizeContext): LinkRule[] {
  if (raw === undefined) return [];
  const names = new Map<string, number>();
  return (raw as Raw[]).map((item, index) => {
    const at = ['links', index];
    const kind = item['rule'] as LinkRule['kind'];
    const sensors = item['sensors'] === undefined ? null : typeof item['sensors'] === 'string' ? [item['sensors']] : (item['sensors'] as string[]);
    if (owner.sensor) {
      if (item['collection'] === undefined) issue(ctx, [...at, 'collection'], 'is required: the asset collection the rule links datastreams to');
      if (sensors) issue(ctx, [...at, 'sensors'], "only applies to rules of asset mappings (a sensor mapping's rules link its own datastreams)");
    } else {
      if (item['collection'] !== undefined && item['collection'] !== owner.collection) {
        issue(ctx, [...at, 'collection'], `a rule of an asset mapping links the mapping's own collection ('${owner.collection}'); leave collection out`);
      }
      if (!sensors) issue(ctx, [...at, 'sensors'], 'is required: the sensor mapping(s) whose datastreams the rule links to these assets');
    }
    const collection = owner.sensor ? String(item['collection']) : owner.collection;
    const name = typeof item['name'] === 'string' ? item['name'] : `${kind}-${collection}`;
    const first = names.get(name);
    if (first !== undefined) issue(ctx, [...at, 'name'], `'${name}' is already the name of links[${first}]; give each rule its own name`);
    else names.set(name, index);
    const base = { name, collection, priority: Number(item['priority']), datastreams: (item['datastreams'] as string[] | undefined) ?? null, declaredIn: owner.id, sensors };
    switch (kind) {
      case 'nearest':
        return { ...base, kind, maxDistance: Number(item['maxDistance']), ties: item['ties'] as 'first' | 'all' };
      case 'contains':
        return { ...base, kind };
      case 'buffer':
        return { ...base, kind, distance: Number(item['distance']) };
      case 'property':
        return { ...base, kind, sensorProperty: toPath(item['sensorProperty']), assetProperty: String(item['assetProperty']) };
    }
  });
}

/**
 * Normalisers per `source.type`. A new source family (sensorthings, mqtt, http-push) adds its schema
 * file under mappings/schema/, its type to SourceDefinition and its entry here.
 */
export const SOURCE_NORMALIZERS: Readonly<Record<string, (raw: Raw, ctx: NormalizeContext) => SourceDefinition>> = {
  wfs: normalizeWfsSource,
  'ogcapi-features': normalizeOgcApiSource,
  file: normalizeFileSource,
  sensorthings: normalizeSensorThingsSource,
  mqtt: normalizeMqttSource,
  'http-push': normalizeHttpPushSource,
};

function propertyRule(raw: Raw, index: number, ctx: NormalizeContext): PropertyRule {
  const at = ['properties', 'rules', index];
  let unit: PropertyRule['unit'] = null;
  const rawUnit = raw['unit'] as Raw | undefined;
  if (rawUnit && 'from' in rawUnit) {
    const conversion = unitConversion(String(rawUnit['from']), String(rawUnit['to']));
    if ('problem' in conversion) issue(ctx, [...at, 'unit'], conversion.problem);
    else unit = { ...conversion, label: `${String(rawUnit['from'])} → ${String(rawUnit['to'])}`, to: String(rawUnit['to']) };
  } else if (rawUnit) {
    unit = { scale: Number(rawUnit['scale']), offset: Number(rawUnit['offset'] ?? 0), label: `× ${String(rawUnit['scale'])}`, to: null };
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
  const sensor = isSensorSource(source);
  if (ngsiLd && sensor && (ngsiLd['type'] !== undefined || (ngsiLd['context'] as unknown[] | undefined)?.length)) {
    issue(ctx, ['ngsiLd'], `a ${source.type} source's entities are its Devices: give pushTo only`);
  }
  if (ngsiLd && !sensor && ngsiLd['type'] === undefined) issue(ctx, ['ngsiLd', 'type'], 'is required: the entity type of the features');
  const deletePolicy = raw['deletePolicy'] as Raw;
  const schedule = raw['schedule'] as Raw | undefined;
  const intervalMs = schedule ? durationMs(String(schedule['interval'])) : 0;
  if (schedule && intervalMs < 10_000) issue(ctx, ['schedule', 'interval'], 'must be at least 10s');
  const theme = typeof target['inspireTheme'] === 'string' ? target['inspireTheme'].replace(/^.*\//, '') : null;
  if (!sensor && raw['datastreams'] !== undefined) issue(ctx, ['datastreams'], `only applies to sensor sources (sensorthings, mqtt, http-push), not ${source.type}`);
  if ((source.type === 'mqtt' || source.type === 'http-push') && schedule) issue(ctx, ['schedule'], `a ${source.type} source pushes its observations; there is nothing to schedule`);
  if (source.type === 'sensorthings' && raw['datastreams'] !== undefined) issue(ctx, ['datastreams'], 'a SensorThings source reads its datastreams from the service; declare none');
  if (source.type === 'http-push' && raw['datastreams'] === undefined) issue(ctx, ['datastreams'], 'is required for an http-push source: POST /observations accepts observations only for declared datastreams');
  if (source.type === 'mqtt' && source.datastreamSource === null && raw['datastreams'] === undefined) {
    issue(ctx, ['datastreams'], 'is required for an mqtt source unless source.datastreamSource names the mapping whose datastreams the topics refer to');
  }

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
    ngsiLd: ngsiLd && ngsiLd['type'] !== undefined ? { type: String(ngsiLd['type']), context: ngsiLd['context'] as string[] } : null,
    ngsiLdPushTo: typeof ngsiLd?.['pushTo'] === 'string' ? ngsiLdBase(ngsiLd['pushTo']) : null,
    deletePolicy: { mode: deletePolicy['mode'] as 'retire' | 'purge' | 'keep', maxFraction: Number(deletePolicy['maxFraction']) },
    rejections: { max: ((raw['rejections'] as Raw)['max'] as number | null) ?? null },
    schedule: schedule ? { intervalMs, enabled: schedule['enabled'] !== false } : null,
    datastreams: datastreams(raw['datastreams'], ctx),
    observations: observationRules(raw['observations'] as Raw),
    links: linkRules(raw['links'], { id, collection: String(target['collection']), sensor }, ctx),
  };
}
