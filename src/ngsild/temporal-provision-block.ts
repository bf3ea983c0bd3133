import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { rejectUnknown, single } from '../api/query-values.js';
import { mergedInstance } from '../domain/entity-writes.js';
import { InvalidParameterError, OperationNotSupportedError, ResourceNotFoundError } from '../domain/errors.js';
import type { EntityChange, EntityProvision } from '../services/entities/entity-provision.js';
import type { InstanceOwner, InstanceWrites } from '../services/ports/history-ports.js';
import type { TermMap, TermMaps } from './context/term-map.js';
import { attributeIri, parseAttribute, parseEntity } from './entities/entity-input.js';
import { checkEntityId } from './entities/entity-parameters.js';
import type { EntityReader } from './entities/entity-reader.js';
import { entityDraft, objectBody } from './entities/write-requests.js';
import { temporalProvisionOpenApi } from './openapi.js';
import { linkedContext } from './request-context.js';
import { temporalRounds } from './temporal/temporal-rounds.js';
import { entityWriters, type WriteAccess } from './write-access.js';

export interface TemporalProvisionDeps {
  readonly provision: EntityProvision;
  readonly reader: EntityReader;
  readonly instances: InstanceWrites;
  readonly terms: TermMaps;
  readonly access: WriteAccess;
  readonly maxBodyBytes: number;
}

const LOCAL = 'local';

/** A path segment for an entity id (as the entity routes write Location). */
const pathSegment = (id: string) => id.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/g, (c) => encodeURIComponent(c));

/**
 * Writing the temporal evolution of entities of writable types (clauses 5.6.11–5.6.16). A temporal
 * representation is written as successive fragments, oldest instances first, in one transaction of
 * the provision service: each instance goes into the entity's history (the row triggers keep it),
 * the newest becomes its current value. Instances are then changed or removed one by one.
 */
export function temporalProvisionBlock(deps: TemporalProvisionDeps): BuildingBlock {
  const { caller, entityBody } = entityWriters(deps.access, deps.terms, deps.maxBodyBytes);
  const entityIdOf = (ctx: ApiContext) => checkEntityId(String(ctx.params['entityId']), 'entityId');

  /** The stored instances of an attribute of a written entity; what a harvest keeps has versions, not instances. */
  async function owner(ctx: ApiContext, names: TermMap): Promise<InstanceOwner & { terms: TermMap }> {
    const id = entityIdOf(ctx);
    const found = await deps.reader.row(id, null, names);
    if (!found) throw new ResourceNotFoundError(`entity ${id}`);
    if (found.row.attributes === null || found.row.featureId === null || !found.type.collection.writable) {
      throw new OperationNotSupportedError(`entity ${id} is kept by ${found.type.collection.mappingId ? `mapping ${found.type.collection.mappingId}` : 'placelink'}: its history is read-only`);
    }
    return { collectionKey: found.row.collectionKey, featureId: found.row.featureId, attribute: found.type.terms.compact(attributeIri(String(ctx.params['attrId']), names)), terms: found.type.terms };
  }

  /** The rounds of a temporal representation as provision changes: the first creates or extends the entity, the others append. */
  function roundChanges(body: Record<string, unknown>, names: TermMap, context: readonly unknown[], pathId: string | null): EntityChange[] {
    return temporalRounds(body).map((round, k): EntityChange => {
      if (k === 0 && pathId === null) {
        const entity = entityDraft(parseEntity(round, names, { complete: true, nullDeletes: false, partial: false }));
        return { kind: 'upsert', mode: 'update', entity, context };
      }
      const { id: _id, type: _type, ...fragment } = round;
      const entity = entityDraft(parseEntity(fragment, names, { complete: false, nullDeletes: false, partial: false }), pathId ?? String(round['id']));
      return { kind: 'append', entity, noOverwrite: false, strict: false };
    });
  }

  return {
    name: 'NGSI-LD temporal provision',
    conformance: [],
    routes: [
      {
        method: 'POST',
        path: '/temporal/entities',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          const writer = await caller(ctx);
          const { body, request, names } = await entityBody(ctx);
          const changes = roundChanges(objectBody(body, 'Create or Update Temporal Representation of an Entity'), names, request.context, null);
          const outcomes = await deps.provision.apply(changes, deps.terms, writer);
          for (const outcome of outcomes) if (!outcome.ok) throw outcome.error;
          const first = outcomes[0]!;
          if (first.ok && first.created) {
            ctx.status = 201;
            ctx.set('Location', `${ctx.state.apiBase}/temporal/entities/${pathSegment(first.id)}`);
            ctx.body = '';
          } else ctx.status = 204;
        },
      },
      {
        method: 'DELETE',
        path: '/temporal/entities/:entityId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const writer = await caller(ctx);
          const [outcome] = await deps.provision.apply([{ kind: 'delete', id: entityIdOf(ctx) }], deps.terms, writer);
          if (!outcome!.ok) throw outcome!.error;
          ctx.status = 204;
        },
      },
      {
        method: 'POST',
        path: '/temporal/entities/:entityId/attrs',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          const id = entityIdOf(ctx);
          const writer = await caller(ctx);
          const { body, request, names } = await entityBody(ctx);
          const outcomes = await deps.provision.apply(roundChanges(objectBody(body, 'Add Attributes to Temporal Representation'), names, request.context, id), deps.terms, writer);
          for (const outcome of outcomes) if (!outcome.ok) throw outcome.error;
          ctx.status = 204;
        },
      },
      {
        method: 'DELETE',
        path: '/temporal/entities/:entityId/attrs/:attrId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['deleteAll', 'datasetId', LOCAL]));
          const writer = await caller(ctx);
          const names = await deps.terms.of(linkedContext(ctx).context);
          const place = await owner(ctx, names);
          const deleteAllRaw = single(ctx.query, 'deleteAll');
          if (deleteAllRaw !== undefined && deleteAllRaw !== 'true' && deleteAllRaw !== 'false') throw new InvalidParameterError('deleteAll', `deleteAll is true or false, got '${deleteAllRaw.slice(0, 20)}'`);
          const datasetId = single(ctx.query, 'datasetId') ?? null;
          if (datasetId !== null) checkEntityId(datasetId, 'datasetId');
          const all = deleteAllRaw === 'true';
          const removed = await deps.instances.removeAttribute(place, all ? 'all' : { datasetId });
          // The current value goes too, unless the attribute has none left to show (then it is history only).
          const [outcome] = await deps.provision.apply(
            [{ kind: 'delete-attribute', id: entityIdOf(ctx), attribute: attributeIri(String(ctx.params['attrId']), names), datasetId, deleteAll: all }],
            deps.terms,
            writer,
          );
          if (!outcome!.ok && (removed === 0 || !(outcome!.error instanceof ResourceNotFoundError))) throw outcome!.error;
          ctx.status = 204;
        },
      },
      {
        method: 'PATCH',
        path: '/temporal/entities/:entityId/attrs/:attrId/:instanceId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          await caller(ctx);
          const { body, names } = await entityBody(ctx);
          const instanceId = checkEntityId(String(ctx.params['instanceId']), 'instanceId');
          const place = await owner(ctx, names);
          const draft = parseAttribute(body, attributeIri(String(ctx.params['attrId']), names), names, { partial: true });
          const { modifiedAt: _m, instanceId: _i, ...members } = mergedInstance({}, draft, place.terms, new Date().toISOString());
          if (!(await deps.instances.patchInstance(place, instanceId, members))) throw new ResourceNotFoundError(`instance ${instanceId} of attribute ${place.attribute}`);
          ctx.status = 204;
        },
      },
      {
        method: 'DELETE',
        path: '/temporal/entities/:entityId/attrs/:attrId/:instanceId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          await caller(ctx);
          const instanceId = checkEntityId(String(ctx.params['instanceId']), 'instanceId');
          const names = await deps.terms.of(linkedContext(ctx).context);
          const place = await owner(ctx, names);
          if (!(await deps.instances.removeInstance(place, instanceId))) throw new ResourceNotFoundError(`instance ${instanceId} of attribute ${place.attribute}`);
          ctx.status = 204;
        },
      },
    ],
    openapi: temporalProvisionOpenApi,
  };
}
