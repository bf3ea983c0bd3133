import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function placelink(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Vite puts BASE_URL=/ into the test environment; it is placelink's variable too.
    const { BASE_URL: _vite, ...inherited } = process.env;
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...inherited, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('placelink mappings validate', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-cli-mappings-'));
    await writeFile(path.join(directory, 'broken.yaml'), 'source:\n  type: wfs\n  url: http://127.0.0.1/wfs\n  typeName: x\n  pageSize: lots\ntarget:\n  collection: c\n');
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('accepts the shipped examples', async () => {
    const result = await placelink(['mappings', 'validate', 'mappings']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^mappings\/streetlights\.yaml: ok — streetlights: wfs .* → collection streetlights$/m);
  });

  it('prints file:line:column: field: message and exits 3 on a broken mapping', async () => {
    const result = await placelink(['mappings', 'validate', directory]);
    expect(result.code).toBe(3);
    const file = path.relative(process.cwd(), path.join(directory, 'broken.yaml'));
    expect(result.stdout.trim()).toBe(`${file}:5:13: source.pageSize: must be integer (got "lots")`);
    expect(result.stderr).toContain('1 problem in 1 of 1 mapping files');
  });

  it('stops the service start on invalid mappings, naming file and field', async () => {
    const result = await placelink(['serve'], { PLACELINK_MAPPINGS: directory, PORT: '0', LOG_LEVEL: 'silent' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid mappings (1 problem)');
    expect(result.stderr).toContain('broken.yaml:5:13: source.pageSize: must be integer');
  });
});
