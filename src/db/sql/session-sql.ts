import { quoteIdentifier, type SqlQuery } from './sql-query.js';

/** Transaction control and per-transaction settings. */
export const sessionSql = {
  begin: (): SqlQuery => ({ text: 'BEGIN', values: [] }),
  commit: (): SqlQuery => ({ text: 'COMMIT', values: [] }),
  rollback: (): SqlQuery => ({ text: 'ROLLBACK', values: [] }),
  ping: (): SqlQuery => ({ text: 'SELECT 1', values: [] }),
  serverVersion: (): SqlQuery => ({ text: 'SELECT version() AS v', values: [] }),
  savepoint: (name: string): SqlQuery => ({ text: `SAVEPOINT ${quoteIdentifier(name)}`, values: [] }),
  releaseSavepoint: (name: string): SqlQuery => ({ text: `RELEASE SAVEPOINT ${quoteIdentifier(name)}`, values: [] }),
  rollbackToSavepoint: (name: string): SqlQuery => ({ text: `ROLLBACK TO SAVEPOINT ${quoteIdentifier(name)}`, values: [] }),
  /** Until the end of the current transaction, statements are cancelled after `ms` milliseconds. */
  /** NOTIFY on the channel reaches this session (the channel name comes from the code, never a request). */
  listen: (channel: string): SqlQuery => ({ text: `LISTEN ${quoteIdentifier(channel)}`, values: [] }),
  localStatementTimeout: (ms: number): SqlQuery => ({ text: "SELECT set_config('statement_timeout', $1, true)", values: [String(Math.max(1, Math.round(ms)))] }),
};
