import { createReadStream } from 'node:fs';
import path from 'node:path';
import { SaxesParser } from 'saxes';

export type RobotStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface RobotTest {
  /** Folder of the test's .robot file, relative to the suite root (`TP/NGSI-LD/…/QueryEntities`). */
  readonly folder: string;
  /** File name of the .robot file (`019_01.robot`). */
  readonly file: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly status: RobotStatus;
  /** Robot's failure message (empty when the test passed). */
  readonly message: string;
  readonly seconds: number;
}

export interface FolderCounts {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

export interface RobotOutput {
  readonly tests: RobotTest[];
  /** Wall time of each suite (folder or .robot file) by its path relative to the suite root, setups included. */
  readonly suiteSeconds: Map<string, number>;
}

interface OpenElement {
  readonly name: string;
  readonly source: string | null;
}

/**
 * Every test of a Robot Framework output.xml (schema 5, Robot 7) with the folder of its .robot
 * file, streamed: a run of the ETSI suite writes tens of megabytes of request and response logs.
 * `suiteRoot` is the folder the suite ran from (sources are reported relative to it).
 */
export async function readRobotOutput(file: string, suiteRoot: string): Promise<RobotOutput> {
  const parser = new SaxesParser();
  const stack: OpenElement[] = [];
  const tests: RobotTest[] = [];
  const suiteSeconds = new Map<string, number>();
  let current: { name: string; source: string; tags: string[]; status?: RobotStatus; message: string; seconds: number } | null = null;
  let text: string | null = null;

  parser.on('opentag', (tag) => {
    const attribute = (name: string): string | null => {
      const value = tag.attributes[name];
      return typeof value === 'string' ? value : null;
    };
    stack.push({ name: tag.name, source: attribute('source') });
    if (tag.name === 'test') {
      const source = [...stack].reverse().find((e) => e.name === 'suite' && e.source)?.source ?? '';
      current = { name: attribute('name') ?? '', source, tags: [], message: '', seconds: 0 };
    } else if (tag.name === 'status' && stack.length >= 2 && stack[stack.length - 2]!.name === 'suite') {
      const source = stack[stack.length - 2]!.source;
      if (source) suiteSeconds.set(path.relative(suiteRoot, source), Number(attribute('elapsed') ?? 0));
    } else if (current && stack.length >= 2 && stack[stack.length - 2]!.name === 'test') {
      // status and tag of the test itself, not of its keywords
      if (tag.name === 'status') {
        current.status = attribute('status') as RobotStatus;
        current.seconds = Number(attribute('elapsed') ?? 0);
        text = '';
      } else if (tag.name === 'tag') {
        text = '';
      }
    }
  });
  parser.on('text', (chunk) => {
    if (text !== null) text += chunk;
  });
  parser.on('closetag', (tag) => {
    stack.pop();
    if (!current) return;
    if (tag.name === 'status' && text !== null) {
      current.message = text;
      text = null;
    } else if (tag.name === 'tag' && text !== null) {
      current.tags.push(text);
      text = null;
    } else if (tag.name === 'test') {
      const relative = path.relative(suiteRoot, current.source);
      tests.push({
        folder: path.dirname(relative),
        file: path.basename(relative),
        name: current.name,
        tags: current.tags,
        status: current.status ?? 'FAIL',
        message: current.message,
        seconds: current.seconds,
      });
      current = null;
    }
  });

  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) parser.write(chunk as string);
  parser.close();
  return { tests, suiteSeconds };
}

/** Counts per folder, and per any prefix of it the caller asks for (`TP/NGSI-LD/CommonBehaviours`). */
export function countByFolder(tests: readonly RobotTest[], key: (test: RobotTest) => string = (t) => t.folder): Map<string, FolderCounts> {
  const counts = new Map<string, FolderCounts>();
  for (const test of tests) {
    const name = key(test);
    const row = counts.get(name) ?? { tests: 0, passed: 0, failed: 0, skipped: 0, seconds: 0 };
    row.tests += 1;
    if (test.status === 'PASS') row.passed += 1;
    else if (test.status === 'SKIP') row.skipped += 1;
    else row.failed += 1;
    row.seconds += test.seconds;
    counts.set(name, row);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}
