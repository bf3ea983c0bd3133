import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { DatabaseUnavailableError, QueryTimeoutError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { RowStream } from '../services/ports/rows.js';
import { PortalStream, submitPortalStream } from './portal-stream.js';
import { sessionSql } from './sql/session-sql.js';
import type { SqlQuery } from './sql/sql-query.js';

/** What repositories need from a connection: run a statement. */
export interface SqlExecutor {
  query<Row extends object = Record<string, unknown>>(query: SqlQuery): Promise<Row[]>;
}

/** A transaction's connection: statements, and bulk loads where the connection carries them. */
export interface TransactionExecutor extends SqlExecutor {
  /**
   * Runs `COPY … FROM STDIN` with `rows` (text format, one line per row); null where COPY cannot
   * pass (the embedded PostGIS's socket).
   */
  readonly copyFrom: ((statement: string, rows: string) => Promise<void>) | null;
}


export interface Database extends SqlExecutor {
  /** Connections the pool may open (1 for the embedded PostGIS). */
  readonly poolSize: number;
  /** `maxRows`: the most rows the statement can return (its LIMIT), which lets a short result finish in one round trip. */
  stream<Row extends object>(query: SqlQuery, batchSize?: number, maxRows?: number): Promise<RowStream<Row>>;
  /** Whether transactions can bulk load with COPY (TransactionExecutor.copyFrom). */
  readonly copies: boolean;
  /** The server is PGlite behind its socket (DatabaseOptions.pglite): a failed statement costs the connection. */
  readonly pglite: boolean;
  transaction<T>(work: (tx: TransactionExecutor) => Promise<T>): Promise<T>;
  /** Runs a read-only statement cancelled after `budgetMs`; null when it did not finish in time. */
  queryWithin<Row extends object = Record<string, unknown>>(query: SqlQuery, budgetMs: number): Promise<Row[] | null>;
  /** Runs `work` on one dedicated connection (session-level locks, several transactions in a row). */
  withConnection<T>(work: (connection: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel`, on a connection of its own that is opened again
   * after a failure (`onNotify` is called then too, for what was missed); null on PGlite, whose one
   * session cannot be notified by itself.
   */
  listen(channel: string, onNotify: () => void): Promise<{ close(): Promise<void> } | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly connectionString: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly applicationName?: string;
  /**
   * The server is PGlite behind its socket (the embedded PostGIS). Every connection shares its one
   * session, so statements are not prepared by name (the next connection's PREPARE would clash); COPY
   * FROM STDIN does not pass; and a connection whose statement failed is closed, not reused: the socket
   * answers an error with an extra ReadyForQuery that would pair later answers with the wrong
   * statements (electric-sql/pglite#958).
   */
  readonly pglite?: boolean;
  /** Overrides whether transactions bulk load with COPY (default: not on PGlite). */
  readonly copyFromStdin?: boolean;
}

/** How long a listening connection that failed waits before it is opened again. */
const LISTEN_RETRY_MS = 1000;

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(error.message);
}

/** A unique index refused a row (SQLSTATE 23505): the bulk-load paths fall back to their checking statements on it. */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: string } | null)?.code === '23505';

/** Connection failures and timeouts become domain errors; everything else stays as it is. */
export function translateDatabaseError(error: unknown): unknown {
  if (isConnectionError(error)) return new DatabaseUnavailableError(error);
  if ((error as { code?: string } | null)?.code === '57014') return new QueryTimeoutError(error);
  return error;
}

function executor(client: pg.PoolClient | pg.Pool, prepared: boolean): SqlExecutor {
  return {
    async query<Row extends object>(query: SqlQuery): Promise<Row[]> {
      try {
        const result = await client.query<Row>({ text: query.text, values: query.values as unknown[], ...(prepared && query.name ? { name: query.name } : {}) });
        return result.rows;
      } catch (error) {
        throw translateDatabaseError(error);
      }
    },
  };
}

export function createDatabase(options: DatabaseOptions, logger: Logger): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    application_name: options.applicationName ?? 'placelink',
    statement_timeout: options.statementTimeoutMs,
    // API queries are short: parallel workers and JIT compilation cost more to start than they save.
    // Statements are named (prepared, and after a few runs given a generic plan) only where the
    // best plan does not depend on the values; see feature-sql.ts planIsValueFree.
    options: '-c max_parallel_workers_per_gather=0 -c jit=off',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  const pglite = options.pglite ?? false;
  const prepared = !pglite;
  const poolExecutor = executor(pool, prepared);

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  const copies = options.copyFromStdin ?? !pglite;

  async function transaction<T>(work: (tx: TransactionExecutor) => Promise<T>): Promise<T> {
    const client = await connect();
    const copyFrom = async (statement: string, rows: string) => {
      try {
        await pipeline(Readable.from([rows]), client.query(copyFromStdin(statement)));
      } catch (error) {
        throw translateDatabaseError(error);
      }
    };
    const tx: TransactionExecutor = { ...executor(client, prepared), copyFrom: copies ? copyFrom : null };
    try {
      await tx.query(sessionSql.begin());
      const result = await work(tx);
      await tx.query(sessionSql.commit());
      client.release();
      return result;
    } catch (error) {
      try {
        await client.query(sessionSql.rollback().text);
        client.release(pglite ? (error as Error) : undefined);
      } catch (rollbackError) {
        client.release(rollbackError as Error);
      }
      throw translateDatabaseError(error);
    }
  }

  return {
    poolSize: options.poolSize,
    copies,
    pglite,
    query: poolExecutor.query,

    async stream<Row extends object>(query: SqlQuery, batchSize = 500, maxRows?: number): Promise<RowStream<Row>> {
      const client = await connect();
      const portal = new PortalStream(query.text, query.values, batchSize, maxRows, prepared ? query.name : undefined);
      submitPortalStream(client, portal);
      let released = false;
      const release = (error?: Error) => {
        if (released) return;
        released = true;
        client.release(error);
      };
      const close = async () => {
        if (released) return;
        try {
          await portal.close();
          release();
        } catch (error) {
          release(error as Error);
        }
      };
      return {
        async *[Symbol.asyncIterator]() {
          try {
            for (let rows = await portal.next(); rows !== null; rows = await portal.next()) {
              if (rows.length) yield rows as Row[];
            }
            release();
          } catch (error) {
            release(pglite || isConnectionError(error) ? (error as Error) : undefined);
            throw translateDatabaseError(error);
          } finally {
            await close();
          }
        },
        close,
      };
    },

    transaction,

    async queryWithin<Row extends object>(query: SqlQuery, budgetMs: number): Promise<Row[] | null> {
      try {
        return await transaction(async (tx) => {
          await tx.query(sessionSql.localStatementTimeout(budgetMs));
          return tx.query<Row>(query);
        });
      } catch (error) {
        if (error instanceof QueryTimeoutError) return null;
        throw error;
      }
    },

    async withConnection<T>(work: (connection: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await connect();
      try {
        const result = await work(executor(client, prepared));
        client.release();
        return result;
      } catch (error) {
        client.release(error as Error);
        throw translateDatabaseError(error);
      }
    },

    async listen(channel, onNotify) {
      if (pglite) return null;
      let client: pg.Client | null = null;
      let closed = false;
      let retry: NodeJS.Timeout | null = null;
      const open = async (): Promise<void> => {
        const next = new pg.Client({ connectionString: options.connectionString, application_name: `${options.applicationName ?? 'placelink'} listener`, connectionTimeoutMillis: 5_000 });
        next.on('notification', () => onNotify());
        next.on('error', (error) => {
          logger.warn({ err: error, channel }, 'the listening database connection failed; opening it again');
          reopen(next);
        });
        next.on('end', () => reopen(next));
        try {
          await next.connect();
          await next.query(sessionSql.listen(channel).text);
        } catch (error) {
          void next.end().catch(() => {});
          throw error;
        }
        client = next;
      };
      const reopen = (failed: pg.Client) => {
        if (closed || client !== failed || retry) return;
        client = null;
        void failed.end().catch(() => {});
        const attempt = () => {
          retry = null;
          if (closed) return;
          open().then(onNotify, () => {
            retry = setTimeout(attempt, LISTEN_RETRY_MS);
            retry.unref();
          });
        };
        retry = setTimeout(attempt, LISTEN_RETRY_MS);
        retry.unref();
      };
      try {
        await open();
      } catch (error) {
        throw translateDatabaseError(error);
      }
      return {
        async close() {
          closed = true;
          if (retry) clearTimeout(retry);
          await (client as pg.Client | null)?.end().catch(() => {});
        },
      };
    },

    async ping() {
      await poolExecutor.query(sessionSql.ping());
    },

    async close() {
      await pool.end();
    },
  };
}
