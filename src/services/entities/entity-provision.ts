import { createHash } from 'node:crypto';
import { NO_HARVEST_INFO, isValidCollectionId, type Collection, type Queryable } from '../../domain/collection.js';
import type { AttributeInstance, EntityRow } from '../../domain/entity.js';
import {
  CONTENT_MEMBER,
  draftDatasetId,
  entityRecord,
  instanceIndex,
  instancesOf,
  isNullDraft,
  mergedInstance,
  SCOPE_MEMBER,
  storedForm,
  storedInstance,
  type AttributeDrafts,
  type ContextNames,
  type EntityDraft,
  type EntityNames,
  type EntityRecord,
  type InstanceDraft,
  type StoredAttributes,
} from '../../domain/entity-writes.js';
import {
  AlreadyExistsError,
  AuthenticationError,
  InvalidInputError,
  InvariantError,
  LdContextNotAvailableError,
  OperationNotSupportedError,
  ResourceNotFoundError,
  type PlacelinkError,
} from '../../domain/errors.js';
import { inferQueryables, widenQueryables } from '../features/queryable-inference.js';
import type { CollectionRef, EntityWrites, EntityWriteSession } from '../ports/entity-ports.js';

/**
 * NGSI-LD context provision (clause 5.6) over the feature rows. Each call is one transaction: the
 * entity ids it writes (and the collections it may create) are locked first, in one order; then
 * each change is planned against the rows as the transaction sees them (a change that cannot be
 * made fails alone, before it writes anything) and written; last, the collections it touched get
 * their count, extents, data version and queryables, and the store announces the changed features
 * after the commit.
 *
 * An entity of type T lives in the writable collection of T, which the first write of T creates
 * with the request's @context; a type that a harvested collection holds is read-only. An entity has
 * one type: multi-type entities are refused (the collection is the type).
 */

/** Who writes: anonymous writes (PLACELINK_NGSILD_ANONYMOUS_WRITES) may not write types a mapping declares. */
export interface WriteCaller {
  readonly anonymous: { readonly realm: string; readonly mappedTypes: ReadonlyMap<string, string> } | null;
}

interface TypeParameter {
  /** The `type` parameter of the request: the entity must have it (ResourceNotFound otherwise). */
  readonly expectedType?: string | null;
}

interface ByIdChange extends TypeParameter {
  readonly id: string;
}

export type EntityChange =
  /** Create Entity (5.6.1), batch create (5.6.7): AlreadyExists when the id is taken. */
  | { readonly kind: 'create'; readonly entity: EntityDraft; readonly context: readonly unknown[] }
  /** Replace Entity (5.6.18): the entity must exist; a new type moves it to its type's collection. */
  | (TypeParameter & { readonly kind: 'replace'; readonly entity: EntityDraft; readonly context: readonly unknown[] })
  /** Batch upsert (5.6.8): create, or replace / append to the existing entity. */
  | { readonly kind: 'upsert'; readonly entity: EntityDraft; readonly context: readonly unknown[]; readonly mode: 'replace' | 'update' }
  /** Update Attributes (5.6.2): existing instances only (same datasetId); the others are not updated. */
  | (TypeParameter & { readonly kind: 'update'; readonly entity: EntityDraft })
  /**
   * Append Attributes (5.6.3) and batch update (5.6.9): new instances are added, existing ones
   * replaced unless `noOverwrite`. `strict`: attributes not written make the entity an error.
   */
  | (TypeParameter & { readonly kind: 'append'; readonly entity: EntityDraft; readonly noOverwrite: boolean; readonly strict: boolean })
  /** Merge Entity (5.6.17), batch merge (5.6.20): members merged into existing instances, NGSI-LD Null deletes. */
  | (TypeParameter & { readonly kind: 'merge'; readonly entity: EntityDraft })
  /** Partial Attribute Update (5.6.4). */
  | (ByIdChange & { readonly kind: 'patch-attribute'; readonly attribute: string; readonly instance: InstanceDraft })
  /** Replace Attribute (5.6.19). */
  | (ByIdChange & { readonly kind: 'replace-attribute'; readonly attribute: string; readonly instance: InstanceDraft })
  /** Delete Attribute (5.6.5): the default instance, the one with `datasetId`, or all of them. */
  | (ByIdChange & { readonly kind: 'delete-attribute'; readonly attribute: string; readonly datasetId: string | null; readonly deleteAll: boolean })
  /** Delete Entity (5.6.6), batch delete (5.6.10). */
  | (ByIdChange & { readonly kind: 'delete' });

export interface NotUpdated {
  /** The attribute IRI. */
  readonly attribute: string;
  readonly reason: string;
}

export type ChangeOutcome =
  | { readonly id: string; readonly ok: true; readonly created: boolean; readonly updated: readonly string[]; readonly notUpdated: readonly NotUpdated[] }
  | { readonly id: string; readonly ok: false; readonly error: PlacelinkError };

export interface EntityProvision {
  /** Makes the changes in one transaction, in order; each has its outcome (one that fails does not stop the others). */
  apply(changes: readonly EntityChange[], names: ContextNames, caller: WriteCaller): Promise<ChangeOutcome[]>;
}

/** Errors that concern one change of a batch; anything else (the database failing, a bug) ends the transaction. */
const CHANGE_ERRORS = [InvalidInputError, AlreadyExistsError, ResourceNotFoundError, OperationNotSupportedError, AuthenticationError, LdContextNotAvailableError];

const hash8 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/**
 * The id of the writable collection of a type: its short name and a hash of its IRI, so types of
 * one name from different vocabularies never share a collection.
 */
export function collectionIdFor(typeName: string, typeIri: string): string {
  const local = typeName.slice(Math.max(typeName.lastIndexOf('#'), typeName.lastIndexOf('/'), typeName.lastIndexOf(':')) + 1);
  const slug = local.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60) || 'entities';
  const id = `${slug}-${hash8(typeIri)}`;
  if (!isValidCollectionId(id)) throw new InvariantError(`collection id '${id}' derived from type ${typeIri} is not valid`);
  return id;
}

/** An entity collection as a write sees it; names and type IRI loaded when first needed. */
interface Target {
  readonly ref: CollectionRef;
  readonly writable: boolean;
  readonly mappingId: string | null;
  readonly queryables: Readonly<Record<string, Queryable>>;
  names(): Promise<EntityNames>;
  typeIri(): Promise<string>;
}

function targetOf(collection: Collection, contexts: ContextNames): Target {
  let names: Promise<EntityNames> | null = null;
  const load = () => (names ??= contexts.of(collection.harvest.ngsiLdContext));
  return {
    ref: { key: collection.key, id: collection.id },
    writable: collection.harvest.ngsiLdWritable,
    mappingId: collection.harvest.mappingId,
    queryables: collection.queryables,
    names: load,
    typeIri: async () => (await load()).expand(collection.harvest.ngsiLdType!),
  };
}

function readOnly(target: Target, what: string): OperationNotSupportedError {
  const source = target.mappingId ? `which mapping '${target.mappingId}' harvests` : 'which is not written through NGSI-LD';
  return new OperationNotSupportedError(`${what} belongs to collection '${target.ref.id}', ${source}: its entities are read-only through NGSI-LD`);
}

function multiType(id: string, typeIri: string, other: string): OperationNotSupportedError {
  return new OperationNotSupportedError(`entity ${id} is of type ${typeIri}; giving it the type ${other} as well would make it a multi-type entity, which placelink does not store`);
}

/** What a change will do, decided before it writes: its outcome and its writes. */
interface Plan {
  readonly outcome: ChangeOutcome;
  readonly write?: () => Promise<void>;
}

type Instances = Map<string, AttributeInstance[]>;

function instancesByName(row: EntityRow): Instances {
  return new Map(Object.entries(row.attributes ?? {}).map(([name, stored]) => [name, instancesOf(stored)]));
}

function storedAttributes(instances: Instances): StoredAttributes {
  const out: StoredAttributes = {};
  for (const [name, list] of instances) {
    const form = storedForm(list);
    if (form !== undefined) out[name] = form;
  }
  return out;
}

const datasetText = (datasetId: string | null) => (datasetId === null ? 'the default instance (no datasetId)' : `the instance with datasetId ${datasetId}`);

/** The content member a draft lacks to be a whole attribute, or null when it has type and content. */
function missingForNew(draft: InstanceDraft): string | null {
  const type = draft.members['type'];
  if (typeof type !== 'string') return 'a type';
  const member = CONTENT_MEMBER[type]!;
  return member in draft.members ? null : `its ${member}`;
}

export function entityProvision(store: EntityWrites): EntityProvision {
  return {
    apply(changes, contexts, caller) {
      return store.entityTransaction((session) => runChanges(session, changes, contexts, caller));
    },
  };
}

async function lockNames(changes: readonly EntityChange[], contexts: ContextNames): Promise<string[]> {
  const names = new Set<string>();
  for (const change of changes) {
    const id = 'entity' in change ? change.entity.id : change.id;
    names.add(`entity:${id}`);
    if ((change.kind === 'create' || change.kind === 'replace' || change.kind === 'upsert') && change.entity.type !== null) {
      const requestNames = await contexts.of(change.context);
      names.add(`collection:${collectionIdFor(requestNames.compact(change.entity.type), change.entity.type)}`);
    }
  }
  return [...names].sort();
}

async function runChanges(session: EntityWriteSession, changes: readonly EntityChange[], contexts: ContextNames, caller: WriteCaller): Promise<ChangeOutcome[]> {
  const rows = session.entityRows;
  // Locked before anything is read: a writer waiting here holds no table lock another one could need.
  await rows.lock(await lockNames(changes, contexts));
  const now = await session.features.writeTime();
  const targets: Target[] = (await session.collections.list()).filter((c) => c.harvest.ngsiLdType !== null).map((c) => targetOf(c, contexts));
  const touched = new Map<number, { target: Target; properties: Record<string, unknown>[] }>();

  const touch = (target: Target, record: EntityRecord | null) => {
    const entry = touched.get(target.ref.key) ?? { target, properties: [] };
    if (record) entry.properties.push(record.properties);
    touched.set(target.ref.key, entry);
  };

  async function located(id: string): Promise<{ row: EntityRow; target: Target } | null> {
    const row = await rows.find(
      targets.map((t) => t.ref.key),
      id,
    );
    if (!row) return null;
    const target = targets.find((t) => t.ref.key === row.collectionKey);
    if (!target) throw new InvariantError(`entity ${id} found in collection ${row.collectionKey}, which is not an entity collection`);
    return { row, target };
  }

  /** The entity to change: it exists, is writable (and the caller may write its type), and has the type asked for. */
  async function writableEntity(id: string, expectedType: string | null | undefined): Promise<{ row: EntityRow; target: Target; typeIri: string; names: EntityNames }> {
    const found = await located(id);
    if (!found) throw new ResourceNotFoundError(`entity ${id}`);
    const typeIri = await found.target.typeIri();
    if (expectedType && expectedType !== typeIri) throw new ResourceNotFoundError(`entity ${id} of type ${expectedType}`);
    if (!found.target.writable) throw readOnly(found.target, `entity ${id}`);
    const mapping = caller.anonymous?.mappedTypes.get(typeIri);
    if (mapping !== undefined) throw new AuthenticationError(`entities of type ${typeIri} need the API key: mapping '${mapping}' declares the type`, caller.anonymous!.realm);
    return { ...found, typeIri, names: await found.target.names() };
  }

  /** The writable collection of a type, created (with the request's @context) on its first write. */
  async function targetFor(typeIri: string, context: readonly unknown[]): Promise<Target> {
    const matching: Target[] = [];
    for (const target of targets) if ((await target.typeIri()) === typeIri) matching.push(target);
    const harvested = matching.find((t) => !t.writable);
    if (harvested) throw readOnly(harvested, `the entity type ${typeIri}`);
    const mapping = caller.anonymous?.mappedTypes.get(typeIri);
    if (mapping !== undefined) throw new AuthenticationError(`entities of type ${typeIri} need the API key: mapping '${mapping}' declares the type`, caller.anonymous!.realm);
    const existing = matching.sort((a, b) => (a.ref.id < b.ref.id ? -1 : 1))[0];
    if (existing) return existing;
    const requestNames = await contexts.of(context);
    const typeName = requestNames.compact(typeIri);
    const id = collectionIdFor(typeName, typeIri);
    if (await session.collections.get(id)) throw new OperationNotSupportedError(`entities of type ${typeIri} would go to a new collection '${id}', but another collection has that id`);
    const { key } = await session.collections.save({
      id,
      title: `${typeName.slice(0, 80)} (NGSI-LD entities)`,
      description: `Entities of type ${typeIri} written through the NGSI-LD API`,
      sourceSrid: 4326,
      harvest: { ...NO_HARVEST_INFO, ngsiLdType: typeName, ngsiLdContext: [...context], ngsiLdWritable: true },
    });
    const target: Target = {
      ref: { key, id },
      writable: true,
      mappingId: null,
      queryables: {},
      names: async () => requestNames,
      typeIri: async () => typeIri,
    };
    targets.push(target);
    return target;
  }

  function fresh(attributes: AttributeDrafts, names: EntityNames): StoredAttributes {
    const instances: Instances = new Map();
    for (const [iri, drafts] of attributes) instances.set(names.compact(iri), drafts.map((draft) => storedInstance(draft, names, now, null)));
    return storedAttributes(instances);
  }

  const success = (id: string, created: boolean, updated: readonly string[] = [], notUpdated: readonly NotUpdated[] = []): ChangeOutcome => ({ id, ok: true, created, updated, notUpdated });

  function rewrite(target: Target, row: EntityRow, names: EntityNames, instances: Instances, scopes: readonly string[] | null = row.scopes ?? null): () => Promise<void> {
    const record = entityRecord(row.id, storedAttributes(instances), names, scopes);
    return async () => {
      await rows.update(target.ref, record);
      touch(target, record);
    };
  }

  async function create(entity: EntityDraft, context: readonly unknown[]): Promise<Plan> {
    const existing = await located(entity.id);
    if (existing) throw new AlreadyExistsError(`entity ${entity.id} exists already (in collection '${existing.target.ref.id}')`);
    const target = await targetFor(entity.type!, context);
    const names = await target.names();
    const record = entityRecord(entity.id, fresh(entity.attributes, names), names, entity.scopes ?? null);
    return {
      outcome: success(entity.id, true),
      write: async () => {
        await rows.insert(target.ref, record, null);
        touch(target, record);
      },
    };
  }

  async function replace(entity: EntityDraft, context: readonly unknown[], expectedType: string | null | undefined): Promise<Plan> {
    const { row, target, typeIri } = await writableEntity(entity.id, expectedType);
    const destination = entity.type === null || entity.type === typeIri ? target : await targetFor(entity.type, context);
    const names = await destination.names();
    const record = entityRecord(entity.id, fresh(entity.attributes, names), names, entity.scopes ?? null);
    return {
      outcome: success(entity.id, false),
      write: async () => {
        if (destination === target) await rows.update(target.ref, record);
        else {
          await rows.remove(target.ref, entity.id);
          await rows.insert(destination.ref, record, row.createdAt);
          touch(target, null);
        }
        touch(destination, record);
      },
    };
  }

  async function append(entity: EntityDraft, expectedType: string | null | undefined, noOverwrite: boolean, strict: boolean): Promise<Plan> {
    const { row, target, typeIri, names } = await writableEntity(entity.id, expectedType);
    if (entity.type !== null && entity.type !== typeIri) throw multiType(entity.id, typeIri, entity.type);
    const instances = instancesByName(row);
    const updated = new Set<string>();
    const notUpdated: NotUpdated[] = [];
    for (const [iri, drafts] of entity.attributes) {
      const name = names.compact(iri);
      const list = instances.get(name) ?? [];
      for (const draft of drafts) {
        const at = instanceIndex(list, draftDatasetId(draft));
        if (at < 0) list.push(storedInstance(draft, names, now, null));
        else if (noOverwrite) {
          notUpdated.push({ attribute: iri, reason: `${datasetText(draftDatasetId(draft))} exists and noOverwrite keeps it` });
          continue;
        } else list[at] = storedInstance(draft, names, now, list[at]!);
        updated.add(iri);
      }
      instances.set(name, list);
    }
    // Scopes are replaced, or with noOverwrite added to those the entity has (clause 5.6.3).
    let scopes = row.scopes ?? null;
    if (entity.scopes) {
      scopes = noOverwrite ? [...new Set([...(scopes ?? []), ...entity.scopes])] : entity.scopes;
      updated.add(SCOPE_MEMBER);
    }
    const write = updated.size > 0 ? rewrite(target, row, names, instances, scopes) : undefined;
    if (strict && notUpdated.length > 0) {
      const error = new AlreadyExistsError(`entity ${entity.id}: ${notUpdated.map((n) => `${n.attribute}: ${n.reason}`).join('; ')}`);
      return { outcome: { id: entity.id, ok: false, error }, ...(write ? { write } : {}) };
    }
    return { outcome: success(entity.id, false, [...updated], notUpdated), ...(write ? { write } : {}) };
  }

  async function update(entity: EntityDraft, expectedType: string | null | undefined): Promise<Plan> {
    const { row, target, typeIri, names } = await writableEntity(entity.id, expectedType);
    if (entity.type !== null && entity.type !== typeIri) throw multiType(entity.id, typeIri, entity.type);
    const instances = instancesByName(row);
    const updated = new Set<string>();
    const notUpdated: NotUpdated[] = [];
    for (const [iri, drafts] of entity.attributes) {
      const name = names.compact(iri);
      const list = instances.get(name);
      for (const draft of drafts) {
        const datasetId = draftDatasetId(draft);
        const at = list ? instanceIndex(list, datasetId) : -1;
        if (!list || at < 0) {
          notUpdated.push({ attribute: iri, reason: list ? `the attribute has no ${datasetText(datasetId)}` : 'the entity has no such attribute (Append Attributes adds attributes)' });
          continue;
        }
        if (isNullDraft(draft)) list.splice(at, 1);
        else list[at] = storedInstance(draft, names, now, list[at]!);
        updated.add(iri);
      }
    }
    // Like attributes, scopes are updated only where the entity has them (clause 5.6.2).
    let scopes = row.scopes ?? null;
    if (entity.scopes) {
      if (scopes) {
        scopes = entity.scopes;
        updated.add(SCOPE_MEMBER);
      } else notUpdated.push({ attribute: SCOPE_MEMBER, reason: 'the entity has no scope (Append Attributes gives it one)' });
    }
    return { outcome: success(entity.id, false, [...updated], notUpdated), ...(updated.size > 0 ? { write: rewrite(target, row, names, instances, scopes) } : {}) };
  }

  async function merge(entity: EntityDraft, expectedType: string | null | undefined): Promise<Plan> {
    const { row, target, typeIri, names } = await writableEntity(entity.id, expectedType);
    if (entity.type !== null && entity.type !== typeIri) throw multiType(entity.id, typeIri, entity.type);
    const instances = instancesByName(row);
    for (const [iri, drafts] of entity.attributes) {
      const name = names.compact(iri);
      const list = instances.get(name) ?? [];
      for (const draft of drafts) {
        const at = instanceIndex(list, draftDatasetId(draft));
        if (isNullDraft(draft)) {
          if (at >= 0) list.splice(at, 1);
        } else if (at >= 0) {
          const stored = list[at]!;
          const retyped = typeof draft.members['type'] === 'string' && draft.members['type'] !== stored['type'];
          list[at] = retyped ? storedInstance(draft, names, now, stored) : mergedInstance(stored, draft, names, now);
        } else {
          const missing = missingForNew(draft);
          if (missing) throw new InvalidInputError(`entity ${entity.id} has no attribute ${iri} (${datasetText(draftDatasetId(draft))}) to merge into; to add it, give ${missing}`);
          list.push(storedInstance(draft, names, now, null));
        }
      }
      instances.set(name, list);
    }
    // Given scopes replace the entity's; NGSI-LD Null deletes them.
    const scopes = entity.scopes === undefined ? (row.scopes ?? null) : entity.scopes;
    return { outcome: success(entity.id, false), write: rewrite(target, row, names, instances, scopes) };
  }

  /** The instances of an attribute and the position of the one a request names; ResourceNotFound when either is missing. */
  function instanceOf(instances: Instances, names: EntityNames, id: string, iri: string, datasetId: string | null): { list: AttributeInstance[]; at: number } {
    const list = instances.get(names.compact(iri));
    if (!list) throw new ResourceNotFoundError(`attribute ${iri} of entity ${id}`);
    const at = instanceIndex(list, datasetId);
    if (at < 0) throw new ResourceNotFoundError(`${datasetText(datasetId)} of attribute ${iri} of entity ${id}`);
    return { list, at };
  }

  async function plan(change: EntityChange): Promise<Plan> {
    switch (change.kind) {
      case 'create':
        return create(change.entity, change.context);
      case 'replace':
        return replace(change.entity, change.context, change.expectedType);
      case 'upsert': {
        const existing = await located(change.entity.id);
        if (!existing) return create(change.entity, change.context);
        return change.mode === 'replace' ? replace(change.entity, change.context, null) : append(change.entity, null, false, false);
      }
      case 'update':
        return update(change.entity, change.expectedType);
      case 'append':
        return append(change.entity, change.expectedType, change.noOverwrite, change.strict);
      case 'merge':
        return merge(change.entity, change.expectedType);
      case 'patch-attribute': {
        const { row, target, names } = await writableEntity(change.id, change.expectedType);
        const instances = instancesByName(row);
        const { list, at } = instanceOf(instances, names, change.id, change.attribute, draftDatasetId(change.instance));
        const stored = list[at]!;
        const type = change.instance.members['type'];
        if (typeof type === 'string' && type !== stored['type']) {
          throw new InvalidInputError(`attribute ${change.attribute} of entity ${change.id} is a ${String(stored['type'])}; a partial update cannot make it a ${type} (replace the attribute instead)`);
        }
        if (isNullDraft(change.instance)) list.splice(at, 1);
        else list[at] = mergedInstance(stored, change.instance, names, now);
        return { outcome: success(change.id, false, [change.attribute]), write: rewrite(target, row, names, instances) };
      }
      case 'replace-attribute': {
        const { row, target, names } = await writableEntity(change.id, change.expectedType);
        const instances = instancesByName(row);
        const { list, at } = instanceOf(instances, names, change.id, change.attribute, draftDatasetId(change.instance));
        list[at] = storedInstance(change.instance, names, now, list[at]!);
        return { outcome: success(change.id, false, [change.attribute]), write: rewrite(target, row, names, instances) };
      }
      case 'delete-attribute': {
        const { row, target, names } = await writableEntity(change.id, change.expectedType);
        const instances = instancesByName(row);
        if (change.attribute === SCOPE_MEMBER) {
          if (!row.scopes?.length) throw new ResourceNotFoundError(`the scope of entity ${change.id} (it has none)`);
          return { outcome: success(change.id, false, [SCOPE_MEMBER]), write: rewrite(target, row, names, instances, null) };
        }
        if (change.deleteAll) {
          const name = names.compact(change.attribute);
          if (!instances.delete(name)) throw new ResourceNotFoundError(`attribute ${change.attribute} of entity ${change.id}`);
        } else {
          const { list, at } = instanceOf(instances, names, change.id, change.attribute, change.datasetId);
          list.splice(at, 1);
        }
        return { outcome: success(change.id, false, [change.attribute]), write: rewrite(target, row, names, instances) };
      }
      case 'delete': {
        const { target } = await writableEntity(change.id, change.expectedType);
        return {
          outcome: success(change.id, false),
          write: async () => {
            await rows.remove(target.ref, change.id);
            touch(target, null);
          },
        };
      }
    }
  }

  const outcomes: ChangeOutcome[] = [];
  for (const change of changes) {
    let planned: Plan;
    try {
      planned = await plan(change);
    } catch (error) {
      if (!CHANGE_ERRORS.some((type) => error instanceof type)) throw error;
      outcomes.push({ id: 'entity' in change ? change.entity.id : change.id, ok: false, error: error as PlacelinkError });
      continue;
    }
    await planned.write?.();
    outcomes.push(planned.outcome);
  }

  for (const { target, properties } of touched.values()) {
    await session.collections.refreshStats(target.ref.key);
    const queryables = widenQueryables(target.queryables, inferQueryables(properties.map((p) => ({ properties: p }))));
    if (JSON.stringify(queryables) !== JSON.stringify(target.queryables)) await session.collections.setQueryables(target.ref.key, queryables);
  }
  return outcomes;
}
