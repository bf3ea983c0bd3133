import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { composeApi, ROOT_ERRORS, type ApiConfig } from '../../src/compose.js';
import { createHttpServer } from '../../src/http/server.js';
import type { Store } from '../../src/services/ports/store.js';
import type { SensorService } from '../../src/services/sensors/sensor-service.js';
import { testLogger } from './database.js';

export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The configuration test servers run with unless a test overrides part of it. */
export const TEST_API_CONFIG: ApiConfig = { baseUrl: undefined, trustProxy: false, countLimit: 100_000, catalogTtlMs: 0 };

/** The API on a real loopback port (streaming, disconnects and real clients need a socket). */
export async function startTestServer(store: Store, config: Partial<ApiConfig> = {}, sensors?: SensorService): Promise<TestServer> {
  return listenOnLoopback(composeApi(store, { ...TEST_API_CONFIG, ...config }, testLogger, sensors));
}

/** Any Koa application behind the service's own HTTP server, on a free loopback port. */
export async function listenOnLoopback(app: Koa, logger = testLogger): Promise<TestServer> {
  const server = createHttpServer(app, ROOT_ERRORS, logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
