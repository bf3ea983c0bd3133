import { InvalidInputError } from '../../domain/errors.js';

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Entity members that are no attributes. */
const ENTITY_MEMBERS = new Set(['id', 'type', 'scope', '@context', 'createdAt', 'modifiedAt', 'deletedAt']);

const observedAt = (instance: unknown) => (isObject(instance) && typeof instance['observedAt'] === 'string' ? Date.parse(instance['observedAt']) : Number.NEGATIVE_INFINITY);

/**
 * A temporal representation (clause 4.5.7: each attribute a list of its instances over time) as
 * successive entity fragments, oldest instances first: round k holds the k-th instance of each
 * attribute instance series (one series per datasetId). Writing the rounds in order leaves the
 * newest instance of each series as the entity's current value and every instance in its history.
 */
export function temporalRounds(body: Raw): Raw[] {
  const head: Raw = {};
  const series = new Map<string, unknown[][]>();
  for (const [name, value] of Object.entries(body)) {
    if (ENTITY_MEMBERS.has(name)) {
      head[name] = value;
      continue;
    }
    const instances = Array.isArray(value) ? value : [value];
    if (instances.length === 0) throw new InvalidInputError(`/${name}: an attribute of a temporal representation lists at least one instance`);
    const byDataset = new Map<string, unknown[]>();
    for (const instance of instances) {
      const dataset = isObject(instance) && typeof instance['datasetId'] === 'string' ? instance['datasetId'] : '';
      const list = byDataset.get(dataset);
      if (list) list.push(instance);
      else byDataset.set(dataset, [instance]);
    }
    // Array.prototype.sort is stable: instances without observedAt keep their order, before the timed ones.
    series.set(name, [...byDataset.values()].map((list) => [...list].sort((a, b) => observedAt(a) - observedAt(b))));
  }
  const rounds = Math.max(1, ...[...series.values()].flatMap((lists) => lists.map((l) => l.length)));
  return Array.from({ length: rounds }, (_, k) => {
    const round: Raw = { ...head };
    for (const [name, lists] of series) {
      const instances = lists.map((list) => list[k]).filter((instance) => instance !== undefined);
      if (instances.length) round[name] = instances.length === 1 ? instances[0] : instances;
    }
    return round;
  });
}
