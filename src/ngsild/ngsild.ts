import type { Api, ApiContext } from '../api/building-block.js';
import type { Logger } from '../logger.js';
import { cachedCatalog, type CollectionReader } from '../services/features/collection-catalog.js';
import type { EntityService } from '../services/entities/entity-service.js';
import type { ChangeFeed } from '../services/ports/changes.js';
import type { SubscriptionStore } from '../services/ports/subscription-ports.js';
import { consumptionBlock } from './consumption-block.js';
import { contextLoader } from './context/context-loader.js';
import { discoveryBlock } from './discovery-block.js';
import { CORE_CONTEXT_URL } from './context/offline-contexts.js';
import { termMaps, type TermMaps } from './context/term-map.js';
import { entityReader, type ItemUrl } from './entities/entity-reader.js';
import { entityTypes } from './entities/entity-types.js';
import { NGSI_LD_PROBLEMS } from './errors.js';
import { subscriptionBlock } from './subscription-block.js';
import { dispatcher } from './subscriptions/dispatcher.js';
import { startNotifier, type Notifier, type NotifierSettings } from './subscriptions/notifier.js';
import { NGSI_LD_MOUNT } from './vocabulary.js';

export interface NgsiLdNames {
  /** URL prefixes @contexts may be fetched from. */
  readonly contextsAllow: readonly string[];
  readonly contextTimeoutMs: number;
}

export interface NgsiLdApiOptions extends NgsiLdNames {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  /** Where subscriptions are kept. */
  readonly subscriptions: SubscriptionStore;
  readonly maxBodyBytes: number;
  /** Where the OGC API item of a feature is: entities link back to it (`describedBy`). */
  readonly itemUrl?: (ctx: ApiContext) => ItemUrl;
}

/** How long a fetched @context is kept. */
const CONTEXT_TTL_MS = 3_600_000;
/** How long the notifier keeps the entity types it read (a change of an unknown collection reads them again). */
const TYPES_TTL_MS = 1000;

function names(options: NgsiLdNames): TermMaps {
  return termMaps(contextLoader({ allow: options.contextsAllow, timeoutMs: options.contextTimeoutMs, ttlMs: CONTEXT_TTL_MS }), CORE_CONTEXT_URL);
}

/**
 * The NGSI-LD API (ETSI GS CIM 009 V1.8.1) at /ngsi-ld/v1, over the same feature rows the OGC API
 * serves: entities are the features of collections that name an entity type.
 */
export function ngsiLdApi(options: NgsiLdApiOptions): Api {
  const terms = names(options);
  const reader = entityReader({ collections: options.collections, entities: options.entities, terms });
  return {
    name: 'NGSI-LD',
    mount: NGSI_LD_MOUNT,
    errors: NGSI_LD_PROBLEMS,
    blocks: [
      consumptionBlock({ reader, terms, maxBodyBytes: options.maxBodyBytes, ...(options.itemUrl ? { itemUrl: options.itemUrl } : {}) }),
      discoveryBlock({ collections: options.collections, entities: options.entities, terms }),
      subscriptionBlock({ subscriptions: options.subscriptions, terms, maxBodyBytes: options.maxBodyBytes }),
    ],
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
  const terms = names(options);
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
