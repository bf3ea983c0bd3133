import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { conformanceDir } from './environment.js';

// Both are CommonJS with `exports.default`: at run time the default import is the function itself,
// while TypeScript under NodeNext types it as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const AjvDraft04 = ajvDraft04Module as unknown as typeof ajvDraft04Module.default;

/** The published locations of the schemas: Part 2 refers to Part 1 by these absolute URLs. */
export const PART1 = 'http://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/';
export const PART2 = 'http://schemas.opengis.net/ogcapi/features/part2/1.0/openapi/schemas/';

export const PART1_DIR = () => path.join(conformanceDir(), 'ogcapi-features', 'part1-core-1.0.1', 'openapi', 'schemas');
export const PART2_DIR = () => path.join(conformanceDir(), 'ogcapi-features', 'part2-crs-1.0.1', 'openapi', 'schemas');
export const OAS30_SCHEMA = () => path.join(conformanceDir(), 'ogc-probe', 'ogc-probe-data', 'oas-3.0-schema.yaml');

export interface SchemaSet {
  /** The schema registered as `<base><file>`, e.g. schema(PART1, 'collection.yaml'). */
  schema(base: string, file: string): ValidateFunction;
  /** Throws with every error, each with the JSON pointer of the offending value, when `doc` is invalid. */
  assertValid(base: string, file: string, doc: unknown, what: string): void;
  /** The error messages for `doc` (empty when valid). */
  errorsOf(base: string, file: string, doc: unknown): string[];
}

export function describeErrors(errors: readonly ErrorObject[] | null | undefined, doc: unknown): string[] {
  return (errors ?? []).map((e) => {
    const value = e.instancePath.split('/').slice(1).reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[decodeURIComponent(key.replace(/~1/g, '/').replace(/~0/g, '~'))], doc);
    const shown = JSON.stringify(value);
    return `${e.instancePath || '(root)'} ${e.message ?? e.keyword}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params['allowedValues'])}` : ''} [schema ${e.schemaPath}] value: ${shown === undefined ? 'undefined' : shown.slice(0, 200)}`;
  });
}

/**
 * The official OGC API – Features schemas (OpenAPI 3.0 fragments in YAML with relative $refs), each
 * registered under its published URL so `link.yaml` and Part 2's absolute references resolve.
 * ajv reads OpenAPI's `nullable` together with `type`; `strict: false` lets the OAS-only annotations
 * (`example`, `xml`, `discriminator` …) pass without failing the compilation.
 */
export function loadOgcSchemas(): SchemaSet {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const register = (dir: string, base: string) => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
      const schema = parseYaml(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
      if (base === PART1 && file === 'featureGeoJSON.yaml') {
        // Erratum: RFC 7946 and the Part 1 1.1 draft allow a feature without geometry (null); 1.0.1 forgot it.
        (schema['properties'] as Record<string, unknown>)['geometry'] = { oneOf: [{ type: 'null' }, { $ref: 'geometryGeoJSON.yaml' }] };
      }
      ajv.addSchema({ ...schema, $id: base + file });
    }
  };
  register(PART1_DIR(), PART1);
  register(PART2_DIR(), PART2);
  const schema = (base: string, file: string) => {
    const validate = ajv.getSchema(base + file);
    if (!validate) throw new Error(`no schema ${base}${file}`);
    return validate;
  };
  const errorsOf = (base: string, file: string, doc: unknown) => {
    const validate = schema(base, file);
    return validate(doc) ? [] : describeErrors(validate.errors, doc);
  };
  return {
    schema,
    errorsOf,
    assertValid(base, file, doc, what) {
      const errors = errorsOf(base, file, doc);
      if (errors.length) throw new Error(`${what} is not valid against ${base}${file}:\n  ${errors.join('\n  ')}`);
    },
  };
}

/** The official JSON Schema (draft-04) of OpenAPI 3.0 documents. */
export function loadOas30Schema(): ValidateFunction {
  const ajv = new AjvDraft04({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  return ajv.compile(parseYaml(readFileSync(OAS30_SCHEMA(), 'utf8')) as Record<string, unknown>);
}
