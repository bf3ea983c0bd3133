import type { Geometry, Position } from 'geojson';
import { NO_HARVEST_INFO, type CollectionDefinition, type CollectionHarvestInfo } from '../../domain/collection.js';
import type { FeatureRecord } from '../../domain/feature.js';
import { epsgCrs } from '../../geo/crs-registry.js';
import { positionTransform, transformGeometry } from '../../geo/reproject.js';
import type { Logger } from '../../logger.js';
import { importFeatures, inferQueryables } from './import-features.js';
import type { FeatureWrites } from '../ports/feature-ports.js';

/**
 * A small, deterministic demo data set written by the team: streets, street lights along them and
 * buildings beside them, laid out in EPSG:25832 around Hannover's old town and stored reprojected
 * to longitude/latitude, so a fresh instance shows data on its landing page, map and items.
 */

const NAMESPACE = 'DE.PLACELINK.DEMO';
const ORIGIN = { x: 549_300, y: 5_802_400 };
const STREET_NAMES = ['Leinstraße', 'Knochenhauerstraße', 'Marktstraße', 'Schmiedestraße', 'Osterstraße', 'Karmarschstraße', 'Georgstraße', 'Kramerstraße', 'Burgstraße', 'Ballhofstraße', 'Rossmühle', 'Holzmarkt'];
const LAMP_TYPES = ['LED', 'LED', 'LED', 'HPS', 'MH'];
const STATUSES = ['ok', 'ok', 'ok', 'ok', 'defectiveLamp', 'columnIssue'];
const BUILDING_USES = ['residential', 'residential', 'commercial', 'office', 'retail', 'public'];

/** mulberry32: a tiny seeded PRNG so the demo is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const round2 = (n: number) => Math.round(n * 100) / 100;

interface Street {
  readonly name: string;
  readonly from: Position;
  readonly to: Position;
}

function streets(): Street[] {
  // Six streets running east-west and six north-south, 180 m apart, on a slightly rotated grid.
  const angle = (12 * Math.PI) / 180;
  const rotate = ([x, y]: Position): Position => [ORIGIN.x + x! * Math.cos(angle) - y! * Math.sin(angle), ORIGIN.y + x! * Math.sin(angle) + y! * Math.cos(angle)];
  const out: Street[] = [];
  for (let i = 0; i < 6; i++) out.push({ name: STREET_NAMES[i]!, from: rotate([0, i * 180]), to: rotate([1000, i * 180]) });
  for (let i = 0; i < 6; i++) out.push({ name: STREET_NAMES[6 + i]!, from: rotate([i * 190 + 20, -20]), to: rotate([i * 190 + 20, 920]) });
  return out;
}

function along(street: Street, t: number, side: number): Position {
  const [x0, y0] = street.from as [number, number];
  const [x1, y1] = street.to as [number, number];
  const length = Math.hypot(x1 - x0, y1 - y0);
  const nx = -(y1 - y0) / length;
  const ny = (x1 - x0) / length;
  return [x0 + (x1 - x0) * t + nx * side, y0 + (y1 - y0) * t + ny * side];
}

/** Each demo feature is also an NGSI-LD entity of its collection's Smart Data Models type. */
function record(type: string, id: string, geometry: Geometry, properties: Record<string, unknown>, time: string | null = null): FeatureRecord {
  const toLonLat = positionTransform(epsgCrs(25832), 4326);
  return {
    id,
    namespace: NAMESPACE,
    localId: id,
    versionId: null,
    ngsiLdId: `urn:ngsi-ld:${type}:${NAMESPACE}:${id}`,
    geometry: transformGeometry(geometry, toLonLat),
    properties,
    timeStart: time,
    timeEnd: time,
  };
}

const SMART_DATA_MODELS = 'https://raw.githubusercontent.com/smart-data-models';

/** The NGSI-LD side of a demo collection: its type, the Smart Data Models context, the units the values are in. */
function entities(type: string, domain: string, attributes: CollectionHarvestInfo['ngsiLdAttributes']): CollectionHarvestInfo {
  return { ...NO_HARVEST_INFO, ngsiLdType: type, ngsiLdContext: [`${SMART_DATA_MODELS}/dataModel.${domain}/master/context.jsonld`], ngsiLdIdTemplate: `urn:ngsi-ld:${type}:{namespace}:{id}`, ngsiLdAttributes: attributes };
}

export interface DemoCollection {
  readonly definition: CollectionDefinition;
  readonly records: FeatureRecord[];
}

export function demoCollections(): DemoCollection[] {
  const next = random(20261201);
  const grid = streets();
  const streetRecords = grid.map((s, i) =>
    record('Road', `ST-${pad(i + 1, 2)}`, { type: 'LineString', coordinates: [s.from, s.to] }, { name: s.name, roadClass: i % 3 === 0 ? 'primary' : 'residential', lengthM: round2(Math.hypot(s.to[0]! - s.from[0]!, s.to[1]! - s.from[1]!)) }),
  );

  const lights: FeatureRecord[] = [];
  for (const street of grid) {
    const length = Math.hypot(street.to[0]! - street.from[0]!, street.to[1]! - street.from[1]!);
    for (let d = 12, k = 0; d < length; d += 28 + next() * 10, k++) {
      const id = `SL-${pad(lights.length + 1, 4)}`;
      const year = 1975 + Math.floor(next() * 49);
      const installed = `${year}-${pad(1 + Math.floor(next() * 12), 2)}-${pad(1 + Math.floor(next() * 28), 2)}`;
      const lampType = LAMP_TYPES[Math.floor(next() * LAMP_TYPES.length)]!;
      lights.push(
        record(
          'Streetlight',
          id,
          { type: 'Point', coordinates: along(street, d / length, k % 2 === 0 ? 7 : -7) },
          {
            name: `${street.name} ${k + 1}`,
            street: street.name,
            status: STATUSES[Math.floor(next() * STATUSES.length)]!,
            powerState: next() < 0.9 ? 'on' : 'off',
            lampType,
            wattage: lampType === 'LED' ? 30 + Math.floor(next() * 5) * 10 : 70 + Math.floor(next() * 4) * 25,
            installed,
          },
          new Date(`${installed}T00:00:00Z`).toISOString(),
        ),
      );
    }
  }

  const buildings: FeatureRecord[] = [];
  grid.slice(0, 6).forEach((street, s) => {
    for (let t = 0.04; t < 0.96; t += 0.06 + next() * 0.03) {
      const id = `BU-${pad(buildings.length + 1, 4)}`;
      const width = 12 + next() * 14;
      const depth = 10 + next() * 8;
      const a = along(street, t, 14);
      const b = along(street, t + width / 1000, 14);
      const c = along(street, t + width / 1000, 14 + depth);
      const d = along(street, t, 14 + depth);
      const floors = 2 + Math.floor(next() * 6);
      buildings.push(
        record('Building', id, { type: 'Polygon', coordinates: [[a, b, c, d, a]] }, {
          name: `${street.name} ${buildings.length + 1}`,
          category: BUILDING_USES[Math.floor(next() * BUILDING_USES.length)]!,
          floorsAboveGround: floors,
          height: round2(floors * 3.1 + next()),
          yearOfConstruction: 1890 + Math.floor(next() * 130),
          street: grid[s]!.name,
        }),
      );
    }
  });

  const common = { sourceSrid: 25832, inspireNamespace: NAMESPACE, license: 'CC0-1.0', attribution: 'placelink demo data (synthetic)' };
  return [
    {
      definition: {
        ...common,
        id: 'streetlights',
        title: 'Street lights',
        description: 'Street light poles of the demo town centre (synthetic), modelled after the Smart Data Models Streetlight type.',
        keywords: ['streetlight', 'lighting', 'demo'],
        harvest: entities('Streetlight', 'Streetlighting', { wattage: { unitCode: 'WTT' } }),
      },
      records: lights,
    },
    {
      definition: {
        ...common,
        id: 'buildings',
        title: 'Buildings',
        description: 'Building footprints beside the demo streets (synthetic), INSPIRE Buildings style attributes.',
        keywords: ['building', 'INSPIRE BU', 'demo'],
        harvest: entities('Building', 'Building', { height: { unitCode: 'MTR' } }),
      },
      records: buildings,
    },
    {
      definition: {
        ...common,
        id: 'streets',
        title: 'Streets',
        description: 'Street centre lines of the demo town centre (synthetic).',
        keywords: ['street', 'transport network', 'demo'],
        harvest: entities('Road', 'Transportation', { lengthM: { unitCode: 'MTR' } }),
      },
      records: streetRecords,
    },
  ];
}

/** Loads the demo collections that are not there yet; existing data is left alone. */
export async function loadDemoData(store: FeatureWrites, logger: Logger): Promise<void> {
  for (const { definition, records } of demoCollections()) {
    const existing = await store.collections.get(definition.id);
    if (existing && existing.featureCount > 0) continue;
    const summary = await importFeatures(store, definition, records, inferQueryables(records));
    logger.info({ collection: definition.id, inserted: summary.inserted }, 'demo data loaded');
  }
}
