import type { Api, ApiContext, BuildingBlock, Route } from '../api/building-block.js';
import { TenantsNotSupportedError } from '../domain/errors.js';
import type { CollectionReader } from '../services/features/collection-catalog.js';
import type { EntityProvision } from '../services/entities/entity-provision.js';
import type { EntityService } from '../services/entities/entity-service.js';
import type { HistoryStore } from '../services/ports/history-ports.js';
import type { StoredContextService } from '../services/ld-contexts/stored-contexts.js';
import { consumptionBlock } from './consumption-block.js';
import { contextCatalog, hostedContextId } from './context/context-catalog.js';
import { contextLoader } from './context/context-loader.js';
import { discoveryBlock } from './discovery-block.js';
import { CORE_CONTEXT_URL } from './context/offline-contexts.js';
import { termMaps } from './context/term-map.js';
import { entityReader, type ItemUrl } from './entities/entity-reader.js';
import { NGSI_LD_PROBLEMS } from './errors.js';
import { temporalBlock } from './temporal-block.js';
import { temporalProvisionBlock } from './temporal-provision-block.js';
import { temporalReader } from './temporal/temporal-reader.js';
import { jsonldContextsBlock } from './jsonld-contexts-block.js';
import { provisionBlock } from './provision-block.js';
import type { WriteAccess } from './write-access.js';
import { HEADER, NGSI_LD_MOUNT } from './vocabulary.js';

export interface NgsiLdApiOptions {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly provision: EntityProvision;
  /** Who may write entities. */
  readonly writes: WriteAccess;
  /** URL prefixes @contexts may be fetched from. */
  readonly contextsAllow: readonly string[];
  readonly contextTimeoutMs: number;
  /** The @contexts placelink hosts (the @context API). */
  readonly storedContexts: StoredContextService;
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

/**
 * The NGSI-LD API (ETSI GS CIM 009 V1.8.1) at /ngsi-ld/v1, over the same feature rows the OGC API
 * serves: entities are the features of collections that name an entity type.
 */
export function ngsiLdApi(options: NgsiLdApiOptions): Api {
  const stored = options.storedContexts;
  // A hosted context is read from the database even when a request names it by URL: no request to itself.
  const hosted = async (url: string) => {
    const id = hostedContextId(url);
    return id === null ? undefined : stored.document(id);
  };
  const loader = contextLoader({ allow: options.contextsAllow, timeoutMs: options.contextTimeoutMs, ttlMs: CONTEXT_TTL_MS, hosted });
  const contexts = contextCatalog({ loader, stored, changed: (test) => terms.forget(test) });
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
      provisionBlock({ provision: options.provision, terms, access: options.writes, maxBodyBytes: options.maxBodyBytes }),
      temporalProvisionBlock({ provision: options.provision, reader, instances: options.history, terms, access: options.writes, maxBodyBytes: options.maxBodyBytes }),
    ]),
  };
}

/** What every NGSI-LD request is checked for before its operation: placelink has one tenant (clause 6.3.14). */
function withRequestChecks(blocks: readonly BuildingBlock[]): BuildingBlock[] {
  const checked = (handler: Route['handler']): Route['handler'] => async (ctx) => {
    const tenant = ctx.get(HEADER.tenant);
    if (tenant !== '') throw new TenantsNotSupportedError(`placelink keeps one set of entities and has no tenant '${tenant.slice(0, 80)}': send requests without NGSILD-Tenant`);
    await handler(ctx);
  };
  return blocks.map((block) => ({ ...block, routes: block.routes.map((route) => ({ ...route, handler: checked(route.handler) })) }));
}
