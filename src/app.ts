import cors from '@koa/cors';
import Router from '@koa/router';
import Koa from 'koa';
import compress from 'koa-compress';
import { problemMiddleware } from './http/problem-middleware.js';
import { publicBaseUrl, queryLengthGuard, requestContext } from './http/request-context.js';
import { staticAssets } from './http/static-assets.js';
import type { Logger } from './logger.js';
import type { ApiContext, BuildingBlock } from './ogcapi/building-block.js';

export interface AppOptions {
  readonly logger: Logger;
  readonly blocks: readonly BuildingBlock[];
  readonly baseUrl: string | undefined;
  readonly trustProxy: boolean;
}

/** The Koa application: edge middleware, then every building block's routes. It never listens. */
export function buildApp(options: AppOptions): Koa {
  const app = new Koa({ proxy: options.trustProxy });
  app.silent = true;
  const router = new Router();
  for (const block of options.blocks) {
    for (const route of block.routes) {
      const handler = (ctx: Koa.Context) => route.handler(ctx as ApiContext);
      router.register(route.path, [route.method], handler);
    }
  }

  app.use(requestContext(options.logger));
  app.use(problemMiddleware(options.logger));
  app.use(publicBaseUrl({ baseUrl: options.baseUrl, trustProxy: options.trustProxy }));
  app.use(queryLengthGuard());
  app.use(cors({ origin: '*', exposeHeaders: ['Content-Crs', 'X-Request-Id', 'Link'] }));
  app.use(compress({ threshold: 2048 }));
  app.use(staticAssets());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
