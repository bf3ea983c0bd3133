import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { ConfigurationError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/**
 * The embedded database: PGlite with PostGIS in a data folder, served on a loopback port so the
 * service talks to it through the same `pg` code as to a real server. PGlite runs one query at a
 * time, so clients use a pool of one connection. COPY FROM STDIN does not pass this socket;
 * bulk writes use `INSERT … SELECT … FROM unnest(…)` instead.
 */
export interface EmbeddedPostgis {
  readonly connectionString: string;
  /** True when this process started the database, false when it joined one another process serves. */
  readonly owned: boolean;
  stop(): Promise<void>;
}

interface LockFile {
  readonly pid: number;
  readonly port: number;
}

const LOCK_NAME = 'placelink.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(lockPath: string): Promise<LockFile | null> {
  try {
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as LockFile;
    return Number.isInteger(lock.pid) && Number.isInteger(lock.port) ? lock : null;
  } catch {
    return null;
  }
}

function connectionStringFor(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}

/**
 * Starts the embedded PostGIS in `dataDir`, or joins the one another placelink process already
 * serves from that folder (two PGlite instances must never open the same files).
 */
export async function startEmbeddedPostgis(dataDir: string, logger: Logger): Promise<EmbeddedPostgis> {
  const folder = path.resolve(dataDir);
  const lockPath = path.join(folder, LOCK_NAME);
  await mkdir(folder, { recursive: true });

  const existing = await readLock(lockPath);
  if (existing && existing.pid !== process.pid && isAlive(existing.pid)) {
    logger.info({ dataDir: folder, pid: existing.pid, port: existing.port }, 'joining the embedded PostGIS served by another placelink process');
    return { connectionString: connectionStringFor(existing.port), owned: false, stop: async () => {} };
  }

  const started = Date.now();
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: path.join(folder, 'pglite'), extensions: { postgis } });
  } catch (error) {
    throw new ConfigurationError(`Cannot open the embedded database in ${folder}: ${(error as Error).message}`);
  }
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  await writeFile(lockPath, JSON.stringify({ pid: process.pid, port } satisfies LockFile));
  logger.info({ dataDir: folder, port, ms: Date.now() - started }, 'embedded PostGIS (PGlite) started');

  return {
    connectionString: connectionStringFor(port),
    owned: true,
    async stop() {
      await server.stop();
      await db.close();
      await rm(lockPath, { force: true });
    },
  };
}
