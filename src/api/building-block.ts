import type { Context } from 'koa';
import type { Collection } from '../domain/collection.js';
import type { ErrorFormat } from './error-format.js';

/** Per-request values the HTTP edge provides to every handler. */
export interface RequestState {
  /** Public base URL of the service, without a trailing slash. */
  readonly baseUrl: string;
  /** Public base URL of the API the route belongs to: `baseUrl` and the API's mount path. */
  readonly apiBase: string;
  readonly requestId: string;
  /** When the request arrived (the `timeStamp` of feature collections). */
  readonly receivedAt: Date;
}

export type ApiContext = Context & { state: RequestState };

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Koa router path below the API's mount path, e.g. `/collections/:collectionId/items`. */
  readonly path: string;
  readonly handler: (ctx: ApiContext) => Promise<void>;
  /** The route only refuses a malformed form of a documented path (an empty id segment): not in the API definition. */
  readonly refusal?: true;
}

/** A fragment of the OpenAPI 3.0 document (paths and components) contributed by one block. */
export interface OpenApiFragment {
  readonly paths?: Record<string, unknown>;
  readonly parameters?: Record<string, unknown>;
  readonly schemas?: Record<string, unknown>;
  readonly responses?: Record<string, unknown>;
}

/**
 * One building block of an API (OGC API Features core, CRS, filtering, time series, admin …): its
 * routes, the conformance classes it implements and its part of the API definition. Landing pages,
 * /conformance and /api are derived from the blocks that are enabled.
 */
export interface BuildingBlock {
  readonly name: string;
  readonly conformance: readonly string[];
  readonly routes: readonly Route[];
  /** Its part of the API definition; collections are given so per-collection parameters can be declared. */
  openapi(collections: readonly Collection[]): OpenApiFragment;
}

/**
 * One API the service offers: its blocks, mounted under a path (empty for the root) and answering
 * errors in its own format. Requests to unknown paths get the format of the API with the longest
 * mount path that contains them.
 */
export interface Api {
  readonly name: string;
  /** The path every route of the API is mounted under: '' or '/…' without a trailing slash. */
  readonly mount: string;
  readonly errors: ErrorFormat;
  readonly blocks: readonly BuildingBlock[];
}

/** An API's blocks as seen from the service root: routes and API definition paths under the API's mount path. */
export function mountedBlocks(api: Api): BuildingBlock[] {
  if (api.mount === '') return [...api.blocks];
  const under = (path: string) => `${api.mount}${path}`;
  return api.blocks.map((block) => ({
    ...block,
    routes: block.routes.map((route) => ({ ...route, path: under(route.path) })),
    openapi(collections) {
      const fragment = block.openapi(collections);
      return fragment.paths ? { ...fragment, paths: Object.fromEntries(Object.entries(fragment.paths).map(([path, item]) => [under(path), item])) } : fragment;
    },
  }));
}
