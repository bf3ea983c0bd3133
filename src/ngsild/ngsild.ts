import type { Api, ApiContext, BuildingBlock, Route } from '../api/building-block.js';
import { InvalidParameterError, TenantsNotSupportedError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { cachedCatalog, type CollectionReader } from '../services/features/collection-catalog.js';
import type { EntityProvision } from '../services/entities/entity-provision.js';
import type { EntityService } from '../services/entities/entity-service.js';
import type { ChangeFeed } from '../services/ports/changes.js';
import type { HistoryStore } from '../services/ports/history-ports.js';
import type { SubscriptionStore } from '../services/ports/subscription-ports.js';
import type { StoredContextService } from '../services/ld-contexts/stored-contexts.js';
import { consumptionBlock } from './consumption-block.js';
import { contextCatalog, hostedContextId } from './context/context-catalog.js';
import { contextLoader } from './context/context-loader.js';
import { discoveryBlock } from './discovery-block.js';
import { CORE_CONTEXT_URL } from './context/offline-contexts.js';
import { termMaps } from './context/term-map.js';
import { entityReader, type ItemUrl } from './entities/entity-reader.js';
import { entityTypes } from './entities/entity-types.js';
import { typeSummaries } from './entities/type-summaries.js';
import { startRegistration, type Registration, type RegistrationSettings } from './federation/registration.js';
import { NGSI_LD_PROBLEMS } from './errors.js';
import { temporalBlock } from './temporal-block.js';
import { temporalProvisionBlock } from './temporal-provision-block.js';
import { temporalReader } from './temporal/temporal-reader.js';
import { jsonldContextsBlock } from './jsonld-contexts-block.js';
import { provisionBlock } from './provision-block.js';
import { subscriptionBlock } from './subscription-block.js';
import { dispatcher } from './subscriptions/dispatcher.js';
import { startNotifier, type Notifier, type NotifierSettings } from './subscriptions/notifier.js';
import type { WriteAccess } from './write-access.js';
import { HEADER, NGSI_LD_MOUNT } from './vocabulary.js';

/** Where the names of requests come from. */
export interface NgsiLdNames {
  /** URL prefixes @contexts may be fetched from. */
  readonly contextsAllow: readonly string[];
  readonly contextTimeoutMs: number;
  /** The @contexts placelink hosts (the @context API). */
  readonly storedContexts: StoredContextService;
}

export interface NgsiLdApiOptions extends NgsiLdNames {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly provision: EntityProvision;
  /** Who may write entities. */
  readonly writes: WriteAccess;
  /** Where subscriptions are kept. */
  readonly subscriptions: SubscriptionStore;
  readonly maxBodyBytes: number;
  /** Where the OGC API item of a feature is: entities link back to it (`describedBy`). */
  readonly itemUrl?: (ctx: ApiContext) => ItemUrl;
  /** Attribute history, for the temporal API. */
  readonly history: Omit<HistoryStore, 'maintain'>;
  /** Most instances of one entity a temporal response holds (more: 206 with Content-Range). */
  readonly temporalLimit: number;
}

/** How long a fetched @context is kept. */
const CONTEXT_TTL_MS = 3_600_000;
/** How long the notifier keeps the entity types it read (a change of an unknown collection reads them again). */
const TYPES_TTL_MS = 1000;

/** The loader of @contexts: shipped, hosted (read from the database even when named by URL: no request to itself), or fetched from the allow-list. */
function loaderOf(options: NgsiLdNames) {
  const hosted = async (url: string) => {
    const id = hostedContextId(url);
    return id === null ? undefined : options.storedContexts.document(id);
  };
  return contextLoader({ allow: options.contextsAllow, timeoutMs: options.contextTimeoutMs, ttlMs: CONTEXT_TTL_MS, hosted });
}

/**
 * The NGSI-LD API (ETSI GS CIM 009 V1.8.1) at /ngsi-ld/v1, over the same feature rows the OGC API
 * serves: entities are the features of collections that name an entity type.
 */
export function ngsiLdApi(options: NgsiLdApiOptions): Api {
  const loader = loaderOf(options);
  const contexts = contextCatalog({ loader, stored: options.storedContexts, changed: (test) => terms.forget(test) });
  const terms = termMaps(loader.load, CORE_CONTEXT_URL, (urls) => contexts.used(urls));
  const reader = entityReader({ collections: options.collections, entities: options.entities, terms });
  return {
    name: 'NGSI-LD',
    mount: NGSI_LD_MOUNT,
    errors: NGSI_LD_PROBLEMS,
    blocks: withRequestChecks([
      consumptionBlock({ reader, terms, maxBodyBytes: options.maxBodyBytes, ...(options.itemUrl ? { itemUrl: options.itemUrl } : {}) }),
      discoveryBlock({ collections: options.collections, entities: options.entities, terms }),
      temporalBlock({ reader: temporalReader({ entities: reader, history: options.history, instanceLimit: options.temporalLimit }), terms, maxBodyBytes: options.maxBodyBytes }),
      jsonldContextsBlock({ contexts, maxBodyBytes: options.maxBodyBytes }),
      provisionBlock({ provision: options.provision, reader, terms, access: options.writes, maxBodyBytes: options.maxBodyBytes }),
      temporalProvisionBlock({ provision: options.provision, reader, instances: options.history, terms, access: options.writes, maxBodyBytes: options.maxBodyBytes }),
      subscriptionBlock({ subscriptions: options.subscriptions, terms, maxBodyBytes: options.maxBodyBytes }),
    ]),
  };
}

export interface NgsiLdNotifierOptions extends NgsiLdNames, NotifierSettings {
  /** The collections as stored (the notifier keeps its own short-lived cache). */
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly subscriptions: SubscriptionStore;
  /** The committed changes of this process, which wake the dispatcher. */
  readonly changes: ChangeFeed;
  /** Changes claimed per round. */
  readonly batchSize: number;
  readonly logger: Logger;
}

/** Starts delivering the notifications of NGSI-LD subscriptions (subscriptions/notifier.ts). */
export function startNgsiLdNotifier(options: NgsiLdNotifierOptions): Promise<Notifier> {
  // Notifications use @contexts as requests do, but are no requests: they count no hits.
  const terms = termMaps(loaderOf(options).load, CORE_CONTEXT_URL);
  const catalog = cachedCatalog(options.collections, TYPES_TTL_MS);
  const dispatch = dispatcher({
    store: options.subscriptions,
    entities: options.entities,
    types: (fresh) => {
      if (fresh) catalog.invalidate();
      return entityTypes({ collections: catalog, entities: options.entities, terms }, true);
    },
    terms,
    logger: options.logger,
    batchSize: options.batchSize,
  });
  return startNotifier(options.subscriptions, dispatch, options.changes, options, options.logger);
}

export interface NgsiLdRegistrationOptions extends NgsiLdNames, RegistrationSettings {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly logger: Logger;
}

/** Registers placelink at another broker as a Context Source and keeps the registration current (federation/registration.ts). */
export function startNgsiLdRegistration(options: NgsiLdRegistrationOptions): Registration {
  const terms = termMaps(loaderOf(options).load, CORE_CONTEXT_URL);
  const sources = { collections: options.collections, entities: options.entities, terms };
  return startRegistration({ types: () => typeSummaries(sources), collections: options.collections }, options, options.logger);
}

/** What every NGSI-LD request is checked for before its operation: placelink has one tenant (clause 6.3.14). */
function withRequestChecks(blocks: readonly BuildingBlock[]): BuildingBlock[] {
  const checked = (handler: Route['handler']): Route['handler'] => async (ctx) => {
    const tenant = ctx.get(HEADER.tenant);
    if (tenant !== '') throw new TenantsNotSupportedError(`placelink keeps one set of entities and has no tenant '${tenant.slice(0, 80)}': send requests without NGSILD-Tenant`);
    await handler(ctx);
  };
  const all = blocks.map((block) => ({ ...block, routes: block.routes.map((route) => ({ ...route, handler: checked(route.handler) })) }));
  return [...all, emptySegmentBlock(all)];
}

/**
 * A path with an empty id segment inside it (`/entities//attrs/speed`) names no resource: it is a
 * bad request (400), not an unknown route (404). These routes come after the real ones, so a path that
 * a real route also matches keeps its meaning.
 */
function emptySegmentBlock(blocks: readonly BuildingBlock[]): BuildingBlock {
  const real = new Set(blocks.flatMap((block) => block.routes.map((route) => `${route.method} ${route.path.replace(/\/$/, '')}`)));
  const routes: Route[] = [];
  for (const route of blocks.flatMap((block) => block.routes)) {
    const segments = route.path.split('/');
    segments.forEach((segment, i) => {
      // A trailing empty segment is the collection's path: its methods answer (405 where it has none, as the suite expects).
      if (!segment.startsWith(':') || i === segments.length - 1) return;
      const path = [...segments.slice(0, i), '', ...segments.slice(i + 1)].join('/');
      const key = `${route.method} ${path.replace(/\/$/, '')}`;
      if (real.has(key) || routes.some((r) => `${r.method} ${r.path}` === `${route.method} ${path}`)) return;
      const parameter = segment.slice(1);
      routes.push({
        method: route.method,
        path,
        refusal: true,
        handler: async () => {
          throw new InvalidParameterError(parameter, `the ${parameter} of the path is empty`);
        },
      });
    });
  }
  return { name: 'NGSI-LD empty path segments', conformance: [], routes, openapi: () => ({}) };
}
