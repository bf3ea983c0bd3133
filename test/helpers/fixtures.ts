import type { Geometry } from 'geojson';
import type { CollectionDefinition } from '../../src/domain/collection.js';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { importFeatures, inferQueryables } from '../../src/services/features/import-features.js';
import type { Store } from '../../src/services/ports/store.js';

export function feature(id: string, geometry: Geometry | null, properties: Record<string, unknown> = {}, time: string | null = null): FeatureRecord {
  return { id, namespace: 'test', localId: id, versionId: null, geometry, properties, timeStart: time, timeEnd: time };
}

/** A grid of points: (lon0 + i*step, lat0 + j*step), ids P-0000 …, with a few typed properties. */
export function pointGrid(count: number, lon0 = 9.7, lat0 = 52.3, step = 0.001): FeatureRecord[] {
  const side = Math.ceil(Math.sqrt(count));
  return Array.from({ length: count }, (_, n) => {
    const i = n % side;
    const j = Math.floor(n / side);
    return feature(
      `P-${String(n).padStart(4, '0')}`,
      { type: 'Point', coordinates: [lon0 + i * step, lat0 + j * step] },
      { n, even: n % 2 === 0, kind: ['lamp', 'bench', 'bin'][n % 3], weight: n / 4 },
      new Date(Date.UTC(2020, 0, 1 + (n % 365))).toISOString(),
    );
  });
}

export async function createCollection(store: Store, definition: Partial<CollectionDefinition> & { id: string }, records: FeatureRecord[]): Promise<void> {
  await importFeatures(store, { title: definition.id, sourceSrid: 4326, ...definition }, records, inferQueryables(records));
}
