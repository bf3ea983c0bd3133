import { z } from 'zod';
import { ConfigurationError } from '../domain/errors.js';
import { ngsiLdBase } from './ngsi-ld-base.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const ENV_SCHEMA = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// connection URL')
    .optional(),
  PORT: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  BASE_URL: z
    .url({ message: 'expected an absolute http(s) URL' })
    .refine((v) => /^https?:\/\//.test(v), 'expected an absolute http(s) URL')
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  TRUST_PROXY: booleanFlag.default(false),
  PLACELINK_DATA_DIR: z.string().min(1).default('./data'),
  PLACELINK_DEMO: booleanFlag.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PLACELINK_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  PLACELINK_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  PLACELINK_COUNT_LIMIT: z.coerce.number().int().min(0).default(100_000),
  PLACELINK_COUNT_BUDGET_MS: z.coerce.number().int().min(1).default(250),
  PLACELINK_MAPPINGS: z.string().min(1).optional(),
  PLACELINK_HARVEST_SCHEDULE: booleanFlag.default(true),
  PLACELINK_CATALOG_TTL_MS: z.coerce.number().int().min(0).default(1000),
  PLACELINK_OBSERVATIONS_API_KEY: z.string().min(16, 'expected an API key of at least 16 characters').optional(),
  PLACELINK_OBSERVATIONS_MAX_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  PLACELINK_OBSERVATIONS_FUTURE_SKEW_S: z.coerce.number().int().min(0).default(300),
  PLACELINK_OBSERVATION_PARTITION: z.enum(['day', 'week', 'month'], { message: 'expected day, week or month' }).default('month'),
  PLACELINK_SENSOR_FEEDS: booleanFlag.default(true),
  PLACELINK_SENSOR_MAINTENANCE_S: z.coerce.number().int().min(1).default(60),
  PLACELINK_NGSILD_CONTEXTS_ALLOW: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((p) => p.trim()).filter(Boolean))
    .refine((prefixes) => prefixes.every((p) => /^https?:\/\/[^/]+\//.test(p)), { message: 'expected comma-separated http(s) URL prefixes, each with a host and a path (https://example.org/contexts/)' }),
  PLACELINK_NGSILD_CONTEXT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  PLACELINK_NGSILD_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  PLACELINK_NGSILD_TEMPORAL_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  PLACELINK_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
  PLACELINK_NGSILD_API_KEY: z.string().min(16, 'expected an API key of at least 16 characters').optional(),
  PLACELINK_NGSILD_ANONYMOUS_WRITES: booleanFlag.default(false),
  PLACELINK_NGSILD_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  PLACELINK_NGSILD_NOTIFY_BACKOFF_MAX_S: z.coerce.number().int().min(1).max(86_400).default(300),
  PLACELINK_NGSILD_NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  PLACELINK_NGSILD_NOTIFY_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  PLACELINK_NGSILD_NOTIFY_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  PLACELINK_NGSILD_REGISTER_AT: z
    .url({ message: 'expected an absolute http(s) URL' })
    .refine((v) => /^https?:\/\//.test(v), 'expected an absolute http(s) URL')
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  PLACELINK_NGSILD_REGISTER_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(300),
});

/** Names and addresses of this machine only: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || (/^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(bare) && bare.split('.').every((part) => Number(part) <= 255));
}

export interface Config {
  /** Unset: the embedded PostGIS (PGlite) in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly baseUrl: string | undefined;
  readonly trustProxy: boolean;
  readonly dataDir: string;
  readonly demo: boolean;
  readonly logLevel: string;
  readonly statementTimeoutMs: number;
  readonly poolSize: number;
  /** numberMatched is counted up to this many rows and omitted beyond (0 turns filtered counts off). */
  readonly countLimit: number;
  /** …and omitted when counting takes longer than this. */
  readonly countBudgetMs: number;
  /** Mapping file or directory the service loads (and schedules); unset: none. */
  readonly mappingsPath: string | undefined;
  /** Run the mappings' scheduled harvests while serving. */
  readonly harvestSchedule: boolean;
  /** How long collection metadata is cached per process (0: read it on every request). */
  readonly catalogTtlMs: number;
  /** Key POST /observations requires (X-API-Key or Bearer); unset: the endpoint refuses every request. */
  readonly observationsApiKey: string | undefined;
  /** Largest POST /observations body. */
  readonly observationsMaxBytes: number;
  /** Observations stamped further than this in the future are rejected. */
  readonly observationsFutureSkewMs: number;
  /** Time span of one observation partition. */
  readonly observationPartition: 'day' | 'week' | 'month';
  /** Run MQTT subscriptions and scheduled SensorThings pulls while serving. */
  readonly sensorFeeds: boolean;
  /** How often link rules, partitions ahead and retention are looked after. */
  readonly sensorMaintenanceMs: number;
  /** URL prefixes NGSI-LD @contexts may be fetched from (the shipped ones never are). */
  readonly ngsiLdContextsAllow: readonly string[];
  readonly ngsiLdContextTimeoutMs: number;
  /** Largest NGSI-LD request body. */
  readonly ngsiLdMaxBytes: number;
  /** Most attribute instances of one entity in a temporal response (more: 206 with Content-Range). */
  readonly ngsiLdTemporalLimit: number;
  /** How long feature versions and replaced attribute instances are kept; null: always. */
  readonly historyRetentionMs: number | null;
  /** Key NGSI-LD writes require (X-API-Key or Bearer); unset: writes are refused (unless anonymous writes are on). */
  readonly ngsiLdApiKey: string | undefined;
  /** Writes without a key, for types no mapping declares; only with a loopback HOST (a development setting). */
  readonly ngsiLdAnonymousWrites: boolean;
  /** How long delivering one NGSI-LD notification may take before it counts as failed. */
  readonly ngsiLdNotifyTimeoutMs: number;
  /** The longest wait between attempts to deliver to a failing endpoint. */
  readonly ngsiLdNotifyBackoffMaxMs: number;
  /** Subscriptions one process delivers to at once. */
  readonly ngsiLdNotifyConcurrency: number;
  /** Entity changes matched against the subscriptions per round. */
  readonly ngsiLdNotifyBatch: number;
  /** How often the change log and the outbox are looked at without being woken (changes of other processes). */
  readonly ngsiLdNotifyPollMs: number;
  /** A broker placelink registers itself at as a Context Source (its NGSI-LD base URL). */
  readonly ngsiLdRegisterAt: string | undefined;
  /** How often the registration is renewed (its expiresAt is three times as far ahead). */
  readonly ngsiLdRegisterIntervalMs: number;
}

/** Reads and validates the environment; every bad variable is named in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.keys(ENV_SCHEMA.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ENV_SCHEMA.safeParse(relevant);
  if (!parsed.success) {
    const firstPerVariable = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '');
      if (!firstPerVariable.has(name)) firstPerVariable.set(name, `${issue.message} (got ${JSON.stringify(relevant[name])})`);
    }
    const issues = [...firstPerVariable].map(([location, reason]) => ({ location, reason }));
    throw new ConfigurationError(`Invalid configuration: ${issues.map((i) => `${i.location}: ${i.reason}`).join('; ')}`, issues);
  }
  const v = parsed.data;
  if (v.PLACELINK_NGSILD_REGISTER_AT !== undefined && v.BASE_URL === undefined) {
    const reason = 'a broker can only reach placelink at its public address: set BASE_URL too';
    throw new ConfigurationError(`Invalid configuration: PLACELINK_NGSILD_REGISTER_AT: ${reason}`, [{ location: 'PLACELINK_NGSILD_REGISTER_AT', reason }]);
  }
  if (v.PLACELINK_NGSILD_ANONYMOUS_WRITES && !isLoopbackHost(v.HOST)) {
    const reason = `anonymous NGSI-LD writes are only allowed when HOST is a loopback address (127.0.0.0/8, ::1, localhost); HOST is ${JSON.stringify(v.HOST)}`;
    throw new ConfigurationError(`Invalid configuration: PLACELINK_NGSILD_ANONYMOUS_WRITES: ${reason}`, [
      { location: 'PLACELINK_NGSILD_ANONYMOUS_WRITES', reason },
      { location: 'HOST', reason: 'not a loopback address while PLACELINK_NGSILD_ANONYMOUS_WRITES is true' },
    ]);
  }
  return {
    databaseUrl: v.DATABASE_URL,
    port: v.PORT,
    host: v.HOST,
    baseUrl: v.BASE_URL,
    trustProxy: v.TRUST_PROXY,
    dataDir: v.PLACELINK_DATA_DIR,
    demo: v.PLACELINK_DEMO ?? v.DATABASE_URL === undefined,
    logLevel: v.LOG_LEVEL,
    statementTimeoutMs: v.PLACELINK_STATEMENT_TIMEOUT_MS,
    poolSize: v.PLACELINK_POOL_SIZE,
    countLimit: v.PLACELINK_COUNT_LIMIT,
    countBudgetMs: v.PLACELINK_COUNT_BUDGET_MS,
    mappingsPath: v.PLACELINK_MAPPINGS,
    harvestSchedule: v.PLACELINK_HARVEST_SCHEDULE,
    catalogTtlMs: v.PLACELINK_CATALOG_TTL_MS,
    observationsApiKey: v.PLACELINK_OBSERVATIONS_API_KEY,
    observationsMaxBytes: v.PLACELINK_OBSERVATIONS_MAX_BYTES,
    observationsFutureSkewMs: v.PLACELINK_OBSERVATIONS_FUTURE_SKEW_S * 1000,
    observationPartition: v.PLACELINK_OBSERVATION_PARTITION,
    sensorFeeds: v.PLACELINK_SENSOR_FEEDS,
    sensorMaintenanceMs: v.PLACELINK_SENSOR_MAINTENANCE_S * 1000,
    ngsiLdContextsAllow: v.PLACELINK_NGSILD_CONTEXTS_ALLOW,
    ngsiLdContextTimeoutMs: v.PLACELINK_NGSILD_CONTEXT_TIMEOUT_MS,
    ngsiLdMaxBytes: v.PLACELINK_NGSILD_MAX_BYTES,
    ngsiLdTemporalLimit: v.PLACELINK_NGSILD_TEMPORAL_LIMIT,
    historyRetentionMs: v.PLACELINK_HISTORY_RETENTION_DAYS === undefined ? null : v.PLACELINK_HISTORY_RETENTION_DAYS * 86_400_000,
    ngsiLdApiKey: v.PLACELINK_NGSILD_API_KEY,
    ngsiLdAnonymousWrites: v.PLACELINK_NGSILD_ANONYMOUS_WRITES,
    ngsiLdNotifyTimeoutMs: v.PLACELINK_NGSILD_NOTIFY_TIMEOUT_MS,
    ngsiLdNotifyBackoffMaxMs: v.PLACELINK_NGSILD_NOTIFY_BACKOFF_MAX_S * 1000,
    ngsiLdNotifyConcurrency: v.PLACELINK_NGSILD_NOTIFY_CONCURRENCY,
    ngsiLdNotifyBatch: v.PLACELINK_NGSILD_NOTIFY_BATCH,
    ngsiLdNotifyPollMs: v.PLACELINK_NGSILD_NOTIFY_POLL_MS,
    ngsiLdRegisterAt: v.PLACELINK_NGSILD_REGISTER_AT === undefined ? undefined : ngsiLdBase(v.PLACELINK_NGSILD_REGISTER_AT),
    ngsiLdRegisterIntervalMs: v.PLACELINK_NGSILD_REGISTER_INTERVAL_S * 1000,
  };
}

/** The configuration with credentials removed, for the start-up log line. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl ? redactUrl(config.databaseUrl) : '(embedded PostGIS)',
    observationsApiKey: config.observationsApiKey ? '***' : '(unset: POST /observations refuses every request)',
    ngsiLdApiKey: config.ngsiLdApiKey ? '***' : '(unset: NGSI-LD writes need anonymous writes or are refused)',
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
