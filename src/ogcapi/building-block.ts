import type { Context } from 'koa';
import type { Collection } from '../domain/collection.js';

/** Per-request values the HTTP edge provides to every handler. */
export interface RequestState {
  /** Public base URL for links, without a trailing slash. */
  readonly baseUrl: string;
  readonly requestId: string;
  /** When the request arrived (the `timeStamp` of feature collections). */
  readonly receivedAt: Date;
}

export type ApiContext = Context & { state: RequestState };

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Koa router path, e.g. `/collections/:collectionId/items`. */
  readonly path: string;
  readonly handler: (ctx: ApiContext) => Promise<void>;
}

/** A fragment of the OpenAPI 3.0 document (paths and components) contributed by one block. */
export interface OpenApiFragment {
  readonly paths?: Record<string, unknown>;
  readonly parameters?: Record<string, unknown>;
  readonly schemas?: Record<string, unknown>;
  readonly responses?: Record<string, unknown>;
}

/**
 * One building block of the API (OGC API Features core, CRS, filtering, NGSI-LD, admin …): its
 * routes, the conformance classes it implements and its part of the API definition. The landing
 * page, /conformance and /api are derived from the blocks that are enabled.
 */
export interface BuildingBlock {
  readonly name: string;
  readonly conformance: readonly string[];
  readonly routes: readonly Route[];
  /** Its part of the API definition; collections are given so per-collection parameters can be declared. */
  openapi(collections: readonly Collection[]): OpenApiFragment;
}
