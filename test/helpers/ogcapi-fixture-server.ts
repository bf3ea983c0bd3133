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
 * their recorded hosts (my.server.org, local, localhost:8090) rewritten to this server:
 *   /sample-data/collections/airports/items  → ogcclient-sample-data__collections__airports__items.json
 *   /collections/lakes/items?startindex=10   → etsoapif-util_items_11-20.json (the ets paging chain)
 * Pages that were not recorded (a next link's offset) answer 404.
 */
export async function startOgcApiFixtureServer(): Promise<UpstreamServer> {
  let base = '';
  const send = async (response: ServerResponse, file: string, type = 'application/json') => {
    const text = (await readFile(file, 'utf8'))
      .replaceAll('https://my.server.org', base)
      .replaceAll('http://local/', `${base}/`)
      .replaceAll('http://localhost:8090/rest/services/kataster', `${base}/kataster`)
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
    const own: Record<string, string> = { '/': 'lakes-landing.json', '/conformance': 'lakes-conformance.json', '/collections': 'lakes-collections.json', '/collections/lakes': 'lakes-collection.json' };
    if (own[pathname]) return send(response, path.join(OWN, own[pathname]));
    if (url.searchParams.has('offset') || url.searchParams.has('page')) return notFound(response);
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
