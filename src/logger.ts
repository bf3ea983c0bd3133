import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'placelink' },
      redact: { paths: ['*.password', '*.apiKey', 'req.headers.authorization', 'req.headers["x-api-key"]'], censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stderr,
  );
}
