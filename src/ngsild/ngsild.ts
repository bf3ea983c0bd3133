import type { Api } from '../api/building-block.js';
import type { CollectionReader } from '../services/features/collection-catalog.js';
import type { EntityProvision } from '../services/entities/entity-provision.js';
import type { EntityService } from '../services/entities/entity-service.js';
import { consumptionBlock } from './consumption-block.js';
import { contextLoader } from './context/context-loader.js';
import { discoveryBlock } from './discovery-block.js';
import { CORE_CONTEXT_URL } from './context/offline-contexts.js';
import { termMaps } from './context/term-map.js';
import { entityReader } from './entities/entity-reader.js';
import { NGSI_LD_PROBLEMS } from './errors.js';
import { provisionBlock, type WriteAccess } from './provision-block.js';
import { NGSI_LD_MOUNT } from './vocabulary.js';

export interface NgsiLdApiOptions {
  readonly collections: CollectionReader;
  readonly entities: EntityService;
  readonly provision: EntityProvision;
  /** Who may write entities. */
  readonly writes: WriteAccess;
  /** URL prefixes @contexts may be fetched from. */
  readonly contextsAllow: readonly string[];
  readonly contextTimeoutMs: number;
  readonly maxBodyBytes: number;
}

/** How long a fetched @context is kept. */
const CONTEXT_TTL_MS = 3_600_000;

/**
 * The NGSI-LD API (ETSI GS CIM 009 V1.8.1) at /ngsi-ld/v1, over the same feature rows the OGC API
 * serves: entities are the features of collections that name an entity type.
 */
export function ngsiLdApi(options: NgsiLdApiOptions): Api {
  const terms = termMaps(contextLoader({ allow: options.contextsAllow, timeoutMs: options.contextTimeoutMs, ttlMs: CONTEXT_TTL_MS }), CORE_CONTEXT_URL);
  const reader = entityReader({ collections: options.collections, entities: options.entities, terms });
  return {
    name: 'NGSI-LD',
    mount: NGSI_LD_MOUNT,
    errors: NGSI_LD_PROBLEMS,
    blocks: [
      consumptionBlock({ reader, terms, maxBodyBytes: options.maxBodyBytes }),
      discoveryBlock({ collections: options.collections, entities: options.entities, terms }),
      provisionBlock({ provision: options.provision, terms, access: options.writes, maxBodyBytes: options.maxBodyBytes }),
    ],
  };
}
