import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { LdContextNotAvailableError } from '../../src/domain/errors.js';
import { contextLoader } from '../../src/ngsild/context/context-loader.js';
import { CORE_CONTEXT_URL } from '../../src/ngsild/context/offline-contexts.js';
import { termMaps } from '../../src/ngsild/context/term-map.js';

const loader = contextLoader({ allow: [], timeoutMs: 1000, ttlMs: 60_000 }).load;
const maps = termMaps(loader, CORE_CONTEXT_URL);
const STREETLIGHTING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld';

/** What jsonld.js itself makes of a name: the key of a one-member node, expanded with the context on top of the core. */
async function jsonldExpand(context: unknown, name: string): Promise<string> {
  const [node] = (await jsonld.expand({ '@context': [CORE_CONTEXT_URL, ...(Array.isArray(context) ? context : [context])], [name]: { type: 'Property', value: 1 } }, { documentLoader: loader })) as Record<string, unknown>[];
  return Object.keys(node!).find((k) => !k.startsWith('@'))!;
}

async function jsonldCompact(context: unknown, iri: string): Promise<string> {
  const compacted = await jsonld.compact({ [iri]: { '@type': 'https://uri.etsi.org/ngsi-ld/Property', 'https://uri.etsi.org/ngsi-ld/hasValue': 1 } }, [CORE_CONTEXT_URL, ...(Array.isArray(context) ? context : [context])], { documentLoader: loader });
  return Object.keys(compacted).find((k) => k !== '@context')!;
}

describe('term maps of @contexts', () => {
  it.each([
    [[], 'location'],
    [[], 'temperature'],
    [[], 'ngsi-ld:location'],
    [[], 'https://example.org/speed'],
    [[STREETLIGHTING], 'powerState'],
    [[STREETLIGHTING], 'Streetlight'],
    [[STREETLIGHTING], 'refStreetlightGroup'],
    [[STREETLIGHTING], 'notInTheModel'],
    [[{ ex: 'https://example.org/vocab#', speed: 'ex:speed' }], 'speed'],
    [[{ ex: 'https://example.org/vocab#' }], 'ex:height'],
  ])('expand as jsonld.js does: %j %s', async (context, name) => {
    const map = await maps.of(context);
    expect(map.expand(name)).toBe(await jsonldExpand(context, name));
  });

  it.each([
    [[], 'https://uri.etsi.org/ngsi-ld/location'],
    [[], 'https://uri.etsi.org/ngsi-ld/default-context/temperature'],
    [[], 'https://example.org/speed'],
    [[STREETLIGHTING], 'https://smartdatamodels.org/dataModel.Streetlighting/powerState'],
    [[STREETLIGHTING], 'https://smartdatamodels.org/dataModel.Streetlighting/Streetlight'],
    [[{ ex: 'https://example.org/vocab#' }], 'https://example.org/vocab#height'],
  ])('compact as jsonld.js does: %j %s', async (context, iri) => {
    const map = await maps.of(context);
    expect(map.compact(iri)).toBe(await jsonldCompact(context, iri));
  });

  it('refuses a context it may not fetch, naming it', async () => {
    await expect(maps.of(['https://example.org/ctx.jsonld'])).rejects.toBeInstanceOf(LdContextNotAvailableError);
  });

  it('refuses a context that redefines a protected core term', async () => {
    await expect(maps.of([{ location: 'https://example.org/elsewhere' }])).rejects.toThrow(/@context cannot be used/);
  });
});
