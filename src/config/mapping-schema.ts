import { ConfigurationError } from '../domain/errors.js';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** The package's mappings/ folder: the JSON Schema files live there (src/config and dist/config are two levels down). */
export const SCHEMA_DIRECTORY = fileURLToPath(new URL('../../mappings/', import.meta.url));
const ROOT_SCHEMA = 'mapping.schema.json';

/** A schema violation: the path of the offending value and what is wrong with it. */
export interface SchemaIssue {
  readonly path: readonly (string | number)[];
  /** The issue is about a key (an unknown property) rather than a value. */
  readonly atKey: boolean;
  readonly message: string;
}

export interface MappingSchema {
  /** Validates (and fills defaults into) a parsed mapping document. */
  validate(document: unknown): SchemaIssue[];
  /** The `source.type` values the schema accepts. */
  readonly sourceTypes: readonly string[];
}

async function schemaFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.schema.json')) found.push(path.join(entry.parentPath, entry.name));
  }
  return found.sort();
}

let cached: Promise<MappingSchema> | null = null;

/** Compiles mapping.schema.json with every *.schema.json beside it (each source family's file). */
export function mappingSchema(): Promise<MappingSchema> {
  cached ??= compile(SCHEMA_DIRECTORY);
  return cached;
}

async function compile(directory: string): Promise<MappingSchema> {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, discriminator: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormatsModule.default(ajv, ['uri']);
  const schemas = new Map<string, Record<string, unknown>>();
  for (const file of await schemaFiles(directory)) {
    const schema = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const key = pathToFileURL(file).href;
    schemas.set(key, schema);
    ajv.addSchema(schema, key);
  }
  const rootKey = pathToFileURL(path.join(directory, ROOT_SCHEMA)).href;
  const validator = ajv.getSchema(rootKey);
  if (!validator) throw new ConfigurationError(`${ROOT_SCHEMA} is missing from ${directory}`);
  const sourceTypes = listSourceTypes(schemas, rootKey);
  return {
    sourceTypes,
    validate(document: unknown) {
      if (validator(document)) return [];
      return describeErrors(validator as ValidateFunction, sourceTypes);
    },
  };
}

/** Reads the `type` const of every schema the root's source.oneOf refers to. */
function listSourceTypes(schemas: Map<string, Record<string, unknown>>, rootKey: string): string[] {
  const root = schemas.get(rootKey) as { properties: { source: { oneOf: { $ref: string }[] } } };
  return root.properties.source.oneOf.map(({ $ref }) => {
    const target = schemas.get(new URL($ref, rootKey).href) as { properties?: { type?: { const?: string } } } | undefined;
    const type = target?.properties?.type?.const;
    if (!type) throw new ConfigurationError(`source schema ${$ref} has no properties.type.const`);
    return type;
  });
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(name: string, allowed: readonly string[]): string {
  const best = allowed.map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).sort((x, y) => x.distance - y.distance)[0];
  return best && best.distance <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean '${best.candidate}'?)` : '';
}

const show = (value: unknown) => JSON.stringify(value);

/**
 * Turns Ajv's errors into one message per problem: errors inside a failed `oneOf` branch are folded
 * into the `oneOf` error (described by the schema's own description), so a bad value expression
 * gets one line instead of four.
 */
function describeErrors(validator: ValidateFunction, sourceTypes: readonly string[]): SchemaIssue[] {
  const errors = validator.errors ?? [];
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !oneOfPaths.some((prefix) => e.schemaPath.startsWith(prefix)));
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const issue = describe(error, sourceTypes);
    if (!issue) continue;
    const key = `${issue.path.join('/')}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function describe(error: ErrorObject, sourceTypes: readonly string[]): SchemaIssue | null {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params['missingProperty'])], atKey: false, message: 'is required' };
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      const allowed = Object.keys(parent?.properties ?? {});
      return { path: [...path, name], atKey: true, message: `is not a known field here${suggestion(name, allowed)}; allowed: ${allowed.join(', ')}` };
    }
    case 'enum':
      return { path, atKey: false, message: `must be one of ${(params['allowedValues'] as unknown[]).map(show).join(', ')} (got ${show(error.data)})` };
    case 'const':
      return { path, atKey: false, message: `must be ${show(params['allowedValue'])} (got ${show(error.data)})` };
    case 'type':
      return { path, atKey: false, message: `must be ${String(params['type']).replaceAll(',', ' or ')} (got ${show(error.data)})` };
    case 'discriminator':
      if (params['error'] === 'mapping') {
        const tag = String(params['tag'] ?? 'type');
        const branches = (error.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] } | undefined)?.oneOf ?? [];
        const inline = branches.map((b) => b.properties?.[tag]?.const).filter((v): v is string => typeof v === 'string');
        const allowed = inline.length === branches.length && inline.length > 0 ? inline : sourceTypes;
        return { path: [...path, tag], atKey: false, message: `must be one of ${allowed.map(show).join(', ')} (got ${show(params['tagValue'])})` };
      }
      return null; // the `required` error says it already
    case 'oneOf':
      return { path, atKey: false, message: parent?.description ? `must be ${lowerFirst(parent.description)}` : 'does not match any of the allowed forms' };
    case 'pattern':
      return { path, atKey: false, message: `${parent?.description ? `must be ${lowerFirst(parent.description)}` : `must match ${String(params['pattern'])}`} (got ${show(error.data)})` };
    case 'not':
      return { path, atKey: false, message: 'cannot have both `from` and `value`' };
    default:
      return { path, atKey: false, message: `${error.message ?? 'is invalid'} (got ${show(error.data)})` };
  }
}

function lowerFirst(text: string): string {
  const sentence = text.replace(/\.$/, '').split('. ')[0]!;
  return /^[A-Z]([a-z]|\s)/.test(sentence) ? sentence[0]!.toLowerCase() + sentence.slice(1) : sentence;
}
