import type { ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES } from './shared-fixtures.js';
import { startUpstream, type UpstreamServer } from './upstream-server.js';

const OGCAPI = () => path.join(FIXTURES, 'ogcapi-features');
const OWN = path.resolve('test/fixtures/ogcapi');

/**
 * Serves the recorded OGC API responses of ../shared/fixtures/ogcapi-features on loopback, with
 * their recorded hosts (my.server.org, local, localhost:8090, www.ldproxy.nrw.de) rewritten to this server:
 *   /sample-data/collections/airports/items  → ogcclient-sample-data__collections__airports__items.json
 *   /collections/lakes/items?startindex=10   → etsoapif-util_items_11-20.json (the ets paging chain)
 *   /kataster/collections/flurstueck         → etsoapif-core_collections_collection-flurstueck.json
 * Pages that were not recorded (a next link's offset) answer 404. With `root: 'sample-data'` the
 * server root is the OS Open Zoomstack landing page recorded at a root path (ogcclient-sample-data-root.json)
 * instead of the lakes one.
 */
export async function startOgcApiFixtureServer(options: { root?: 'lakes' | 'sample-data' } = {}): Promise<UpstreamServer> {
  let base = '';
  const send = async (response: ServerResponse, file: string, type = 'application/json') => {
    const text = (await readFile(file, 'utf8'))
      .replaceAll('https://my.server.org', base)
      .replaceAll('http://local/', `${base}/`)
      .replaceAll('http://localhost:8090/rest/services/kataster', `${base}/kataster`)
      .replaceAll('http://www.ldproxy.nrw.de/rest/services/kataster', `${base}/kataster`)
      .replaceAll('https://www.ldproxy.nrw.de/kataster', `${base}/kataster`)
      .replaceAll('http://localhost:8090', base);
    response.writeHead(200, { 'Content-Type': type });
    response.end(text);
  };
  const notFound = (response: ServerResponse) => {
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end('{"title":"not recorded"}');
  };
  const server = await startUpstream(async (_request, response, url) => {
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    if (pathname === '/collections/lakes/items') {
      const start = Number(url.searchParams.get('startindex') ?? 0);
      const file = path.join(OGCAPI(), `etsoapif-util_items_${start + 1}-${start + 10}.json`);
      return existsSync(file) ? send(response, file, 'application/geo+json') : notFound(response);
    }
    if (pathname === '/kataster') return send(response, path.join(OWN, 'kataster-landing.json'));
    if (url.searchParams.has('offset') || url.searchParams.has('page')) return notFound(response);
    const kataster = /^\/kataster\/(conformance|collections)(?:\/([a-z]+)(\/items)?)?$/.exec(pathname);
    if (kataster) {
      const [, part, id, items] = kataster;
      const file = part === 'conformance' ? 'core_conformance_req-classes' : !id ? 'core_collections_collections' : `core_collections_collection${items ? 'Items' : ''}-${id}`;
      const recorded = path.join(OGCAPI(), `etsoapif-${file}.json`);
      return existsSync(recorded) ? send(response, recorded, items ? 'application/geo+json' : 'application/json') : notFound(response);
    }
    const own: Record<string, string> = { '/': 'lakes-landing.json', '/conformance': 'lakes-conformance.json', '/collections': 'lakes-collections.json', '/collections/lakes': 'lakes-collection.json' };
    if (options.root === 'sample-data') {
      const zoomstack: Record<string, string> = { '/': 'sample-data-root', '/conformance': 'sample-data__conformance', '/collections': 'sample-data__collections' };
      if (zoomstack[pathname]) return send(response, path.join(OGCAPI(), `ogcclient-${zoomstack[pathname]}.json`));
    } else if (own[pathname]) return send(response, path.join(OWN, own[pathname]));
    // ogc-client reads the tile matrix sets of servers that advertise tiles; they were not recorded.
    if (pathname.endsWith('/tileMatrixSets')) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      return void response.end('{"tileMatrixSets":[],"links":[]}');
    }
    const file = path.join(OGCAPI(), `ogcclient-${pathname.slice(1).split('/').join('__')}.json`);
    return existsSync(file) ? send(response, file, pathname.endsWith('/items') ? 'application/geo+json' : 'application/json') : notFound(response);
  });
  base = server.url;
  return server;
}
