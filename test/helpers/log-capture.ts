import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
}

/** A real pino logger whose JSON lines are kept in memory, so tests can read what was logged. */
export function captureLog(level = 'info'): CapturedLog {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  return {
    logger: createLogger(level, destination),
    lines: () => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine),
  };
}
