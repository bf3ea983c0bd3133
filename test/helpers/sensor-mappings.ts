import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadMappings } from '../../src/config/mappings-loader.js';
import { isSensorMapping, type SensorMapping } from '../../src/services/sensors/sensor-registry.js';

/** A temporary folder of mapping files (YAML text by file name). */
export async function mappingFolder(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-sensor-mappings-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(directory, name), text);
  return directory;
}

/** Loads one mapping from YAML text through the real loader (schema, normalisation). */
export async function sensorMapping(yaml: string, name = 'sensors.yaml'): Promise<SensorMapping> {
  const directory = await mappingFolder({ [name]: yaml });
  const [loaded] = await loadMappings(directory);
  if (!loaded || !isSensorMapping(loaded.mapping)) throw new Error('not a sensor mapping');
  return loaded.mapping;
}
