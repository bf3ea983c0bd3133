import { existsSync } from 'node:fs';
import path from 'node:path';

/** The shared fixtures, read in place (PLACELINK_FIXTURES, default ../shared/fixtures). */
export const FIXTURES = path.resolve(process.env['PLACELINK_FIXTURES'] ?? '../shared/fixtures');
export const haveFixtures = existsSync(path.join(FIXTURES, 'inspire-gml'));

export function fixture(folder: string, file: string): string {
  return path.join(FIXTURES, folder, file);
}

if (!haveFixtures) console.warn(`skipping fixture tests: no shared fixtures at ${FIXTURES} (set PLACELINK_FIXTURES)`);
