/**
 * Upstream faults against a scripted loopback WFS 2.0 (capabilities and schema in test/fixtures/wfs, GML 3.2
 * pages made here): HTTP 500 (retried with backoff, then the run fails), 404 (not retried), a
 * stalled response (timeout), a connection cut mid-document, a document that ends early, and an
 * OWS ExceptionReport sent with HTTP 200. Every failed run leaves the previous harvest's data as it was.
 */
import type { ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { runHarvest } from '../../src/ingest/harvest-runner.js';
import type { Store } from '../../src/services/ports/store.js';
import { testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { mappingFrom } from '../helpers/mappings.js';
import { fixture, haveFixtures } from '../helpers/shared-fixtures.js';
import { startUpstream, type UpstreamServer } from '../helpers/upstream-server.js';

const TOTAL = 25;
const PAGE = 10;

function page(startIndex: number, label: string): string {
  const members = Array.from({ length: Math.max(0, Math.min(PAGE, TOTAL - startIndex)) }, (_, k) => {
    const i = startIndex + k;
    return `<wfs:member><t:points gml:id="points.P${i}"><t:id>P${i}</t:id><t:label>${label}</t:label><t:geom><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>52.${String(i).padStart(3, '0')} 9.5</gml:pos></gml:Point></t:geom></t:points></wfs:member>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:t="http://example.org/t" numberMatched="unknown" numberReturned="${members.length}">\n${members.join('\n')}\n</wfs:FeatureCollection>\n`;
}

const hits = () => `<?xml version="1.0"?>\n<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" numberMatched="${TOTAL}" numberReturned="0"/>\n`;

type Fault = (startIndex: number, response: ServerResponse) => boolean;

describe('harvest faults', () => {
  let db: Database;
  let store: Store;
  let upstream: UpstreamServer;
  let capabilities: string;
  let schema: string;
  let label = 'v1';
  let fault: Fault = () => false;
  const collections: string[] = [];

  beforeAll(async () => {
    db = testDatabase();
    store = await testStore(db);
    capabilities = await readFile('test/fixtures/wfs/points-capabilities.xml', 'utf8');
    schema = await readFile('test/fixtures/wfs/points-schema.xsd', 'utf8');
    upstream = await startUpstream((_request, response, url) => {
      const q = Object.fromEntries([...url.searchParams].map(([k, v]) => [k.toUpperCase(), v]));
      if (q['REQUEST'] === 'GetCapabilities') {
        response.writeHead(200, { 'Content-Type': 'text/xml' });
        return void response.end(capabilities.replaceAll('{BASE}', upstream.url));
      }
      if (q['REQUEST'] === 'DescribeFeatureType') {
        response.writeHead(200, { 'Content-Type': 'text/xml' });
        return void response.end(schema);
      }
      if (q['REQUEST'] === 'GetFeature' && q['RESULTTYPE'] === 'hits') {
        response.writeHead(200, { 'Content-Type': 'text/xml' });
        return void response.end(hits());
      }
      const startIndex = Number(q['STARTINDEX'] ?? 0);
      if (fault(startIndex, response)) return;
      response.writeHead(200, { 'Content-Type': 'application/gml+xml; version=3.2' });
      response.end(page(startIndex, label));
    });
  });
  afterAll(async () => {
    for (const id of collections) await store.collections.remove(id);
    await upstream.close();
    await db.close();
  });
  beforeEach(() => {
    fault = () => false;
    label = 'v1';
  });

  async function mapping(collection: string, timeout = '2s') {
    return mappingFrom(`source:
  type: wfs
  url: ${upstream.url}/wfs
  typeName: t:points
  pageSize: ${PAGE}
  outputFormat: gml
  http:
    timeout: ${timeout}
    retries: { attempts: 3, initialDelay: 20ms, maxDelay: 50ms }
target:
  collection: ${collection}
identifiers:
  id: id
`);
  }

  /** A collection harvested once cleanly (label v1), then harvested again with `fault` and label v2. */
  async function faulted(apply: Fault, timeout?: string) {
    const collection = uniqueId('faults');
    collections.push(collection);
    const loaded = await mapping(collection, timeout);
    const clean = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    expect(clean).toMatchObject({ status: 'succeeded', expected: TOTAL, counts: { read: TOTAL, inserted: TOTAL, pages: 3 } });
    label = 'v2';
    fault = apply;
    const before = upstream.requests.length;
    const run = await runHarvest(store, loaded, testLogger, { trigger: 'api' });
    const requests = upstream.requests.slice(before);
    const [row] = await db.query<{ labels: string[]; n: string }>({
      text: `SELECT array_agg(DISTINCT properties->>'label') AS labels, count(*)::text AS n FROM feature f JOIN collection c USING (collection_key) WHERE c.id = $1`,
      values: [collection],
    });
    return { run, requests, stored: row! };
  }

  const onPage = (wanted: number, act: (response: ServerResponse) => void, times = Infinity): Fault => {
    let count = 0;
    return (startIndex, response) => {
      if (startIndex !== wanted || count >= times) return false;
      count++;
      act(response);
      return true;
    };
  };

  it('retries an HTTP 500 with backoff and fails the run after the last attempt, keeping the previous data', async () => {
    const { run, requests, stored } = await faulted(onPage(10, (r) => r.writeHead(500, { 'Content-Type': 'text/plain' }).end('database on fire')));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^GetFeature STARTINDEX=10: http:\/\/127\.0\.0\.1:\d+\/wfs\?.* answered HTTP 500 Internal Server Error: database on fire \(gave up after 3 attempts\)$/);
    expect(requests.filter((r) => r.includes('STARTINDEX=10'))).toHaveLength(3);
    expect(run.warnings.filter((w) => /attempt \d of 3 failed .*HTTP 500/.test(w.message))).toHaveLength(2);
    expect(stored).toEqual({ labels: ['v1'], n: String(TOTAL) });
  });

  it('completes when a retry succeeds', async () => {
    const { run, stored } = await faulted(onPage(10, (r) => r.writeHead(503).end(), 1));
    expect(run).toMatchObject({ status: 'succeeded', counts: { read: TOTAL, updated: TOTAL } });
    expect(run.warnings).toEqual([expect.objectContaining({ message: expect.stringMatching(/^attempt 1 of 3 failed \(.* answered HTTP 503 Service Unavailable\); retrying in 0\.\d s$/) })]);
    expect(stored).toEqual({ labels: ['v2'], n: String(TOTAL) });
  });

  it('does not retry a 404', async () => {
    const { run, requests, stored } = await faulted(onPage(20, (r) => r.writeHead(404).end('no such page')));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/answered HTTP 404 Not Found: no such page$/);
    expect(requests.filter((r) => r.includes('STARTINDEX=20'))).toHaveLength(1);
    expect(stored.labels).toEqual(['v1']);
  });

  it('times out a stalled response (the timeout covers the whole body) and fails after the retries', async () => {
    const { run, stored } = await faulted(
      onPage(10, (r) => {
        r.writeHead(200, { 'Content-Type': 'application/gml+xml' });
        r.write(page(10, 'v2').slice(0, 300));
      }),
      '300ms',
    );
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/did not answer completely within 0\.3 s \(gave up after 3 attempts\)$/);
    expect(stored.labels).toEqual(['v1']);
  });

  it('retries a connection cut in the middle of the XML, then fails with the byte count', async () => {
    const { run, stored } = await faulted(
      onPage(10, (r) => {
        const body = page(10, 'v2');
        r.writeHead(200, { 'Content-Type': 'application/gml+xml', 'Content-Length': String(Buffer.byteLength(body)) });
        r.write(body.slice(0, Math.floor(body.length / 2)), () => r.socket?.destroy());
      }),
    );
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/the response from .* broke off after \d+ bytes: .* \(gave up after 3 attempts\)$/);
    expect(stored).toEqual({ labels: ['v1'], n: String(TOTAL) });
  });

  it('fails without retrying on a document that ends early with a complete response', async () => {
    const { run, requests, stored } = await faulted(onPage(10, (r) => r.writeHead(200, { 'Content-Type': 'application/gml+xml' }).end(page(10, 'v2').slice(0, 900))));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^GetFeature STARTINDEX=10 is not well-formed XML at line \d+, column \d+: |^GetFeature STARTINDEX=10 ends before the document is complete/);
    expect(requests.filter((r) => r.includes('STARTINDEX=10'))).toHaveLength(1);
    expect(stored.labels).toEqual(['v1']);
  });

  it.skipIf(!haveFixtures)('turns an OWS ExceptionReport sent with HTTP 200 into the run error with the server message', async () => {
    const report = await readFile(fixture('wfs', 'ogcclient-exception-report-2-0-0.xml'), 'utf8');
    const { run, stored } = await faulted(onPage(0, (r) => r.writeHead(200, { 'Content-Type': 'text/xml' }).end(report)));
    expect(run.status).toBe('failed');
    expect(run.error).toBe('the service answered with an exception report (InvalidParameterValue): msWFSDispatch(): WFS server error. Invalid WFS request: FooBar');
    expect(stored.labels).toEqual(['v1']);
  });

  it('fails a run whose pages repeat (a server that ignores STARTINDEX) instead of storing a partial layer', async () => {
    const { run, stored } = await faulted((startIndex, response) => {
      if (startIndex === 0) return false;
      response.writeHead(200, { 'Content-Type': 'application/gml+xml' });
      response.end(page(0, 'v2'));
      return true;
    });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^GetFeature STARTINDEX=10 \(.*\) returned only features earlier pages had delivered: the server does not page; nothing was stored$/);
    expect(stored.labels).toEqual(['v1']);
  });
});
