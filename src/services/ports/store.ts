import type { EntityStore, EntityWrites } from './entity-ports.js';
import type { HistoryStore } from './history-ports.js';
import type { LdContextStore } from './ld-context-ports.js';
import type { CollectionRepository, FeatureRepository, FeatureWrites, PageSource } from './feature-ports.js';
import type { RunRepository } from './run-ports.js';
import type { SensorStore } from './sensor-ports.js';
import type { SubscriptionStore } from './subscription-ports.js';

/**
 * Every port of the persistence layer in one object: src/db implements it, the composition root
 * hands each service the ports it needs. Nothing else uses it whole.
 */
export interface Store extends FeatureWrites, EntityWrites {
  readonly collections: CollectionRepository;
  readonly features: FeatureRepository;
  readonly pages: PageSource;
  /** NGSI-LD entities: the features of collections that name an entity type. */
  readonly entities: EntityStore;
  /** Attribute history (versions, written instances, observations): the NGSI-LD temporal API. */
  readonly history: HistoryStore;
  /** The @contexts placelink hosts for NGSI-LD clients. */
  readonly ldContexts: LdContextStore;
  readonly runs: RunRepository;
  /** Sensor sources, datastreams, observations and asset links. */
  readonly sensors: SensorStore;
  /** NGSI-LD subscriptions, the change log of entities and the outbox of notifications. */
  readonly subscriptions: SubscriptionStore;
  /** Database reachable and schema current. */
  ready(): Promise<boolean>;
}
