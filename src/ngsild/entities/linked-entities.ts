import type { EntityRow } from '../../domain/entity.js';
import type { TermMap } from '../context/term-map.js';
import type { Projection, ProjectionTerm } from '../query/projection.js';
import { attributesOf, type EncodeOptions } from './entity-encoder.js';
import type { EntityType } from './entity-types.js';

/**
 * Linked entity retrieval (clause 4.5.23, `join` and `joinLevel`): the entities a Relationship names
 * are read and either put inside it (`inline`: an `entity` member, `entityList` for several objects;
 * in keyValues the relationship's value becomes the entity) or listed after the entities asked for
 * (`flat`, each entity once), `joinLevel` levels deep. A `pick`/`omit` term with braces
 * (`locatedAt{id,name}`) projects the entities reached through that relationship; without braces
 * they come whole. An object no entity has is left as it is.
 */

export interface JoinView {
  readonly mode: 'inline' | 'flat';
  /** Relationship levels followed (1: the entities the results link to). */
  readonly level: number;
}

/** An entity row with its type, as the reader reads them. */
export interface TypedRow {
  readonly row: EntityRow;
  readonly type: EntityType;
}

export interface LinkedEntityDeps {
  /** The rows of these ids, of any entity type. */
  readonly rowsOf: (ids: readonly string[]) => Promise<TypedRow[]>;
  /** An entity in the representation of `options` (the reader's encoder). */
  readonly encode: (row: TypedRow, options: EncodeOptions) => Record<string, unknown>;
  /** The encode options of a projection (names of the request). */
  readonly optionsOf: (projection: Projection) => EncodeOptions;
}

const RELATIONSHIP = 'Relationship';

/** The projection of the entities reached through attribute `name`: the inner terms of its braces. */
function linkedProjection(projection: Projection, name: string): Projection {
  const inner = (terms: readonly ProjectionTerm[] | null) => terms?.find((t) => t.name === name && t.linked !== null)?.linked ?? null;
  return { attrs: null, pick: inner(projection.pick), omit: inner(projection.omit) };
}

/** The Relationships of a row that the encoded entity shows: member name → objects. */
function relationshipsOf(row: TypedRow, encoded: Record<string, unknown>, output: TermMap): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [iri, attribute] of attributesOf(row.row, row.type, output)) {
    const name = output.compact(iri);
    if (!(name in encoded)) continue;
    const objects = attribute.instances.filter((i) => i['type'] === RELATIONSHIP).flatMap((i) => (Array.isArray(i['object']) ? i['object'] : [i['object']])).filter((o): o is string => typeof o === 'string');
    if (objects.length) out.set(name, [...new Set(objects)]);
  }
  return out;
}

/** The entity linked in a relationship member as `inline` shows it. */
function inlined(member: unknown, objects: readonly string[], linked: ReadonlyMap<string, Record<string, unknown>>, options: EncodeOptions): unknown {
  const found = objects.map((id) => linked.get(id)).filter((e): e is Record<string, unknown> => e !== undefined);
  if (found.length === 0) return member;
  if (options.format === 'keyValues') return typeof member === 'string' ? found[0] : found;
  const add = (instance: unknown): unknown => {
    if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) return instance;
    const own = (instance as Record<string, unknown>)['object'];
    const ids = (Array.isArray(own) ? own : [own]).filter((o): o is string => typeof o === 'string');
    const entities = ids.map((id) => linked.get(id)).filter((e): e is Record<string, unknown> => e !== undefined);
    if (entities.length === 0) return instance;
    return Array.isArray(own) ? { ...instance, entityList: entities } : { ...instance, entity: entities[0] };
  };
  return Array.isArray(member) ? member.map(add) : add(member);
}

/**
 * The entities of `rows` encoded with `projection`, joined as `join` says: inline, each entity with
 * its linked entities inside; flat, the entities then every linked entity not already there.
 */
export async function joinEntities(
  rows: readonly TypedRow[],
  projection: Projection,
  join: JoinView,
  deps: LinkedEntityDeps,
  /** The entities of `rows` already encoded (a notification's, with their changes shown); encoded here when not given. */
  encodedRows?: readonly Record<string, unknown>[],
): Promise<{ entities: Record<string, unknown>[]; linked: Record<string, unknown>[] }> {
  const flat: Record<string, unknown>[] = [];
  const seen = new Set(rows.map((r) => r.row.id));

  async function level(items: readonly TypedRow[], itemsProjection: Projection, depth: number): Promise<Record<string, unknown>[]> {
    const options = deps.optionsOf(itemsProjection);
    const encoded = depth === 0 && encodedRows ? [...encodedRows] : items.map((item) => deps.encode(item, options));
    // flat: linked entities in the order they are reached, level by level along each relationship.
    if (join.mode === 'flat' && depth > 0) {
      items.forEach((item, i) => {
        if (seen.has(item.row.id)) return;
        seen.add(item.row.id);
        flat.push(encoded[i]!);
      });
    }
    if (depth >= join.level) return encoded;
    const links = items.map((item, i) => relationshipsOf(item, encoded[i]!, options.output));
    // Per relationship name: its own projection, so the entities it reaches are read and encoded once per name.
    const names = [...new Set(links.flatMap((l) => [...l.keys()]))];
    const byName = new Map<string, Map<string, Record<string, unknown>>>();
    for (const name of names) {
      const ids = [...new Set(links.flatMap((l) => l.get(name) ?? []))];
      const targets = await deps.rowsOf(ids);
      const childProjection = linkedProjection(itemsProjection, name);
      const children = await level(targets, childProjection, depth + 1);
      byName.set(name, new Map(targets.map((t, i) => [t.row.id, children[i]!])));
    }
    if (join.mode === 'flat') return encoded;
    return encoded.map((entity, i) => {
      const out = { ...entity };
      for (const [name, objects] of links[i]!) out[name] = inlined(out[name], objects, byName.get(name)!, options);
      return out;
    });
  }

  const entities = await level(rows, projection, 0);
  return { entities, linked: flat };
}
