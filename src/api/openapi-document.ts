import type { Collection } from '../domain/collection.js';
import type { BuildingBlock } from './building-block.js';
import type { ServiceInfo } from './service-info.js';

/** The OpenAPI 3.0 document assembled from building blocks; `serverUrl` is the public URL their paths are relative to. */
export function openApiDocument(info: ServiceInfo, serverUrl: string, blocks: readonly BuildingBlock[], collections: readonly Collection[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const parameters: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const responses: Record<string, unknown> = {};
  for (const block of blocks) {
    const fragment = block.openapi(collections);
    // Blocks may declare different methods of one path (NGSI-LD reads and writes /entities).
    for (const [path, item] of Object.entries(fragment.paths ?? {})) paths[path] = { ...(paths[path] as object | undefined), ...(item as object) };
    Object.assign(parameters, fragment.parameters);
    Object.assign(schemas, fragment.schemas);
    Object.assign(responses, fragment.responses);
  }
  return {
    openapi: '3.0.3',
    info: {
      title: info.title,
      description: info.description,
      version: info.version,
      license: { name: 'EUPL-1.2', url: 'https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12' },
    },
    servers: [{ url: serverUrl, description: 'This server' }],
    tags: blocks.map((b) => ({ name: b.name })),
    paths,
    components: { parameters, schemas, responses },
  };
}
