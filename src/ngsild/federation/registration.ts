import { createHash } from 'node:crypto';
import type { Polygon } from 'geojson';
import { entityCollectionOf } from '../../domain/entity.js';
import type { Logger } from '../../logger.js';
import type { CollectionReader } from '../../services/features/collection-catalog.js';
import { CORE_CONTEXT_URL } from '../context/offline-contexts.js';
import type { TypeSummary } from '../entities/type-summaries.js';
import { MEDIA } from '../vocabulary.js';

/**
 * Federation registration (clause 5.9, Context Source Registration): with PLACELINK_NGSILD_REGISTER_AT,
 * placelink registers itself at another broker as a Context Source of the entity types it serves, each
 * with its attribute names, and the geographic extent of its entities; the broker then forwards
 * queries for those types here. Every round renews the registration (PATCH, or POST when the broker
 * no longer has it) with what placelink holds now and an expiresAt three rounds ahead, so a placelink
 * that is gone drops out of the broker by itself. Names are sent as IRIs under the core @context
 * alone, so the broker needs no other context to read them.
 */

export interface RegistrationSources {
  /** The entity types with their attributes (discovery's summaries). */
  readonly types: () => Promise<Map<string, TypeSummary>>;
  readonly collections: CollectionReader;
}

export interface RegistrationSettings {
  /** The broker's NGSI-LD base URL (…/ngsi-ld/v1). */
  readonly brokerBase: string;
  /** placelink's public base URL: the broker sends its requests to <endpoint>/ngsi-ld/v1/…. */
  readonly endpoint: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** The wait before the next attempt after a failed one. */
const RETRY_MS = 30_000;
const RELATIONSHIP = 'Relationship';

/** The registration's id: one per placelink address, so replicas of one service share it. */
export function registrationId(endpoint: string): string {
  return `urn:ngsi-ld:ContextSourceRegistration:placelink:${createHash('sha256').update(endpoint).digest('hex').slice(0, 16)}`;
}

/** The union of the entity collections' extents as a polygon; null when none has one. */
export async function entityExtent(collections: CollectionReader): Promise<Polygon | null> {
  const boxes = (await collections.list()).filter((c) => entityCollectionOf(c) !== null && c.spatialExtent !== null).map((c) => c.spatialExtent!);
  if (boxes.length === 0) return null;
  const [w, s, e, n] = [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))];
  // A point extent (one entity) is widened a little: a polygon needs an area.
  const pad = (a: number, b: number) => (a === b ? [a - 1e-6, b + 1e-6] : [a, b]);
  const [x0, x1] = pad(w, e);
  const [y0, y1] = pad(s, n);
  return { type: 'Polygon', coordinates: [[[x0!, y0!], [x1!, y0!], [x1!, y1!], [x0!, y1!], [x0!, y0!]]] };
}

/** The registration body (CsourceRegistration of the OpenAPI); null while placelink holds no entity type. */
export function registrationBody(types: ReadonlyMap<string, TypeSummary>, extent: Polygon | null, settings: Pick<RegistrationSettings, 'endpoint' | 'intervalMs'>, now: number): Record<string, unknown> | null {
  if (types.size === 0) return null;
  const information = [...types.values()].map((t) => {
    const attributes = [...t.attributes];
    const propertyNames = attributes.filter(([, a]) => [...a.types].some((type) => type !== RELATIONSHIP)).map(([iri]) => iri);
    const relationshipNames = attributes.filter(([, a]) => a.types.has(RELATIONSHIP)).map(([iri]) => iri);
    return { entities: [{ type: t.iri }], ...(propertyNames.length ? { propertyNames } : {}), ...(relationshipNames.length ? { relationshipNames } : {}) };
  });
  return {
    id: registrationId(settings.endpoint),
    type: 'ContextSourceRegistration',
    registrationName: 'placelink',
    description: `Places and their sensors served by placelink at ${settings.endpoint} (NGSI-LD and OGC API Features)`,
    information,
    endpoint: settings.endpoint,
    ...(extent ? { location: extent } : {}),
    mode: 'inclusive',
    operations: ['retrieveOps'],
    management: { localOnly: true },
    refreshRate: `PT${Math.round(settings.intervalMs / 1000)}S`,
    expiresAt: new Date(now + 3 * settings.intervalMs).toISOString(),
    '@context': [CORE_CONTEXT_URL],
  };
}

async function send(method: 'POST' | 'PATCH', url: string, body: Record<string, unknown>, timeoutMs: number): Promise<number> {
  const response = await fetch(url, { method, headers: { 'Content-Type': MEDIA.jsonLd, Accept: MEDIA.json }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.status;
}

export interface Registration {
  /** Stops renewing (the registration at the broker runs out at its expiresAt). */
  stop(): Promise<void>;
}

export function startRegistration(sources: RegistrationSources, settings: RegistrationSettings, logger: Logger): Registration {
  const id = registrationId(settings.endpoint);
  const collectionUrl = `${settings.brokerBase}/csourceRegistrations`;
  let registered = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<boolean> = Promise.resolve(true);
  let stopped = false;

  async function attempt(): Promise<boolean> {
    const body = registrationBody(await sources.types(), await entityExtent(sources.collections), settings, Date.now());
    if (!body) {
      logger.info({ broker: settings.brokerBase }, 'no NGSI-LD entity type yet: nothing to register at the broker');
      return true;
    }
    const { id: _id, type: _type, ...changes } = body;
    if (registered) {
      const status = await send('PATCH', `${collectionUrl}/${encodeURIComponent(id)}`, changes, settings.timeoutMs);
      if (status >= 200 && status <= 299) return true;
      if (status !== 404) throw new Error(`PATCH of the registration was answered ${status}`);
      registered = false;
    }
    const status = await send('POST', collectionUrl, body, settings.timeoutMs);
    if (status === 409) {
      const patched = await send('PATCH', `${collectionUrl}/${encodeURIComponent(id)}`, changes, settings.timeoutMs);
      if (patched < 200 || patched > 299) throw new Error(`the registration exists at the broker, and its PATCH was answered ${patched}`);
    } else if (status < 200 || status > 299) throw new Error(`POST of the registration was answered ${status}`);
    registered = true;
    logger.info({ broker: settings.brokerBase, registration: id, types: (body['information'] as unknown[]).length }, 'registered at the NGSI-LD broker as a Context Source');
    return true;
  }

  function round(): void {
    running = attempt().catch((error: unknown) => {
      logger.warn({ err: error, broker: settings.brokerBase }, 'registering at the NGSI-LD broker failed; it is tried again');
      return false;
    });
    void running.then((ok) => {
      if (stopped) return;
      timer = setTimeout(round, ok ? settings.intervalMs : Math.min(RETRY_MS, settings.intervalMs));
      timer.unref();
    });
  }

  round();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
