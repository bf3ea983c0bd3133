import { rejectUnknown, single, type RawQuery } from '../../api/query-values.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { EntityChange } from '../../services/entities/entity-provision.js';
import type { TermMap } from '../context/term-map.js';
import { parseQuery } from '../query/q-language.js';
import { parseScopeQuery } from '../query/scope-query.js';
import { parseTypeSelection } from '../query/type-selection.js';
import { checkEntityId, checkIdPattern, LIMIT, type EntitySelectionParameters } from './entity-parameters.js';
import type { EntityReader } from './entity-reader.js';

/**
 * Purge Entities (`DELETE /entities`, clause 5.6.21 of V1.9.1): the entities a selection names are
 * deleted, or with `drop` lose those attributes, or with `keep` every attribute but those. Only
 * entities written through NGSI-LD are purged; those a harvest keeps are read-only and left alone.
 */

const PARAMETERS = new Set(['type', 'id', 'idPattern', 'q', 'scopeQ', 'local', 'keep', 'drop']);

export interface PurgeRequest {
  readonly selection: EntitySelectionParameters;
  /** Attribute names to drop, or to keep (every other one is dropped); both null: whole entities. */
  readonly drop: readonly string[] | null;
  readonly keep: readonly string[] | null;
}

const names = (raw: string | undefined) => (raw === undefined ? null : raw.split(',').map((n) => n.trim()).filter(Boolean));

export function readPurge(query: RawQuery): PurgeRequest {
  rejectUnknown(query, PARAMETERS);
  const keep = names(single(query, 'keep'));
  const drop = names(single(query, 'drop'));
  if (keep && drop) throw new InvalidParameterError('keep', 'keep and drop exclude each other: give one of them');
  const type = single(query, 'type');
  const ids = names(single(query, 'id'));
  const idPattern = checkIdPattern(single(query, 'idPattern') ?? null);
  const q = single(query, 'q');
  const scopeQ = single(query, 'scopeQ');
  if (type === undefined && ids === null && idPattern === null && q === undefined && scopeQ === undefined && single(query, 'local') !== 'true') {
    throw new InvalidParameterError('type', 'Purge Entities needs at least one of type, id, idPattern, q, scopeQ or local=true: it does not delete every entity by accident');
  }
  return {
    selection: {
      types: type === undefined ? null : parseTypeSelection(type),
      ids: ids ? ids.map((id) => checkEntityId(id)) : null,
      idPattern,
      q: q === undefined ? null : parseQuery(q, { parameter: 'q' }),
      geo: null,
      scopes: scopeQ === undefined ? null : parseScopeQuery(scopeQ),
    },
    drop,
    keep,
  };
}

/** The changes a purge makes: every selected writable entity deleted, or the attributes dropped. */
export async function purgeChanges(request: PurgeRequest, reader: EntityReader, terms: TermMap): Promise<EntityChange[]> {
  const changes: EntityChange[] = [];
  const drop = request.drop?.map((n) => terms.expand(n)) ?? null;
  const keep = request.keep ? new Set(request.keep.map((n) => terms.expand(n))) : null;
  for (let offset = 0; ; offset += LIMIT.maximum) {
    const page = await reader.rows(request.selection, { limit: LIMIT.maximum, offset, count: false }, null, terms);
    for (const row of page.rows) {
      const type = page.types.get(row.collectionKey)!;
      if (!type.collection.writable) continue;
      if (!drop && !keep) {
        changes.push({ kind: 'delete', id: row.id });
        continue;
      }
      const held = Object.keys(row.attributes ?? {}).map((name) => type.terms.expand(name));
      const gone = drop ? held.filter((iri) => drop.includes(iri)) : held.filter((iri) => !keep!.has(iri));
      for (const attribute of gone) changes.push({ kind: 'delete-attribute', id: row.id, attribute, datasetId: null, deleteAll: true });
    }
    if (page.rows.length < LIMIT.maximum) return changes;
  }
}
