import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the contexts shipped with placelink (see contexts/README.md). */
const CONTEXTS_DIR = fileURLToPath(new URL('../../../contexts/', import.meta.url));

export const CORE_CONTEXT_URL = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';

const SMART_DATA_MODELS = ['Building', 'Device', 'Environment', 'Parking', 'Streetlighting', 'Transportation', 'Weather'];

/** Published context URL → the file shipped under contexts/. */
export const OFFLINE_CONTEXTS: ReadonlyMap<string, string> = new Map([
  [CORE_CONTEXT_URL, 'ngsi-ld-core-context-v1.8.jsonld'],
  ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld', 'ngsi-ld-core-context-v1.8.jsonld'],
  ...SMART_DATA_MODELS.map((domain) => [`https://raw.githubusercontent.com/smart-data-models/dataModel.${domain}/master/context.jsonld`, `dataModel.${domain}.context.jsonld`] as const),
]);

const loaded = new Map<string, Promise<unknown>>();

/** The shipped copy of a published context, parsed; undefined when placelink ships none for that URL. */
export function offlineContext(url: string): Promise<unknown> | undefined {
  const file = OFFLINE_CONTEXTS.get(url);
  if (!file) return undefined;
  let document = loaded.get(file);
  if (!document) {
    document = readFile(path.join(CONTEXTS_DIR, file), 'utf8').then((text) => JSON.parse(text) as unknown);
    loaded.set(file, document);
  }
  return document;
}
