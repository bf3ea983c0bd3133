import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadMappings, validateMappingText, validateMappings, type FileValidation } from '../../src/config/mappings-loader.js';
import { ConfigurationError } from '../../src/domain/errors.js';

const MINIMAL = `source:
  type: wfs
  url: http://127.0.0.1:8081/mapserv
  typeName: ms:streetlights
target:
  collection: streetlights
`;

async function check(text: string, file = '/tmp/mappings/example.yaml', env: NodeJS.ProcessEnv = {}): Promise<FileValidation> {
  return validateMappingText(text, file, env);
}

function lines(result: FileValidation): string[] {
  return result.issues.map((issue) => formatIssue(issue, '/tmp/mappings'));
}

describe('mapping files', () => {
  it('loads a minimal WFS mapping with every default filled in', async () => {
    const result = await check(MINIMAL);
    expect(result.issues).toEqual([]);
    const mapping = result.loaded!.mapping;
    expect(mapping.id).toBe('example');
    expect(mapping.source).toMatchObject({
      type: 'wfs',
      version: 'auto',
      outputFormat: 'auto',
      axisOrder: 'auto',
      pageSize: 1000,
      paging: 'auto',
      crs: null,
      http: { timeoutMs: 60_000, retries: { attempts: 4, initialDelayMs: 1000, maxDelayMs: 30_000 }, headers: {}, auth: null },
    });
    expect(mapping.identifiers.id).toEqual({ kind: 'path', path: ['$id'] });
    expect(mapping.identifiers.ngsiLdId).toBe('urn:ngsi-ld:{type}:{namespace}:{localId}');
    expect(mapping.properties).toEqual({ keepUnmapped: true, flatten: true, exclude: [], rules: [] });
    expect(mapping.geometry).toEqual({ property: null, dimensions: 'keep', densifyTolerance: 0.1, invalid: 'repair', required: false });
    expect(mapping.deletePolicy).toEqual({ mode: 'retire', maxFraction: 0.5 });
    expect(mapping.schedule).toBeNull();
  });

  it('normalises durations, paths, templates, value maps and unit conversions', async () => {
    const result = await check(`${MINIMAL}identifiers:
  id: { template: "SL-{props.number}" }
  namespace: { value: DE.NI }
properties:
  keepUnmapped: false
  rules:
    - { name: power, from: electrical.wattage, unit: { from: W, to: kW } }
    - { name: temp, from: [t.celsius], unit: { from: Cel, to: K } }
    - { name: status, values: { in_operation: ok }, unmatched: reject }
    - { name: country, value: DE }
schedule: { interval: PT1H30M }
`);
    expect(result.issues).toEqual([]);
    const mapping = result.loaded!.mapping;
    expect(mapping.identifiers.id).toEqual({ kind: 'template', template: 'SL-{props.number}', parts: ['SL-', ['props', 'number']] });
    expect(mapping.identifiers.namespace).toEqual({ kind: 'constant', value: 'DE.NI' });
    const [power, temp, status, country] = mapping.properties.rules;
    expect(power).toMatchObject({ name: 'power', from: ['electrical', 'wattage'], unit: { scale: 0.001, offset: 0 } });
    expect(temp).toMatchObject({ from: ['t.celsius'], unit: { scale: 1, offset: 273.15 } });
    expect(status).toMatchObject({ from: ['status'], values: { in_operation: 'ok' }, unmatched: 'reject' });
    expect(country).toMatchObject({ from: null, constant: { value: 'DE' } });
    expect(mapping.schedule).toEqual({ intervalMs: 5_400_000, enabled: true });
  });

  it('names file, line, column and field of every schema violation in YAML', async () => {
    const result = await check(`source:
  type: wfs
  url: ftp://example.org/wfs
  typeNme: ms:streetlights
  pageSize: 0
  http:
    timeout: 5 minutes
target:
  collection: streetlights
  extra: 1
`);
    expect(result.loaded).toBeNull();
    expect(lines(result)).toEqual([
      "example.yaml:2:3: source.typeName: is required",
      "example.yaml:3:8: source.url: must be an absolute http:// or https:// URL (got \"ftp://example.org/wfs\")",
      "example.yaml:4:3: source.typeNme: is not a known field here (did you mean 'typeName'?); allowed: type, url, typeName, version, outputFormat, crs, axisOrder, ignoreSrsName, pageSize, paging, bbox, http",
      'example.yaml:5:13: source.pageSize: must be >= 1 (got 0)',
      'example.yaml:7:14: source.http.timeout: must be a duration such as 500ms, 30s, 15m, 6h, 1d or ISO 8601 (PT30S, P1D) (got "5 minutes")',
      'example.yaml:10:3: target.extra: is not a known field here; allowed: collection, title, description, keywords, license, attribution, inspireTheme, metadataUrl, namespace',
    ]);
  });

  it('positions errors in JSON mapping files too', async () => {
    const result = await check('{\n  "source": { "type": "wms", "url": "http://x" },\n  "target": { "collection": "a b" }\n}\n', '/tmp/mappings/j.json');
    expect(lines(result)).toEqual([
      'j.json:2:23: source.type: must be one of "wfs", "ogcapi-features", "file", "sensorthings", "mqtt", "http-push" (got "wms")',
      'j.json:3:29: target.collection: must be an identifier of 1 to 100 letters, digits, \'_\', \'-\' or \'.\', starting with a letter or digit (got "a b")',
    ]);
  });

  it('reports syntax errors with their position', async () => {
    expect(lines(await check('source:\n  type: wfs\n  url: [unclosed\n'))[0]).toMatch(/^example\.yaml:\d+:\d+: /);
    expect(lines(await check('source:\n  type: wfs\nsource:\n  type: file\n'))[0]).toMatch(/^example\.yaml:3:1: Map keys must be unique/);
    expect(lines(await check('{"source": {"type": "wfs",}}', '/tmp/mappings/j.json'))).toEqual(['j.json:1:27: JSON syntax error: PropertyNameExpected']);
  });

  it('checks what the schema cannot: CRS, templates, units, duplicate outputs, schedule', async () => {
    const result = await check(`source:
  type: wfs
  url: http://127.0.0.1/wfs
  typeName: x
  crs: urn:ogc:def:crs:EPSG::9999999
target:
  collection: x
identifiers:
  id: { template: "a{b" }
  ngsiLdId: "urn:ngsi-ld:X:{nope}"
properties:
  rules:
    - { name: w, unit: { from: W, to: m } }
    - { name: w }
    - { name: n, type: boolean, unit: { scale: 2 } }
time:
  end: until
schedule: { interval: 2s }
`);
    expect(lines(result)).toEqual([
      "example.yaml:5:8: source.crs: EPSG:9999999 (from 'urn:ogc:def:crs:EPSG::9999999') is not in placelink's CRS registry",
      'example.yaml:9:19: identifiers.id.template: has an unbalanced { or }',
      'example.yaml:10:13: identifiers.ngsiLdId: unknown placeholder {nope}; use {type} {namespace} {localId} {versionId} {id} {collection}',
      'example.yaml:13:24: properties.rules[0].unit: cannot convert power (W) to length (m)',
      "example.yaml:14:15: properties.rules[1].name: 'w' is already produced by rule 0",
      'example.yaml:15:24: properties.rules[2].type: a unit conversion gives a number, not boolean',
      'example.yaml:17:3: time.start: is required when time.end is given',
      'example.yaml:18:23: schedule.interval: must be at least 10s',
    ]);
  });

  it('substitutes ${VAR} and ${VAR:-default}, keeps $${ literal, and never shows an environment value', async () => {
    const text = `source:
  type: ogcapi-features
  url: http://127.0.0.1:8082/qgis/wfs3?key=\${API_KEY}
  collection: \${COLLECTION:-streetlights}
  http:
    headers: { X-Note: "costs $\${5}" }
    auth: { type: bearer, token: "\${TOKEN}" }
target:
  collection: sl
`;
    const result = await check(text, '/tmp/mappings/secret.yaml', { API_KEY: 'k-12345', TOKEN: 'tok-secret-value' });
    expect(result.issues).toEqual([]);
    const { mapping, redact } = result.loaded!;
    expect(mapping.source).toMatchObject({ url: 'http://127.0.0.1:8082/qgis/wfs3?key=k-12345', collection: 'streetlights', http: { headers: { 'X-Note': 'costs ${5}' }, auth: { type: 'bearer', token: 'tok-secret-value' } } });
    const shown = redact(JSON.stringify(mapping));
    expect(shown).not.toContain('k-12345');
    expect(shown).not.toContain('tok-secret-value');
    expect(shown).toContain('key=${API_KEY}');
    expect(shown).toContain('"collection":"streetlights"');

    const unset = await check(text, '/tmp/mappings/secret.yaml', {});
    expect(lines(unset)).toEqual([
      'secret.yaml:3:8: source.url: environment variable API_KEY is not set',
      'secret.yaml:7:34: source.http.auth.token: environment variable TOKEN is not set',
    ]);
  });

  it('refuses secrets written into the file', async () => {
    const result = await check(`${MINIMAL.replace('typeName: ms:streetlights', 'typeName: ms:streetlights\n  http:\n    auth: { type: basic, username: me, password: hunter2 }')}`);
    expect(lines(result)).toEqual(['example.yaml:6:50: source.http.auth.password: must come from the environment as ${VAR}, not be written into the mapping file']);
  });

  it('requires the CSV columns and CRS, and checks the file exists', async () => {
    const result = await check('source:\n  type: file\n  path: ./no-such-file.csv\ntarget:\n  collection: c\n');
    expect(lines(result)).toEqual([
      'example.yaml:2:3: source.csv: is required for CSV files: name the WKT column ({wkt: …}) or the coordinate columns ({x: …, y: …})',
      'example.yaml:2:3: source.crs: is required for CSV files (the file cannot say which CRS its coordinates are in)',
      'example.yaml:3:9: source.path: file /tmp/mappings/no-such-file.csv does not exist',
    ]);
  });
});

describe('mapping directories', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-mappings-'));
    await writeFile(path.join(directory, 'a.yaml'), MINIMAL);
    await writeFile(path.join(directory, 'b.yml'), MINIMAL.replace('collection: streetlights', 'collection: other') + 'id: a\n');
    await writeFile(path.join(directory, 'c.json'), JSON.stringify({ source: { type: 'file', path: 'a.yaml', format: 'geojson' }, target: { collection: 'streetlights' } }, null, 2));
    await writeFile(path.join(directory, 'ignored.schema.json'), '{}');
    await writeFile(path.join(directory, 'notes.txt'), 'not a mapping');
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('rejects a mapping id or target collection used twice, naming the other file', async () => {
    const results = await validateMappings(directory, {});
    expect(results.map((r) => path.basename(r.file))).toEqual(['a.yaml', 'b.yml', 'c.json']);
    expect(results[0]!.issues).toEqual([]);
    expect(results[1]!.issues.map((i) => `${i.line}:${i.field}: ${i.message}`)).toEqual([`7:id: mapping id 'a' is already used by ${path.relative(process.cwd(), path.join(directory, 'a.yaml'))}`]);
    expect(results[2]!.issues.map((i) => `${i.line}:${i.field}: ${i.message}`)).toEqual([
      `8:target.collection: collection 'streetlights' is already the target of ${path.relative(process.cwd(), path.join(directory, 'a.yaml'))}`,
    ]);
  });

  it('fails loading with one configuration error listing every problem', async () => {
    const error = await loadMappings(directory, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).issues).toHaveLength(2);
    expect((error as Error).message).toContain('b.yml:7:5: id:');
  });

  it('fails on a location that does not exist', async () => {
    await expect(loadMappings(path.join(directory, 'missing'), {})).rejects.toThrow(/does not exist/);
  });
});

describe('shipped example mappings', () => {
  const fixtures = process.env['PLACELINK_FIXTURES'] ?? path.resolve('../shared/fixtures');
  it('all validate against the schema', async () => {
    const results = await validateMappings(path.resolve('mappings'), { ...process.env, PLACELINK_FIXTURES: fixtures });
    expect(results.length).toBeGreaterThanOrEqual(1);
    for (const result of results) expect(result.issues.map((i) => formatIssue(i))).toEqual([]);
    expect(results.map((r) => r.loaded!.mapping.id)).toContain('streetlights');
  });
});
