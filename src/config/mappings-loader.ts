import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { ConfigurationError, type InputIssue } from '../domain/errors.js';
import { isSensorSource, type LinkRule, type Mapping } from '../domain/mapping.js';
import { normalizeMapping, type FieldIssue } from './mapping-normalize.js';
import { mappingSchema } from './mapping-schema.js';

/** A validated mapping and how to keep its secrets out of anything shown or logged. */
export interface LoadedMapping {
  readonly mapping: Mapping;
  /** Replaces every value that came from a ${VAR} with the reference itself. */
  redact(text: string): string;
}

/** One problem in one file, positioned for an editor: `file:line:column: field: message`. */
export interface MappingIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field (`source.http.timeout`, `properties.rules[2].name`); empty for syntax errors. */
  readonly field: string;
  readonly message: string;
}

export interface FileValidation {
  readonly file: string;
  readonly loaded: LoadedMapping | null;
  readonly issues: MappingIssue[];
  /** Where a field is in the file (line 1, column 1 when the file did not parse). */
  position(field: readonly (string | number)[]): { line: number; column: number };
}

const START = () => ({ line: 1, column: 1 });

type Segment = string | number;
type Locator = (at: readonly Segment[], atKey: boolean) => { line: number; column: number };

const MAPPING_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function fieldName(at: readonly Segment[]): string {
  return at.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment), '');
}

export function formatIssue(issue: MappingIssue, relativeTo = process.cwd()): string {
  const file = path.relative(relativeTo, issue.file) || issue.file;
  return `${file}:${issue.line}:${issue.column}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}`;
}

// ---------------------------------------------------------------- documents with positions

interface ParsedDocument {
  readonly data: unknown;
  readonly locate: Locator;
}

function yamlDocument(text: string, file: string, issues: MappingIssue[]): ParsedDocument | null {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (document.errors.length) {
    for (const error of document.errors) issues.push({ file, ...position(error.pos[0]), field: '', message: error.message.split('\n')[0]! });
    return null;
  }
  return { data: document.toJS({ maxAliasCount: 100 }), locate: (at, atKey) => position(yamlOffset(document, at, atKey)) };
}

function yamlOffset(document: Document, at: readonly Segment[], atKey: boolean): number {
  let node: unknown = document.contents;
  let offset = (document.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const segment of at) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return offset;
      const key = pair.key as YamlNode;
      if (atKey && segment === at[at.length - 1]) return key.range?.[0] ?? offset;
      node = pair.value;
      offset = (pair.value as YamlNode | null)?.range?.[0] ?? key.range?.[0] ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as YamlNode | undefined;
      if (!item) return offset;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function jsonDocument(text: string, file: string, issues: MappingIssue[]): ParsedDocument | null {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const position = (offset: number) => {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    return { line, column: offset - before.lastIndexOf('\n') };
  };
  if (errors.length || !tree) {
    // Only the first: the ones after it mostly follow from it.
    const [first] = errors;
    if (first) issues.push({ file, ...position(first.offset), field: '', message: `JSON syntax error: ${printParseErrorCode(first.error)}` });
    if (!tree && !errors.length) issues.push({ file, line: 1, column: 1, field: '', message: 'the file is empty' });
    return null;
  }
  const locate: Locator = (at, atKey) => {
    for (let depth = at.length; depth >= 0; depth--) {
      const node: JsonNode | undefined = findNodeAtLocation(tree, at.slice(0, depth) as Segment[]);
      if (!node) continue;
      const keyNode = atKey && depth === at.length && node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
      return position((keyNode ?? node).offset);
    }
    return position(0);
  };
  return { data: JSON.parse(text), locate };
}

// ---------------------------------------------------------------- ${VAR} substitution

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

interface Substitution {
  readonly substituted: Set<string>;
  /** value → the reference that produced it, for redaction */
  readonly secrets: Map<string, string>;
}

/** Replaces ${VAR} and ${VAR:-default} in every string; `$${` stands for a literal `${`. Unset variables are issues. */
function substitute(value: unknown, at: Segment[], env: NodeJS.ProcessEnv, state: Substitution, missing: FieldIssue[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    let used = false;
    const result = value.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (!name) return '${';
      const found = env[name];
      const resolved = found !== undefined && found !== '' ? found : fallback;
      if (resolved === undefined) {
        missing.push({ path: [...at], message: `environment variable ${name} is not set` });
        return whole;
      }
      used = true;
      // Defaults are written in the file, so only values from the environment are kept out of output.
      if (resolved === found && found.length >= 3) state.secrets.set(found, whole);
      return resolved;
    });
    if (used) state.substituted.add(at.join('/'));
    return result;
  }
  if (Array.isArray(value)) return value.map((item, index) => substitute(item, [...at, index], env, state, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, [...at, key], env, state, missing)]));
  }
  return value;
}

function redactor(secrets: Map<string, string>): (text: string) => string {
  const ordered = [...secrets].sort(([a], [b]) => b.length - a.length);
  return (text) => ordered.reduce((result, [secret, reference]) => result.split(secret).join(reference), text);
}

// ---------------------------------------------------------------- files

const byPosition = (issues: MappingIssue[]) => issues.sort((a, b) => a.line - b.line || a.column - b.column);

/** Validates one mapping text: syntax, ${VAR}s, the JSON Schema, then the rules the schema cannot express. */
export async function validateMappingText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<FileValidation> {
  const issues: MappingIssue[] = [];
  const absolute = path.resolve(file);
  const parsed = absolute.endsWith('.json') ? jsonDocument(text, absolute, issues) : yamlDocument(text, absolute, issues);
  if (!parsed) return { file: absolute, loaded: null, issues, position: START };
  const position = (field: readonly Segment[]) => parsed.locate(field, false);
  const at = (field: readonly Segment[], atKey: boolean, message: string): MappingIssue => ({ file: absolute, ...parsed.locate(field, atKey), field: fieldName(field), message });

  if (parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) {
    return { file: absolute, loaded: null, issues: [at([], false, 'a mapping must be an object with at least `source` and `target`')], position };
  }
  const state: Substitution = { substituted: new Set(), secrets: new Map() };
  const missing: FieldIssue[] = [];
  const document = substitute(parsed.data, [], env, state, missing) as Record<string, unknown>;
  for (const problem of missing) issues.push(at(problem.path, false, problem.message));

  const schema = await mappingSchema();
  const schemaIssues = schema.validate(document);
  for (const problem of schemaIssues) issues.push(at(problem.path, problem.atKey, problem.message));
  if (issues.length) return { file: absolute, loaded: null, issues: byPosition(issues), position };

  const semantic: FieldIssue[] = [];
  const mapping = normalizeMapping(document, { file: absolute, substituted: state.substituted, issues: semantic });
  for (const problem of semantic) issues.push(at(problem.path, false, problem.message));
  if (issues.length) return { file: absolute, loaded: null, issues: byPosition(issues), position };
  return { file: absolute, loaded: { mapping, redact: redactor(state.secrets) }, issues, position };
}

export async function validateMappingFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<FileValidation> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file: path.resolve(file), loaded: null, issues: [{ file: path.resolve(file), line: 1, column: 1, field: '', message: `cannot read: ${(error as Error).message}` }], position: START };
  }
  return validateMappingText(text, file, env);
}

/** Mapping files in a directory (not recursive; *.schema.json excluded), or the one file given. */
export async function mappingFiles(location: string): Promise<string[]> {
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new ConfigurationError(`Mappings location ${location} does not exist`, [{ location, reason: 'does not exist' }]);
  }
  if (!info.isDirectory()) return [path.resolve(location)];
  const entries = await readdir(location, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && MAPPING_EXTENSIONS.has(path.extname(entry.name).toLowerCase()) && !entry.name.endsWith('.schema.json'))
    .map((entry) => path.resolve(location, entry.name))
    .sort();
}

/** Whether a sensor mapping declares its datastreams itself (so rules can be checked against them). */
function declaresDatastreams(mapping: Mapping): boolean {
  return mapping.source.type === 'http-push' || (mapping.source.type === 'mqtt' && mapping.source.datastreamSource === null);
}

/**
 * Link rules asset mappings declare for sensor mappings join those mappings' own rules (after them,
 * in file order). Naming a sensor mapping that is not loaded, a datastream it does not declare, or
 * a rule name it already uses is a problem of the asset mapping's file.
 */
function joinLinkRules(results: readonly FileValidation[]): FileValidation[] {
  const out = [...results];
  const sensorIndex = new Map<string, number>();
  results.forEach((result, index) => {
    const mapping = result.loaded?.mapping;
    if (mapping && isSensorSource(mapping.source)) sensorIndex.set(mapping.id, index);
  });
  const joined = new Map<number, LinkRule[]>();
  results.forEach((result, index) => {
    const mapping = result.loaded?.mapping;
    if (!mapping || isSensorSource(mapping.source)) return;
    const issues: MappingIssue[] = [];
    const issue = (field: readonly Segment[], message: string) => issues.push({ file: result.file, ...result.position(field), field: fieldName(field), message });
    mapping.links.forEach((rule, ruleIndex) => {
      for (const sensorId of rule.sensors ?? []) {
        const target = sensorIndex.get(sensorId);
        if (target === undefined) {
          issue(['links', ruleIndex, 'sensors'], `no sensor mapping '${sensorId}' is loaded`);
          continue;
        }
        const sensor = results[target]!.loaded!.mapping;
        const rules = joined.get(target) ?? [];
        const taken = [...sensor.links, ...rules].find((other) => other.name === rule.name);
        if (taken) {
          issue(['links', ruleIndex, 'name'], `'${rule.name}' is already the name of a link rule of '${sensorId}' (declared in '${taken.declaredIn}'); give this rule its own name`);
          continue;
        }
        const unknown = declaresDatastreams(sensor) ? (rule.datastreams ?? []).filter((id) => !sensor.datastreams.some((d) => d.id === id)) : [];
        if (unknown.length) {
          issue(['links', ruleIndex, 'datastreams'], `'${sensorId}' declares no datastream ${unknown.map((id) => `'${id}'`).join(', ')}`);
          continue;
        }
        joined.set(target, [...rules, rule]);
      }
    });
    if (issues.length) out[index] = { ...result, loaded: null, issues: [...result.issues, ...issues] };
  });
  for (const [index, rules] of joined) {
    const result = out[index]!;
    const loaded = result.loaded!;
    out[index] = { ...result, loaded: { ...loaded, mapping: { ...loaded.mapping, links: [...loaded.mapping.links, ...rules] } } };
  }
  return out;
}

/**
 * Validates every mapping at `location` and the rules that span files: mapping ids and target
 * collections are unique (two sources writing one collection would retire each other's features),
 * and link rules of asset mappings name loaded sensor mappings (they join those mappings' rules).
 */
export async function validateMappings(location: string, env: NodeJS.ProcessEnv = process.env): Promise<FileValidation[]> {
  const results: FileValidation[] = [];
  const ids = new Map<string, string>();
  const collections = new Map<string, string>();
  for (const file of await mappingFiles(location)) {
    const result = await validateMappingFile(file, env);
    const mapping = result.loaded?.mapping;
    if (mapping) {
      const clash = (field: readonly string[], message: string): FileValidation => ({
        ...result,
        loaded: null,
        issues: [...result.issues, { file, ...result.position(field), field: fieldName(field), message }],
      });
      const sameId = ids.get(mapping.id);
      const sameCollection = collections.get(mapping.target.collection);
      if (sameId) {
        results.push(clash(['id'], `mapping id '${mapping.id}' is already used by ${path.relative(process.cwd(), sameId)}`));
        continue;
      }
      if (sameCollection) {
        results.push(clash(['target', 'collection'], `collection '${mapping.target.collection}' is already the target of ${path.relative(process.cwd(), sameCollection)}`));
        continue;
      }
      ids.set(mapping.id, file);
      collections.set(mapping.target.collection, file);
    }
    results.push(result);
  }
  return joinLinkRules(results);
}

/** Loads every mapping at `location`, or fails with all problems of all files named. */
export async function loadMappings(location: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedMapping[]> {
  const results = await validateMappings(location, env);
  const issues = results.flatMap((result) => result.issues);
  if (issues.length) {
    const lines = issues.map((issue) => formatIssue(issue));
    const detail: InputIssue[] = issues.map((issue) => ({ location: `${issue.file}:${issue.line}:${issue.column}${issue.field ? ` ${issue.field}` : ''}`, reason: issue.message }));
    throw new ConfigurationError(`Invalid mappings (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`, detail);
  }
  return results.map((result) => result.loaded!);
}
