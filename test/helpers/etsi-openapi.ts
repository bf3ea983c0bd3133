import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { conformanceDir } from './environment.js';

// CommonJS with `exports.default`: at run time the default import is the function itself.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const OPENAPI = () => path.join(conformanceDir(), 'ngsi-ld', 'openapi', 'ngsi-ld-api-v1.8.1.yaml');

let ajv: Ajv | null = null;

/** The ETSI NGSI-LD OpenAPI 1.8.1 components as one JSON Schema document (strict off: OpenAPI 3.0 keywords such as example are ignored). */
function schemas(): Ajv {
  if (ajv) return ajv;
  const doc = parseYaml(readFileSync(OPENAPI(), 'utf8')) as { components: { schemas: Record<string, unknown> } };
  // `pattern` (a regular expression) is a format of the OpenAPI that ajv-formats does not know.
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, formats: { pattern: true } });
  addFormats(ajv);
  ajv.addSchema({ $id: 'ngsi-ld-1.8.1', components: doc.components });
  return ajv;
}

/** The errors of `doc` against the OpenAPI's schema `name` (empty when valid), each with its JSON pointer. */
export function etsiSchemaErrors(name: string, doc: unknown): string[] {
  const validate = schemas().getSchema(`ngsi-ld-1.8.1#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name} in the ETSI OpenAPI 1.8.1`);
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
