import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import { DatabaseUnavailableError, unavailableReason } from './pg-errors';

/** Timeouts of {@link openPgDatabase}; the defaults keep a request well under the clients' patience. */
export interface PgTimeouts {
  /** TCP connect + startup handshake (a frozen server accepts TCP, then never answers). */
  connectMs: number;
  /** Client-side bound on one query: the only one that fires while the server is SIGSTOPped. */
  queryMs: number;
  /** Server-side statement_timeout (a slow plan or a blocked lock). */
  statementMs: number;
  /** Server-side lock_timeout (rows held by a stuck replica). */
  lockMs: number;
}

/** Options of {@link openPgDatabase}. */
export interface PgDatabaseOptions {
  /** Connections per replica (default 10). */
  maxConnections?: number;
  timeouts?: Partial<PgTimeouts>;
  /** Called with a short cause (never driver text) when the database goes away or comes back. */
  onStateChange?: (state: 'up' | 'down', reason: string) => void;
  /** Monotonic ms (default performance.now) for the reconnect backoff. */
  now?: () => number;
}

/** A query runner: the pool itself or one transaction's connection. */
export interface PgQueryable {
  /** Runs a named (prepared once per connection) statement and returns its rows. */
  rows<R extends object>(name: string, text: string, values?: readonly unknown[]): Promise<R[]>;
  /** An unnamed statement (DDL, one-off admin SQL). */
  exec(text: string, values?: readonly unknown[]): Promise<number>;
}

/** An open PostgreSQL database: a pool with timeouts, a breaker with backoff, transactions. */
export interface PgDatabase extends PgQueryable {
  readonly url: string;
  /**
   * Runs `fn` in one transaction, committed when it resolves, rolled back when it throws.
   * READ COMMITTED by default; `snapshot` makes it REPEATABLE READ, READ ONLY (one consistent view).
   */
  transaction<T>(fn: (tx: PgQueryable) => Promise<T>, mode?: 'write' | 'snapshot'): Promise<T>;
  /** True when the database answers now (readiness); never throws, bounded by the connect/query timeouts. */
  ping(): Promise<boolean>;
  /** Why the database is considered down, or undefined when it is up. */
  downReason(): string | undefined;
  close(): Promise<void>;
}

// BIGINT columns hold ms timestamps and counters, all far below 2^53: read them as numbers.
type TypeId = Parameters<CustomTypesConfig['getTypeParser']>[0];
type Parser = (value: string) => unknown;
const types: CustomTypesConfig = {
  getTypeParser: (oid: TypeId, format?: 'text' | 'binary'): Parser =>
    // pg-types declares its parsers as returning `any`; ours only pass their value on.
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format) as Parser),
};

const DEFAULTS: PgTimeouts = { connectMs: 3000, queryMs: 5000, statementMs: 4000, lockMs: 3000 };
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;

/**
 * Opens a pool on `url` (`postgres://user@host:port/db?sslmode=verify-full`; the password from the
 * URL, PGPASSWORD or ~/.pgpass, never argv). After a connection failure, requests fail at once
 * with {@link DatabaseUnavailableError} until a background probe (100 ms doubling to 2 s) reaches
 * the database again, instead of each paying a connect or query timeout; connections opened before
 * the failure are then dropped rather than trusted.
 */
export function openPgDatabase(url: string, options: PgDatabaseOptions = {}): PgDatabase {
  const t = { ...DEFAULTS, ...options.timeouts };
  const now = options.now ?? (() => performance.now());
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: t.connectMs,
    idleTimeoutMillis: 30_000,
    query_timeout: t.queryMs,
    statement_timeout: t.statementMs,
    lock_timeout: t.lockMs,
    idle_in_transaction_session_timeout: t.queryMs * 2,
    keepAlive: true,
    application_name: 'dodil-server',
    types,
  });
  // An idle connection dying (server restart) must not crash the process; the next use reconnects.
  pool.on('error', (err) => markDown(unavailableReason(err) ?? 'idle connection lost'));
  // When each pooled connection was opened: those older than the last failure are not trusted
  // again (against a frozen server every one of them would cost a full query timeout).
  const born = new WeakMap<object, number>();
  pool.on('connect', (client) => born.set(client, now()));

  let down: { reason: string; since: number; backoffMs: number } | undefined;
  let lastFailure = -Infinity;
  let probing: NodeJS.Timeout | undefined;
  let closed = false;

  function markDown(reason: string): void {
    lastFailure = now();
    if (down === undefined) {
      options.onStateChange?.('down', reason);
      down = { reason, since: lastFailure, backoffMs: BACKOFF_MIN_MS };
    }
    scheduleProbe();
  }
  function markUp(): void {
    if (down === undefined) return;
    down = undefined;
    options.onStateChange?.('up', 'reconnected');
  }
  // While down, requests fail at once and one probe (a fresh connection and SELECT 1, bounded by
  // the connect and query timeouts) runs with backoff, 100 ms doubling to 2 s; its success ends
  // the outage for everyone.
  function scheduleProbe(): void {
    if (probing !== undefined || closed || down === undefined) return;
    const wait = down.backoffMs;
    down.backoffMs = Math.min(down.backoffMs * 2, BACKOFF_MAX_MS);
    probing = setTimeout(() => {
      void probe().finally(() => {
        probing = undefined;
        if (down !== undefined) scheduleProbe();
      });
    }, wait);
    probing.unref();
  }
  async function probe(): Promise<void> {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: t.connectMs,
      query_timeout: t.queryMs,
      types,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      markUp();
    } catch {
      lastFailure = now();
    } finally {
      void client.end().catch(() => undefined);
    }
  }
  function translate(err: unknown): unknown {
    const reason = unavailableReason(err);
    if (reason === undefined) return err;
    if (reason !== 'read-only' && reason !== 'statement timeout' && reason !== 'lock timeout')
      markDown(reason);
    return new DatabaseUnavailableError(reason);
  }

  async function acquire(): Promise<pg.PoolClient> {
    if (down !== undefined) throw new DatabaseUnavailableError(down.reason);
    try {
      // Bounded: at most every pooled connection is found stale once.
      for (let i = 0; ; i++) {
        const client = await pool.connect();
        if ((born.get(client) ?? -Infinity) > lastFailure || i > (options.maxConnections ?? 10))
          return client;
        client.release(new Error('opened before the last database failure'));
      }
    } catch (err) {
      throw translate(err);
    }
  }

  const on = (client: pg.PoolClient): PgQueryable => ({
    async rows<R extends object>(name: string, text: string, values: readonly unknown[] = []) {
      const result = await client.query<R>({ name, text, values: [...values] });
      return result.rows;
    },
    async exec(text: string, values: readonly unknown[] = []) {
      const result = await client.query(text, [...values]);
      return result.rowCount ?? 0;
    },
  });

  // Runs `fn` on a pooled connection; a connection that failed is destroyed, never reused (a
  // query that timed out against a frozen server leaves it mid-protocol).
  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await acquire();
    try {
      const value = await fn(client);
      client.release();
      return value;
    } catch (err) {
      const broken = unavailableReason(err) !== undefined;
      client.release(broken ? (err as Error) : undefined);
      throw translate(err);
    }
  }

  return {
    url,
    rows: (name, text, values) => withClient((c) => on(c).rows(name, text, values)),
    exec: (text, values) => withClient((c) => on(c).exec(text, values)),
    transaction<T>(fn: (tx: PgQueryable) => Promise<T>, mode: 'write' | 'snapshot' = 'write'): Promise<T> {
      return withClient(async (client) => {
        await client.query(
          mode === 'snapshot' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY' : 'BEGIN',
        );
        try {
          const value = await fn(on(client));
          await client.query('COMMIT');
          return value;
        } catch (err) {
          // The rollback may fail too (connection gone); the original error is the one to report.
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    },
    async ping() {
      try {
        await withClient((c) => c.query('SELECT 1'));
        return true;
      } catch {
        return false;
      }
    },
    downReason: () => down?.reason,
    close() {
      closed = true;
      if (probing !== undefined) clearTimeout(probing);
      return pool.end();
    },
  };
}
