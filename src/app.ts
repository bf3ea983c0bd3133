import cors from '@koa/cors';
import Router from '@koa/router';
import Koa from 'koa';
import compress from 'koa-compress';
import type { Api, ApiContext } from './api/building-block.js';
import type { ErrorFormat } from './api/error-format.js';
import { errorMiddleware } from './http/error-middleware.js';
import { publicBaseUrl, queryLengthGuard, requestContext } from './http/request-context.js';
import { staticAssets } from './http/static-assets.js';
import type { Logger } from './logger.js';

export interface AppOptions {
  readonly logger: Logger;
  /** The APIs, root API first: its error format answers what no API claims. */
  readonly apis: readonly [Api, ...Api[]];
  readonly baseUrl: string | undefined;
  readonly trustProxy: boolean;
}

const API = 'api';

/** The API whose mount path is the longest one containing the path. */
function apiOfPath(apis: readonly Api[], path: string): Api {
  let best = apis[0]!;
  for (const api of apis) {
    const within = api.mount === '' || path === api.mount || path.startsWith(`${api.mount}/`);
    if (within && api.mount.length > best.mount.length) best = api;
  }
  return best;
}

/** The Koa application: edge middleware, then every API's routes under its mount path. It never listens. */
export function buildApp(options: AppOptions): Koa {
  const app = new Koa({ proxy: options.trustProxy });
  app.silent = true;
  const router = new Router();
  for (const api of options.apis) {
    for (const block of api.blocks) {
      for (const route of block.routes) {
        const handler = (ctx: Koa.Context) => {
          ctx.state[API] = api;
          ctx.state['apiBase'] = `${ctx.state['baseUrl'] as string}${api.mount}`;
          return route.handler(ctx as ApiContext);
        };
        router.register(`${api.mount}${route.path}`, [route.method], handler);
      }
    }
  }
  const errorFormat = (ctx: Koa.Context): ErrorFormat => ((ctx.state[API] as Api | undefined) ?? apiOfPath(options.apis, ctx.path)).errors;

  app.use(requestContext(options.logger));
  app.use(errorMiddleware(errorFormat, options.logger));
  app.use(publicBaseUrl({ baseUrl: options.baseUrl, trustProxy: options.trustProxy }));
  app.use(queryLengthGuard());
  app.use(cors({ origin: '*', exposeHeaders: ['Content-Crs', 'X-Request-Id', 'Link'] }));
  app.use(compress({ threshold: 2048 }));
  app.use(staticAssets());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
