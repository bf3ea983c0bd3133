import type { ApiContext, BuildingBlock } from '../api/building-block.js';
import { readJsonBody } from '../api/request-body.js';
import { rejectUnknown, single, type RawQuery } from '../api/query-values.js';
import { InvalidInputError, InvalidParameterError, PlacelinkError } from '../domain/errors.js';
import { SCOPE_MEMBER } from '../domain/entity-writes.js';
import type { ChangeOutcome, EntityChange, EntityProvision } from '../services/entities/entity-provision.js';
import type { TermMap, TermMaps } from './context/term-map.js';
import { attributeIri, parseAttribute, parseEntity } from './entities/entity-input.js';
import { checkEntityId } from './entities/entity-parameters.js';
import type { EntityReader } from './entities/entity-reader.js';
import { purgeChanges, readPurge } from './entities/purge.js';
import { batchElements, batchEntity, batchId, entityDraft, expectedType, objectBody, optionsOf } from './entities/write-requests.js';
import { NGSI_LD_PROBLEMS } from './errors.js';
import { bodyMediaType } from './negotiation.js';
import { provisionOpenApi } from './openapi.js';
import { linkedContext } from './request-context.js';
import { MEDIA } from './vocabulary.js';
import { entityWriters, type WriteAccess } from './write-access.js';

export interface ProvisionDeps {
  readonly provision: EntityProvision;
  /** Reads what Purge Entities selects. */
  readonly reader: EntityReader;
  readonly terms: TermMaps;
  readonly access: WriteAccess;
  readonly maxBodyBytes: number;
}

const LOCAL = 'local';

/** A path segment for an entity id: the id itself where URI paths allow its characters (the suite looks for it in Location). */
const pathSegment = (id: string) => id.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/g, (c) => encodeURIComponent(c));

/** ProblemDetails of one entity of a batch (clause 5.2.17), from the API's one error table. */
function problemOf(error: PlacelinkError): Record<string, unknown> {
  const resolved = NGSI_LD_PROBLEMS.resolve(error);
  return { type: resolved.type, title: resolved.title, status: resolved.status, detail: resolved.exposeDetail ? error.message : resolved.title };
}

/** 207 bodies are JSON with fully qualified names and no Link header (clause 6.3.6). */
function multiStatus(ctx: ApiContext, body: unknown): void {
  ctx.status = 207;
  ctx.type = MEDIA.json;
  ctx.body = body;
}

function batchResult(ctx: ApiContext, outcomes: readonly ChangeOutcome[], onSuccess: () => void): void {
  const errors = outcomes.filter((o): o is Extract<ChangeOutcome, { ok: false }> => !o.ok);
  if (errors.length === 0) return onSuccess();
  multiStatus(ctx, { success: outcomes.filter((o) => o.ok).map((o) => o.id), errors: errors.map((e) => ({ entityId: e.id, error: problemOf(e.error) })) });
}

/** The one outcome of a single-entity operation: its error thrown (answered from the table), or 204 / 207 UpdateResult. */
function singleResult(ctx: ApiContext, outcome: ChangeOutcome): void {
  if (!outcome.ok) throw outcome.error;
  if (outcome.notUpdated.length > 0) {
    multiStatus(ctx, { updated: outcome.updated, notUpdated: outcome.notUpdated.map((n) => ({ attributeName: n.attribute, reason: n.reason })) });
    return;
  }
  ctx.status = 204;
}

function booleanParameter(query: RawQuery, name: string): boolean {
  const raw = single(query, name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new InvalidParameterError(name, `${name} is true or false, got '${raw.slice(0, 20)}'`);
}

/**
 * Context provision (clause 5.6) and the batch entity operations: every write needs the API key
 * (or anonymous writes, see WriteAccess) and goes through the provision service in one transaction.
 */
export function provisionBlock(deps: ProvisionDeps): BuildingBlock {
  const { caller, entityBody } = entityWriters(deps.access, deps.terms, deps.maxBodyBytes);

  const entityIdOf = (ctx: ApiContext) => checkEntityId(String(ctx.params['entityId']), 'entityId');

  /** Attribute routes: the entity and the attribute of the path, with the request's names. */
  async function attributePath(ctx: ApiContext, names: TermMap): Promise<{ id: string; attribute: string; type: string | null }> {
    return { id: entityIdOf(ctx), attribute: attributeIri(String(ctx.params['attrId']), names), type: expectedType(ctx.query, names) };
  }

  return {
    name: 'NGSI-LD context provision',
    conformance: [],
    routes: [
      {
        method: 'POST',
        path: '/entities',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          const writer = await caller(ctx);
          const { body, request, names } = await entityBody(ctx);
          const entity = entityDraft(parseEntity(objectBody(body, 'Create Entity'), names, { complete: true, nullDeletes: false, partial: false }));
          const [outcome] = await deps.provision.apply([{ kind: 'create', entity, context: request.context }], deps.terms, writer);
          if (!outcome!.ok) throw outcome!.error;
          ctx.status = 201;
          ctx.set('Location', `${ctx.state.apiBase}/entities/${pathSegment(entity.id)}`);
          // Koa would answer a bodiless 201 with its status text; the suite checks that the body is empty.
          ctx.body = '';
        },
      },
      {
        method: 'DELETE',
        path: '/entities',
        handler: async (ctx) => {
          const purge = readPurge(ctx.query);
          const writer = await caller(ctx);
          const names = await deps.terms.of(linkedContext(ctx).context);
          const changes = await purgeChanges(purge, deps.reader, names);
          // What another writer deleted meanwhile is gone all the same: single outcomes are not reported.
          if (changes.length) await deps.provision.apply(changes, deps.terms, writer);
          ctx.status = 204;
        },
      },
      {
        method: 'DELETE',
        path: '/entities/:entityId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const writer = await caller(ctx);
          const id = entityIdOf(ctx);
          const names = await deps.terms.of(linkedContext(ctx).context);
          singleResult(ctx, (await deps.provision.apply([{ kind: 'delete', id, expectedType: expectedType(ctx.query, names) }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'PATCH',
        path: '/entities/:entityId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const id = entityIdOf(ctx);
          const writer = await caller(ctx);
          const { body, names } = await entityBody(ctx, true);
          const entity = entityDraft(parseEntity(objectBody(body, 'Merge Entity'), names, { complete: false, nullDeletes: true, partial: true }), id);
          singleResult(ctx, (await deps.provision.apply([{ kind: 'merge', entity, expectedType: expectedType(ctx.query, names) }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'PUT',
        path: '/entities/:entityId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const id = entityIdOf(ctx);
          const writer = await caller(ctx);
          const { body, request, names } = await entityBody(ctx);
          const entity = entityDraft(parseEntity(objectBody(body, 'Replace Entity'), names, { complete: false, nullDeletes: false, partial: false }), id);
          if (entity.type === null) throw new InvalidInputError('/type: the replacement entity needs its type');
          singleResult(ctx, (await deps.provision.apply([{ kind: 'replace', entity, context: request.context, expectedType: expectedType(ctx.query, names) }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'PATCH',
        path: '/entities/:entityId/attrs',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const id = entityIdOf(ctx);
          const writer = await caller(ctx);
          const { body, names } = await entityBody(ctx);
          const entity = entityDraft(parseEntity(objectBody(body, 'Update Attributes'), names, { complete: false, nullDeletes: true, partial: false }), id);
          singleResult(ctx, (await deps.provision.apply([{ kind: 'update', entity, expectedType: expectedType(ctx.query, names) }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'POST',
        path: '/entities/:entityId/attrs',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', 'options', LOCAL]));
          const id = entityIdOf(ctx);
          const noOverwrite = optionsOf(ctx.query, ['noOverwrite']).has('noOverwrite');
          const writer = await caller(ctx);
          const { body, names } = await entityBody(ctx);
          const entity = entityDraft(parseEntity(objectBody(body, 'Append Attributes'), names, { complete: false, nullDeletes: false, partial: false }), id);
          const change: EntityChange = { kind: 'append', entity, noOverwrite, strict: false, expectedType: expectedType(ctx.query, names) };
          singleResult(ctx, (await deps.provision.apply([change], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'PATCH',
        path: '/entities/:entityId/attrs/:attrId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const writer = await caller(ctx);
          const { body, names } = await entityBody(ctx, true);
          const { id, attribute, type } = await attributePath(ctx, names);
          const instance = parseAttribute(body, attribute, names, { partial: true });
          singleResult(ctx, (await deps.provision.apply([{ kind: 'patch-attribute', id, attribute, instance, expectedType: type }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'PUT',
        path: '/entities/:entityId/attrs/:attrId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', LOCAL]));
          const writer = await caller(ctx);
          const { body, names } = await entityBody(ctx);
          const { id, attribute, type } = await attributePath(ctx, names);
          const instance = parseAttribute(body, attribute, names, { partial: false });
          singleResult(ctx, (await deps.provision.apply([{ kind: 'replace-attribute', id, attribute, instance, expectedType: type }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'DELETE',
        path: '/entities/:entityId/attrs/:attrId',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['type', 'deleteAll', 'datasetId', LOCAL]));
          const writer = await caller(ctx);
          const names = await deps.terms.of(linkedContext(ctx).context);
          // `/attrs/scope` deletes the entity's scopes (clause 4.18); scope names no attribute elsewhere.
          const { id, attribute, type } = String(ctx.params['attrId']) === SCOPE_MEMBER ? { id: entityIdOf(ctx), attribute: SCOPE_MEMBER, type: expectedType(ctx.query, names) } : await attributePath(ctx, names);
          const deleteAll = booleanParameter(ctx.query, 'deleteAll');
          const datasetId = single(ctx.query, 'datasetId') ?? null;
          if (datasetId !== null) checkEntityId(datasetId, 'datasetId');
          singleResult(ctx, (await deps.provision.apply([{ kind: 'delete-attribute', id, attribute, datasetId, deleteAll, expectedType: type }], deps.terms, writer))[0]!);
        },
      },
      {
        method: 'POST',
        path: '/entityOperations/create',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          const outcomes = await batch(ctx, (element, i) => ({ kind: 'create', entity: batchEntity(element, { complete: true, nullDeletes: false, partial: false }, i), context: element.context }));
          batchResult(ctx, outcomes, () => {
            ctx.status = 201;
            ctx.type = MEDIA.json;
            ctx.body = outcomes.map((o) => o.id);
          });
        },
      },
      {
        method: 'POST',
        path: '/entityOperations/upsert',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['options', LOCAL]));
          const options = optionsOf(ctx.query, ['replace', 'update']);
          if (options.size > 1) throw new InvalidParameterError('options', 'options is replace or update, not both');
          const mode = options.has('update') ? 'update' : 'replace';
          const outcomes = await batch(ctx, (element, i) => ({ kind: 'upsert', mode, entity: batchEntity(element, { complete: true, nullDeletes: false, partial: false }, i), context: element.context }));
          batchResult(ctx, outcomes, () => {
            const created = outcomes.filter((o) => o.ok && o.created).map((o) => o.id);
            if (created.length === 0) ctx.status = 204;
            else {
              ctx.status = 201;
              ctx.type = MEDIA.json;
              ctx.body = created;
            }
          });
        },
      },
      {
        method: 'POST',
        path: '/entityOperations/update',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set(['options', LOCAL]));
          const noOverwrite = optionsOf(ctx.query, ['noOverwrite']).has('noOverwrite');
          const outcomes = await batch(ctx, (element, i) => ({ kind: 'append', noOverwrite, strict: true, entity: batchEntity(element, { complete: true, nullDeletes: false, partial: false }, i) }));
          batchResult(ctx, outcomes, () => (ctx.status = 204));
        },
      },
      {
        method: 'POST',
        path: '/entityOperations/merge',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          const outcomes = await batch(ctx, (element, i) => ({ kind: 'merge', entity: batchEntity(element, { complete: true, nullDeletes: true, partial: true }, i) }));
          batchResult(ctx, outcomes, () => (ctx.status = 204));
        },
      },
      {
        method: 'POST',
        path: '/entityOperations/delete',
        handler: async (ctx) => {
          rejectUnknown(ctx.query, new Set([LOCAL]));
          const writer = await caller(ctx);
          bodyMediaType(ctx);
          const body = await readJsonBody(ctx, deps.maxBodyBytes);
          if (!Array.isArray(body) || body.length === 0) throw new InvalidInputError('a batch delete takes a non-empty JSON array of entity ids');
          const failed: ChangeOutcome[] = [];
          const changes: EntityChange[] = [];
          body.forEach((element: unknown, i) => {
            try {
              changes.push({ kind: 'delete', id: batchId(element, i) });
            } catch (error) {
              if (!(error instanceof PlacelinkError)) throw error;
              failed.push({ id: typeof element === 'string' ? element : '', ok: false, error });
            }
          });
          const outcomes = [...failed, ...(changes.length > 0 ? await deps.provision.apply(changes, deps.terms, writer) : [])];
          batchResult(ctx, outcomes, () => (ctx.status = 204));
        },
      },
    ],
    openapi: provisionOpenApi,
  };

  /** A batch of entities: each element read on its own; those that cannot be read are errors of the result, the others one transaction. */
  async function batch(ctx: ApiContext, change: (element: Extract<Awaited<ReturnType<typeof batchElements>>[number], { ok: true }>, index: number) => EntityChange): Promise<ChangeOutcome[]> {
    const writer = await caller(ctx);
    const mediaType = bodyMediaType(ctx);
    const body = await readJsonBody(ctx, deps.maxBodyBytes);
    const elements = await batchElements(ctx, body, mediaType, deps.terms);
    const failed: ChangeOutcome[] = [];
    const changes: EntityChange[] = [];
    elements.forEach((element, i) => {
      if (!element.ok) return void failed.push({ id: element.entityId, ok: false, error: element.error });
      try {
        changes.push(change(element, i));
      } catch (error) {
        if (!(error instanceof PlacelinkError)) throw error;
        const raw = element.raw as Record<string, unknown> | null;
        failed.push({ id: typeof raw?.['id'] === 'string' ? raw['id'] : '', ok: false, error });
      }
    });
    return [...failed, ...(changes.length > 0 ? await deps.provision.apply(changes, deps.terms, writer) : [])];
  }
}
