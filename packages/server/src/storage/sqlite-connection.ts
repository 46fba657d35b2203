import type { Database } from 'better-sqlite3';
import type { Tx } from './types';
import type { WalSync } from './wal-sync';

/**
 * How long a statement outside a transaction waits for the open one (SQLite's
 * own busy timeout is 5 s). Past it, it fails: a store call without `tx` made
 * inside a transaction would otherwise wait for itself forever.
 */
export const DEFAULT_OUTSIDE_WAIT_MS = 30_000;

/**
 * Turns better-sqlite3's one synchronous connection into the contract's
 * async transactions. A transaction stays open across `await`s, so while one
 * is open every other use of the connection waits for it: transactions take
 * turns (a queue), and statements outside a transaction wait until none is
 * open. Otherwise a read from another request would see (and a write would
 * join) a transaction that may still roll back.
 */
export class SqliteConnection {
  #active: Tx | undefined;
  #idle: Promise<void> = Promise.resolve();
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    readonly db: Database,
    private readonly maxWaitMs = DEFAULT_OUTSIDE_WAIT_MS,
    /**
     * Makes commits durable when the connection runs `synchronous = NORMAL`
     * (the server's): every write is acknowledged only after it. Without one,
     * SQLite's own `synchronous` setting decides.
     */
    private readonly wal?: WalSync,
  ) {}

  /**
   * Resolves once everything this connection committed so far is on disk; a
   * store's write outside a transaction awaits it before it resolves (so it is
   * acknowledged only once durable). Call it right after the write.
   */
  durable(): Promise<void> {
    return this.wal === undefined ? Promise.resolve() : this.wal.sync();
  }

  /** True while a transaction is open (statements outside one must {@link outside} first). */
  get busy(): boolean {
    return this.#active !== undefined;
  }

  /** Resolves once no transaction is open; statements outside a transaction run right after. */
  async outside(): Promise<void> {
    if (this.#active === undefined) return;
    // Bounded by a timer rather than by knowing the caller's async context: AsyncLocalStorage
    // would tell exactly, but on Node 20 it slows every promise of the process.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.maxWaitMs);
    });
    try {
      while (this.#active !== undefined) {
        if ((await Promise.race([this.#idle, late])) === 'late') {
          throw new Error(
            `waited ${this.maxWaitMs} ms for a transaction to end (a store call without its tx inside a transaction? pass the tx down)`,
          );
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Throws unless `tx` is the transaction open now (a stale or foreign handle is a bug). */
  inside(tx: Tx): void {
    if (tx !== this.#active) throw new Error('a store call used a transaction that is not open');
  }

  /** Runs `fn` in a transaction (`IMMEDIATE`: takes the write lock at BEGIN; `DEFERRED`: a read snapshot). */
  async transaction<T>(mode: 'IMMEDIATE' | 'DEFERRED', fn: (tx: Tx) => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release = () => {};
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tail = previous.then(() => turn);
    await previous;
    let ended = () => {};
    this.#idle = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const tx: Tx = { engine: 'sqlite' };
    let result: T;
    let synced: Promise<void> | undefined;
    try {
      if (this.#closed) throw new Error('the store is closed');
      const failure = this.wal?.failure;
      if (failure !== undefined && mode === 'IMMEDIATE') throw failure;
      this.db.exec(`BEGIN ${mode}`);
      this.#active = tx;
      try {
        result = await fn(tx);
        this.db.exec('COMMIT');
        // Asked right after COMMIT, so the fsync it waits for began after it. DEFERRED
        // transactions only read.
        if (mode === 'IMMEDIATE') synced = this.durable();
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.#active = undefined;
      ended();
      release();
    }
    // The turn is released first: the next transaction runs while the disk works, and its
    // commit shares the next fsync.
    if (synced !== undefined) await synced;
    return result;
  }

  /** Waits for the transactions queued so far, then closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#tail;
    await this.outside();
    await this.wal?.idle();
    this.#closed = true;
    if (this.db.open) this.db.close();
    this.wal?.close();
  }
}
