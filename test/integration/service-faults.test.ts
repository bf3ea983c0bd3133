import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { composeApis } from '../../src/compose.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { createStore } from '../../src/db/store.js';
import type { Logger } from '../../src/logger.js';
import type { BuildingBlock } from '../../src/api/building-block.js';
import type { Store } from '../../src/services/ports/store.js';
import { isEmbedded, testDatabase, testLogger, testStore, uniqueId } from '../helpers/database.js';
import { announceSkip } from '../helpers/environment.js';
import { createCollection, pointGrid } from '../helpers/fixtures.js';
import { listenOnLoopback, TEST_API_CONFIG, type TestServer } from '../helpers/http-server.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * How the service fails: every problem's errorId is in its log line; an unexpected error is a 500
 * without internals; a statement over the timeout is a 503; the database going away (connections
 * cut, backends terminated) gives 503s and a failing /readyz, never a 500 or a crash, and the
 * service serves again when the database is back.
 */

const INTERNALS = /secret_column|TypeError|\n\s+at |\.ts:\d+|node_modules|SELECT/;

/** Routes that fail on purpose, added to the real building blocks of the API. */
function faultBlock(db: Database): BuildingBlock {
  return {
    name: 'Faults (test only)',
    conformance: [],
    routes: [
      {
        method: 'GET',
        path: '/test/throws',
        handler: async () => {
          throw new TypeError("cannot read 'rows' of undefined after SELECT secret_column FROM feature");
        },
      },
      {
        method: 'GET',
        path: '/test/sleep',
        handler: async (ctx) => {
          await db.query({ text: 'SELECT pg_sleep($1::float8)', values: [Number(ctx.query['seconds'] ?? 5)] });
          ctx.body = { slept: true };
        },
      },
    ],
    openapi: () => ({}),
  };
}

function faultyApi(db: Database, store: Store, logger: Logger): Koa {
  const [root, ...others] = composeApis(store, TEST_API_CONFIG);
  return buildApp({ logger, apis: [{ ...root, blocks: [...root.blocks, faultBlock(db)] }, ...others], baseUrl: undefined, trustProxy: false });
}

interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errorId: string;
}

async function problemAt(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; problem: Problem; headers: Headers }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  expect(response.headers.get('content-type'), text).toBe('application/problem+json');
  return { status: response.status, text, problem: JSON.parse(text) as Problem, headers: response.headers };
}

const statusOf = async (url: string) => {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
};

/** Retries `url` until it answers 200 (or `ms` pass); returns every status seen. */
async function untilOk(url: string, ms = 10_000): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    seen.push(await statusOf(url));
    if (seen.at(-1) === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return seen;
}

let db: Database;
let store: Store;
const grid = uniqueId('faults');

beforeAll(async () => {
  db = testDatabase();
  store = await testStore(db);
  await createCollection(store, { id: grid }, pointGrid(10_000));
});

afterAll(async () => {
  await store?.collections.remove(grid);
  await db?.close();
});

describe('errors are logged with the id the client is given', () => {
  let log: CapturedLog;
  let server: TestServer;

  beforeAll(async () => {
    log = captureLog('info');
    server = await listenOnLoopback(faultyApi(db, store, log.logger));
  });
  afterAll(() => server?.close());

  it('a client error: the errorId and request id of the problem are in the info line', async () => {
    const { status, problem, headers } = await problemAt(`${server.url}/collections?foo=1`, { 'X-Request-Id': 'faults-400' });
    expect(status).toBe(400);
    expect(headers.get('x-request-id')).toBe('faults-400');
    const line = log.lines().find((l) => l['errorId'] === problem.errorId);
    expect(line).toMatchObject({ level: 30, msg: 'request rejected', requestId: 'faults-400', status: 400, code: 'unknown-parameter', url: '/collections?foo=1' });
    expect(line!['detail']).toBe(problem.detail);
  });

  it('an unexpected error: a 500 with no internals, the message and stack only in the error line with the same id', async () => {
    const { status, text, problem } = await problemAt(`${server.url}/test/throws`);
    expect(status).toBe(500);
    expect(problem).toMatchObject({ status: 500, code: 'internal', title: 'Internal server error' });
    expect(problem.detail).toBe(`An unexpected error occurred; quote error id ${problem.errorId} to the operator.`);
    expect(text).not.toMatch(INTERNALS);
    const line = log.lines().find((l) => l['errorId'] === problem.errorId);
    expect(line).toMatchObject({ level: 50, msg: 'request failed', status: 500, code: 'internal', err: { type: 'TypeError', message: expect.stringContaining('secret_column') } });
    expect((line!['err'] as { stack: string }).stack).toMatch(/service-faults\.test\.ts/);
  });
});

const noTimeouts = announceSkip('service-faults.test.ts (statement timeout)', isEmbedded() ? 'the embedded PGlite has no statement timeouts' : null);

describe.skipIf(noTimeouts)('statement timeout', () => {
  let hasty: Database;
  let log: CapturedLog;
  let server: TestServer;

  beforeAll(async () => {
    hasty = createDatabase({ connectionString: inject('databaseUrl'), poolSize: 2, statementTimeoutMs: 50, applicationName: 'placelink-test-hasty' }, testLogger);
    log = captureLog('info');
    server = await listenOnLoopback(faultyApi(hasty, await createStore(hasty), log.logger));
  });
  afterAll(async () => {
    await server?.close();
    await hasty?.close();
  });

  it('pg_sleep past the statement timeout is a QueryTimeoutError: 503 with Retry-After, at once, logged with its id', async () => {
    const started = Date.now();
    const { status, text, problem, headers } = await problemAt(`${server.url}/test/sleep?seconds=3`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(status).toBe(503);
    expect(problem).toMatchObject({ code: 'query-timeout', title: 'Query timed out', detail: 'The query took longer than the configured statement timeout' });
    expect(headers.get('retry-after')).toBe('5');
    expect(text).not.toMatch(INTERNALS);
    expect(log.lines().find((l) => l['errorId'] === problem.errorId)).toMatchObject({ level: 50, status: 503, code: 'query-timeout' });
  });

  it('an items request whose scan outlasts the statement timeout is a 503 too', async () => {
    const filter = 's_distance(geometry, POINT(0 0)) + s_distance(geometry, POINT(9 52)) * 0 < 0';
    const { status, problem } = await problemAt(`${server.url}/collections/${grid}/items?${new URLSearchParams({ filter, limit: '1000' }).toString()}`);
    expect(status).toBe(503);
    expect(problem.code).toBe('query-timeout');
    expect(await statusOf(`${server.url}/collections/${grid}/items?limit=1`)).toBe(200);
  });
});

describe.skipIf(isEmbedded())('the database going away while the service runs', () => {
  const APPLICATION = 'placelink-test-gone';
  let proxy: TcpProxy;
  let proxied: Database;
  let log: CapturedLog;
  let server: TestServer;

  beforeAll(async () => {
    const target = new URL(inject('databaseUrl'));
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const through = new URL(target);
    through.port = String(proxy.port);
    proxied = createDatabase({ connectionString: through.toString(), poolSize: 2, statementTimeoutMs: 30_000, applicationName: APPLICATION }, testLogger);
    log = captureLog('info');
    server = await listenOnLoopback(faultyApi(proxied, await createStore(proxied), log.logger));
  });
  afterAll(async () => {
    await server?.close();
    await proxied?.close();
    await proxy?.close();
  });

  it('connections cut: 503 problems and a failing /readyz, /healthz alive; served again once it is back', async () => {
    const items = `${server.url}/collections/${grid}/items?limit=5`;
    expect(await statusOf(`${server.url}/readyz`)).toBe(200);
    expect(await statusOf(items)).toBe(200);

    proxy.cut();
    for (let round = 0; round < 3; round++) {
      for (const url of [`${server.url}/collections`, items, `${server.url}/collections/${grid}/items/P-0001`]) {
        const { status, text, problem, headers } = await problemAt(url);
        expect(status, url).toBe(503);
        expect(problem.code).toBe('database-unavailable');
        expect(headers.get('retry-after')).toBe('5');
        expect(text).not.toMatch(INTERNALS);
      }
      expect(await statusOf(`${server.url}/readyz`)).toBe(503);
      expect(await statusOf(`${server.url}/healthz`)).toBe(200);
    }

    proxy.restore();
    expect((await untilOk(`${server.url}/readyz`)).at(-1)).toBe(200);
    const page = (await (await fetch(items)).json()) as { features: unknown[]; numberMatched: number };
    expect(page.features).toHaveLength(5);
    expect(page.numberMatched).toBe(10_000);
    expect(log.lines().filter((l) => l['status'] === 500)).toEqual([]);
  });

  it('backends terminated (pg_terminate_backend): the query in flight gets a 503, the next requests are served', async () => {
    const inFlight = problemAt(`${server.url}/test/sleep?seconds=30`);
    const active = async () =>
      (
        await db.query<{ n: number }>({
          text: "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          values: [APPLICATION],
        })
      )[0]!.n;
    for (let i = 0; i < 100 && (await active()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await active()).toBe(1);
    const [terminated] = await db.query<{ n: number }>({
      text: 'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      values: [APPLICATION],
    });
    expect(terminated!.n).toBeGreaterThanOrEqual(1);

    const { status, text, problem } = await inFlight;
    expect(status).toBe(503);
    expect(problem.code).toBe('database-unavailable');
    expect(text).not.toMatch(INTERNALS);

    const seen = await untilOk(`${server.url}/collections/${grid}/items?limit=5`);
    expect(seen.at(-1)).toBe(200);
    expect(seen.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(await statusOf(`${server.url}/readyz`)).toBe(200);
    expect(log.lines().filter((l) => l['status'] === 500)).toEqual([]);
  });
});
