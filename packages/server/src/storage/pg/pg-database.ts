import pg from 'pg';
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
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const DEFAULTS: PgTimeouts = { connectMs: 3000, queryMs: 5000, statementMs: 4000, lockMs: 3000 };
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;

/**
 * Opens a pool on `url` (`postgres://user@host:port/db?sslmode=verify-full`; the password from the
 * URL, PGPASSWORD or ~/.pgpass, never argv). After a connection failure, requests fail at once
 * with {@link DatabaseUnavailableError} for a backoff window (100 ms doubling to 2 s) instead of
 * each paying a connect timeout; the first request after the window probes again.
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

  let down: { reason: string; retryAt: number; backoffMs: number } | undefined;
  function markDown(reason: string): void {
    const backoffMs = down === undefined ? BACKOFF_MIN_MS : Math.min(down.backoffMs * 2, BACKOFF_MAX_MS);
    if (down === undefined) options.onStateChange?.('down', reason);
    down = { reason, retryAt: now() + backoffMs, backoffMs };
  }
  function markUp(): void {
    if (down === undefined) return;
    down = undefined;
    options.onStateChange?.('up', 'reconnected');
  }
  function translate(err: unknown): unknown {
    const reason = unavailableReason(err);
    if (reason === undefined) return err;
    if (reason !== 'read-only' && reason !== 'statement timeout' && reason !== 'lock timeout') markDown(reason);
    return new DatabaseUnavailableError(reason);
  }

  async function acquire(): Promise<pg.PoolClient> {
    if (down !== undefined && now() < down.retryAt) throw new DatabaseUnavailableError(down.reason);
    try {
      const client = await pool.connect();
      markUp();
      return client;
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
        await client.query(mode === 'snapshot' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY' : 'BEGIN');
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
    close: () => pool.end(),
  };
}
