import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { pointGrid } from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/http-server.js';
import { rawGet } from '../helpers/raw-http.js';

const PUBLIC_BASE = 'https://geo.example.org/placelink';
const POINTS = pointGrid(5);

let api: FixtureApi;
let trusted: TestServer;
let based: TestServer;
let basedTrusted: TestServer;
let id: string;

/** Every `href` in a JSON document, and the OpenAPI `servers` URLs. */
function jsonLinks(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(jsonLinks);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === 'href' && typeof v === 'string' ? [v] : k === 'servers' && Array.isArray(v) ? v.map((s: { url: string }) => s.url) : jsonLinks(v)));
  }
  return [];
}

/** Every URL an HTML page points to: href, src and the map's data attributes. */
function htmlLinks(page: string): string[] {
  return [...page.matchAll(/\s(?:href|src|data-geojson|data-items-base)="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

const sameOrigin = (href: string) => !/^https?:\/\/(www\.)?(opengis\.net|creativecommons\.org|interoperable-europe\.ec\.europa\.eu|schemas\.opengis\.net)/.test(href);

/** The service's own links in the JSON resources (and the items page in HTML) fetched with these headers. */
async function linksFrom(server: string, headers: Record<string, string>): Promise<string[]> {
  const json = ['/', '/conformance', '/collections', `/collections/${id}`, `/collections/${id}/items?limit=2`, `/collections/${id}/items/${POINTS[1]!.id}`, '/api'];
  const links: string[] = [];
  for (const path of json) {
    const response = await rawGet(`${server}${path}`, { Accept: path === '/api' ? 'application/vnd.oai.openapi+json;version=3.0' : 'application/json', ...headers });
    expect(response.status, `${path}: ${response.text.slice(0, 300)}`).toBe(200);
    links.push(...jsonLinks(JSON.parse(response.text)));
  }
  const page = await rawGet(`${server}/collections/${id}/items?limit=2&f=html`, headers);
  expect(page.status).toBe(200);
  links.push(...htmlLinks(page.text));
  return links.filter(sameOrigin);
}

async function expectAllUnder(server: string, headers: Record<string, string>, base: string): Promise<void> {
  const links = await linksFrom(server, headers);
  expect(links.length).toBeGreaterThan(40);
  const outside = links.filter((href) => href !== base && !href.startsWith(`${base}/`));
  expect(outside, `links not under ${base}/ for ${JSON.stringify(headers)}`).toEqual([]);
}

const FORWARDED = { Forwarded: 'for=192.0.2.60;proto=https;host=maps.example.org' };
const X_FORWARDED = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'maps.example.org' };

describe('links, BASE_URL and reverse proxies', () => {
  beforeAll(async () => {
    api = await startFixtureApi([{ prefix: 'proxy-links', records: POINTS }]);
    id = api.ids['proxy-links']!;
    trusted = await api.startServer({ trustProxy: true });
    based = await api.startServer({ baseUrl: PUBLIC_BASE });
    basedTrusted = await api.startServer({ baseUrl: PUBLIC_BASE, trustProxy: true });
  });

  afterAll(async () => {
    await api?.close();
  });

  describe('without BASE_URL or a trusted proxy, links follow the request', () => {
    it('uses the address the client connected to', async () => {
      await expectAllUnder(api.url, {}, api.url);
    });

    it('uses the Host header the client sent', async () => {
      await expectAllUnder(api.url, { Host: 'public.example:8080' }, 'http://public.example:8080');
    });

    it('answers a missing or malformed Host header with a 400 problem, not a 500 or a link to another host', async () => {
      for (const [server, host] of [
        [api.url, 'evil example'],
        [api.url, 'user@evil.example'],
        [api.url, 'evil.example/"><script>'],
        [api.url, 'evil.example:99999'],
        [trusted.url, 'evil example'],
      ] as const) {
        const response = await rawGet(`${server}/collections`, { Host: host, Accept: 'application/json' });
        expect(response.status, `Host: ${host}`).toBe(400);
        expect(response.headers['content-type']).toBe('application/problem+json');
        const problem = JSON.parse(response.text) as { status: number; detail: string };
        expect(problem.status).toBe(400);
        expect(problem.detail).toMatch(/Host/);
        expect(response.text).not.toContain('evil');
      }
      // a valid X-Forwarded-Host from a trusted proxy makes up for a bad Host
      await expectAllUnder(trusted.url, { Host: 'evil example', 'X-Forwarded-Host': 'maps.example.org' }, 'http://maps.example.org');
    });

    it('ignores Forwarded and X-Forwarded-* from an untrusted client', async () => {
      await expectAllUnder(api.url, { Host: 'public.example', ...FORWARDED }, 'http://public.example');
      await expectAllUnder(api.url, { Host: 'public.example', ...X_FORWARDED }, 'http://public.example');
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
    it('takes scheme and host from Forwarded (RFC 7239)', async () => {
      await expectAllUnder(trusted.url, FORWARDED, 'https://maps.example.org');
      await expectAllUnder(trusted.url, { Forwarded: 'for="[2001:db8::1]";proto=https;host="maps.example.org:8443"' }, 'https://maps.example.org:8443');
    });

    it('takes the first (client-facing) element of a Forwarded list', async () => {
      await expectAllUnder(trusted.url, { Forwarded: 'proto=https;host=maps.example.org, proto=http;host=internal.lan:8080' }, 'https://maps.example.org');
    });

    it('takes scheme and host from X-Forwarded-Proto and X-Forwarded-Host', async () => {
      await expectAllUnder(trusted.url, X_FORWARDED, 'https://maps.example.org');
      await expectAllUnder(trusted.url, { 'X-Forwarded-Proto': 'https, http', 'X-Forwarded-Host': 'maps.example.org, internal.lan' }, 'https://maps.example.org');
      await expectAllUnder(trusted.url, { Host: 'public.example', 'X-Forwarded-Proto': 'https' }, 'https://public.example');
    });

    it('prefers Forwarded when both are present', async () => {
      await expectAllUnder(trusted.url, { ...FORWARDED, 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'other.example' }, 'https://maps.example.org');
    });

    it('ignores forwarded values that are not an http(s) scheme or a host name, never answering 500', async () => {
      await expectAllUnder(trusted.url, { Host: 'public.example', Forwarded: 'proto=javascript;host="evil.example/\\"><script>"' }, 'http://public.example');
      await expectAllUnder(trusted.url, { Host: 'public.example', 'X-Forwarded-Proto': 'javascript' }, 'http://public.example');
      await expectAllUnder(trusted.url, { Host: 'public.example', 'X-Forwarded-Host': 'evil.example/"><script>alert(1)</script>' }, 'http://public.example');
    });
  });

  describe('with BASE_URL', () => {
    it('every link is under BASE_URL, whatever Host says', async () => {
      await expectAllUnder(based.url, {}, PUBLIC_BASE);
      await expectAllUnder(based.url, { Host: 'public.example' }, PUBLIC_BASE);
    });

    it('BASE_URL wins over forwarded headers, even from a trusted proxy', async () => {
      await expectAllUnder(based.url, { ...FORWARDED, ...X_FORWARDED }, PUBLIC_BASE);
      await expectAllUnder(basedTrusted.url, FORWARDED, PUBLIC_BASE);
      await expectAllUnder(basedTrusted.url, X_FORWARDED, PUBLIC_BASE);
    });

    it('links under a path prefix lead to the right resources once the proxy strips the prefix', async () => {
      const first = JSON.parse((await rawGet(`${based.url}/collections/${id}/items?limit=2`, { Accept: 'application/geo+json' })).text) as { links: Array<{ rel: string; href: string }>; features: Array<{ id: string }> };
      expect(first.features.map((f) => f.id)).toEqual(POINTS.slice(0, 2).map((f) => f.id));
      const next = first.links.find((l) => l.rel === 'next')!.href;
      expect(next.startsWith(`${PUBLIC_BASE}/collections/${id}/items?`)).toBe(true);
      const second = JSON.parse((await rawGet(next.replace(PUBLIC_BASE, based.url), { Accept: 'application/geo+json' })).text) as { features: Array<{ id: string }> };
      expect(second.features.map((f) => f.id)).toEqual(POINTS.slice(2, 4).map((f) => f.id));
      const page = await rawGet(`${based.url}/collections/${id}/items?f=html`);
      const stylesheet = htmlLinks(page.text).find((href) => href.endsWith('.css'))!;
      expect(stylesheet.startsWith(`${PUBLIC_BASE}/static/`)).toBe(true);
      const asset = await rawGet(stylesheet.replace(PUBLIC_BASE, based.url));
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toMatch(/^text\/css/);
    });
  });
});
