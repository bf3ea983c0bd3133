import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The base URL the Examind fixtures were recorded under; rewritten to the test server's. */
export const EXAMIND_BASE = 'http://localhost:9090/WS/sts/default/v1.1';

export type Handler = (url: URL, base: string) => { status: number; body: unknown } | null;

export interface SensorThingsServer {
  readonly base: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A fixture file read in place, with the recorded base URL replaced by the server's. */
export function fixtureJson(file: string, base: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8').replaceAll(EXAMIND_BASE, base));
}

/** Applies `$filter=phenomenonTime gt <t>` to an Observations page (plain entities or dataArray), as a server would. */
export function filterAfter(body: Record<string, unknown>, url: URL): Record<string, unknown> {
  const filter = /^phenomenonTime gt (\S+)$/.exec(url.searchParams.get('$filter') ?? '');
  if (!filter) return body;
  const after = Date.parse(filter[1]!);
  const value = (body['value'] as Record<string, unknown>[]).map((item) => {
    if (!Array.isArray(item['dataArray'])) return item;
    const components = item['components'] as string[];
    const at = components.indexOf('phenomenonTime');
    return { ...item, dataArray: (item['dataArray'] as unknown[][]).filter((row) => Date.parse(String(row[at])) > after) };
  });
  return { ...body, value: value.filter((item) => !('phenomenonTime' in item) || Date.parse(String(item['phenomenonTime'])) > after) };
}

/** A SensorThings service on a loopback port answering from `handler` (404 when it returns null). */
export async function startSensorThingsServer(root: string, handler: Handler): Promise<SensorThingsServer> {
  const requests: string[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push(decodeURIComponent(url.pathname + url.search));
    const answer = handler(url, base);
    res.writeHead(answer?.status ?? 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer?.body ?? { code: 404, message: `no entity at ${url.pathname}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${root}`;
  return {
    base,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
