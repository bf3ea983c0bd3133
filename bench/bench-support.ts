import pg from 'pg';

/** What every bench shares: its progress line, medians of rounds, and its own database. */

export const log = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Whether a URL answers 2xx within 3 s (a peer the bench compares with). */
export async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Runs `work` on the server's maintenance database, with the name of the database `url` names. */
async function onServer(url: string, work: (client: pg.Client, name: string) => Promise<void>): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new pg.Client(admin.toString());
  await client.connect();
  try {
    await work(client, name);
  } finally {
    await client.end();
  }
}

/** Creates the database `url` names when it is missing (benches that keep their data between runs). */
export function ensureDatabase(url: string): Promise<void> {
  return onServer(url, async (client, name) => {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) await client.query(`CREATE DATABASE ${quoted(name)}`);
  });
}

/** Drops and creates the database `url` names: rows an earlier run deleted would keep autovacuum busy during this one. */
export function recreateDatabase(url: string): Promise<void> {
  return onServer(url, async (client, name) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoted(name)}`);
  });
}
