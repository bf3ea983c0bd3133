import type { LoadedMapping } from '../../src/config/mappings-loader.js';
import { formatIssue, validateMappingText } from '../../src/config/mappings-loader.js';

/** A mapping from YAML text, as if read from `file` (relative paths resolve against its folder). */
export async function mappingFrom(yaml: string, file = 'test/fixtures/mappings/inline.yaml', env: NodeJS.ProcessEnv = process.env): Promise<LoadedMapping> {
  const result = await validateMappingText(yaml, file, env);
  if (!result.loaded) throw new Error(`invalid test mapping:\n${result.issues.map((i) => formatIssue(i)).join('\n')}`);
  return result.loaded;
}
