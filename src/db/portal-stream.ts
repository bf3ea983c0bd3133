import { createRequire } from 'node:module';
import type pg from 'pg';

const require = createRequire(import.meta.url);
// pg's row parser (type parsers included), the same one pg and pg-cursor use internally.
const Result = require('pg/lib/result.js') as new () => PgResult;
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown };

interface PgResult {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): Record<string, unknown>;
}

/** The parts of pg's connection a submittable drives (the extended query protocol). */
interface Connection {
  stream: { cork(): void; uncork(): void };
  /** Named statements this connection has prepared (kept by pg's client). */
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name?: string }): void;
  bind(message: { statement?: string; values: unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  flush(): void;
  sync(): void;
}

type Waiter = { resolve: (rows: Record<string, unknown>[] | null) => void; reject: (error: Error) => void };

/**
 * Streams a statement's rows from an unnamed portal in batches, with back-pressure between them.
 * Unlike pg-cursor it sends Parse/Bind/Describe/Execute in one write, and when the statement can
 * return no more than one batch (`boundedBy` ≤ batch size: a LIMITed page) it pipelines the Sync
 * too: one write and one round trip, like a plain query. Each write wakes the database process,
 * and on small virtual machines those wake-ups, not the query, dominate a short request.
 */
export class PortalStream {
  private readonly result = new Result();
  private connection: Connection | null = null;
  private batch: Record<string, unknown>[] = [];
  private ready: Record<string, unknown>[][] = [];
  private waiter: Waiter | null = null;
  private state: 'queued' | 'fetching' | 'suspended' | 'complete' | 'closing' | 'done' | 'failed' = 'queued';
  private failure: Error | null = null;
  private readonly finished: Promise<void>;
  private markFinished!: () => void;

  private readonly singleBatch: boolean;

  constructor(
    /** Read by pg's client, which records a named statement as prepared once it parsed. */
    readonly text: string,
    private readonly values: readonly unknown[],
    private readonly batchSize: number,
    /** The most rows the statement can return (its LIMIT), when known. */
    boundedBy?: number,
    /** Prepared once per connection under this name (statements of a bounded set of shapes only). */
    readonly name?: string,
  ) {
    this.singleBatch = boundedBy !== undefined && boundedBy <= batchSize;
    this.finished = new Promise((resolve) => (this.markFinished = resolve));
  }

  // ------------------------------------------------ pg Submittable protocol

  submit(connection: Connection): void {
    this.connection = connection;
    connection.stream.cork();
    try {
      const name = this.name;
      if (name === undefined) connection.parse({ text: this.text });
      else if (connection.parsedStatements[name] === undefined && connection.submittedNamedStatements[name] === undefined) {
        connection.parse({ text: this.text, name });
        connection.submittedNamedStatements[name] = this.text;
      }
      connection.bind({ ...(name === undefined ? {} : { statement: name }), values: [...this.values], valueMapper: prepareValue });
      connection.describe({ type: 'P', name: '' });
      if (this.singleBatch) {
        connection.execute({ portal: '', rows: 0 });
        connection.sync();
      } else {
        connection.execute({ portal: '', rows: this.batchSize });
        connection.flush();
      }
    } finally {
      connection.stream.uncork();
    }
    this.state = 'fetching';
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    this.batch.push(this.result.parseRow(message.fields));
  }

  handlePortalSuspended(): void {
    if (this.state === 'closing') {
      this.connection!.sync();
      return;
    }
    this.state = 'suspended';
    this.deliver();
  }

  handleCommandComplete(): void {
    const closing = this.state === 'closing';
    this.state = 'complete';
    if (!this.singleBatch) this.connection!.sync();
    if (!closing) this.deliver();
  }

  handleEmptyQuery(): void {
    this.handleCommandComplete();
  }

  handleError(error: Error): void {
    // The backend skips everything until Sync after an error; a second Sync would confuse the client.
    if (!this.singleBatch) this.connection?.sync();
    this.state = 'failed';
    this.failure = error;
    this.batch = [];
    this.ready = [];
    this.waiter?.reject(error);
    this.waiter = null;
    this.markFinished();
  }

  handleReadyForQuery(): void {
    if (this.state !== 'failed') this.state = 'done';
    this.waiter?.resolve(this.ready.shift() ?? null);
    this.waiter = null;
    this.markFinished();
  }

  handleCopyInResponse(): void {}
  handleCopyData(): void {}

  // ------------------------------------------------ consumer side

  private deliver(): void {
    const rows = this.batch;
    this.batch = [];
    if (this.waiter) {
      this.waiter.resolve(rows);
      this.waiter = null;
    } else {
      this.ready.push(rows);
    }
  }

  /** The next batch of rows, or null at the end. */
  next(): Promise<Record<string, unknown>[] | null> {
    if (this.failure) return Promise.reject(this.failure);
    const buffered = this.ready.shift();
    if (buffered) {
      if (this.state === 'suspended' && this.ready.length === 0) this.fetchMore();
      return Promise.resolve(buffered);
    }
    if (this.state === 'complete' || this.state === 'done') return Promise.resolve(null);
    if (this.state === 'suspended') this.fetchMore();
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private fetchMore(): void {
    this.state = 'fetching';
    const connection = this.connection!;
    connection.stream.cork();
    connection.execute({ portal: '', rows: this.batchSize });
    connection.flush();
    connection.stream.uncork();
  }

  /** Stops reading: the portal ends with the implicit transaction at Sync. Resolves when the connection is free. */
  async close(): Promise<void> {
    if (this.singleBatch) {
      // The Sync is already on its way; the statement finishes by itself.
    } else if (this.state === 'suspended') {
      this.state = 'closing';
      this.connection!.sync();
    } else if (this.state === 'fetching') {
      this.state = 'closing';
    }
    this.ready = [];
    if (this.state !== 'queued') await this.finished;
  }
}

/** Runs `stream` on `client`, which the caller releases after `close()` or the last batch. */
export function submitPortalStream(client: pg.PoolClient, stream: PortalStream): void {
  (client as unknown as { query(submittable: unknown): void }).query(stream);
}
