import type { Database } from 'better-sqlite3';
import type { Tx } from './types';
import type { WalSync } from './wal-sync';

/**
 * How long a statement outside a transaction waits for the open one (SQLite's
 * own busy timeout is 5 s). Past it, it fails: a store call without `tx` made
 * inside a transaction would otherwise wait for itself forever.
 */
export const DEFAULT_OUTSIDE_WAIT_MS = 30_000;

/** At most this many queued writes share one commit (each waits for all of them). */
const MAX_WRITES_PER_COMMIT = 32;

/** The writes sharing one SQLite transaction: they are durable, or fail, together. */
class WriteBatch {
  size = 0;
  failed = false;
  readonly done: Promise<void>;
  #resolve: () => void = () => {};
  #reject: (err: unknown) => void = () => {};

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A batch whose writes all failed on their own has nobody waiting for it.
    this.done.catch(() => {});
  }

  commit(synced: Promise<void>): void {
    synced.then(this.#resolve, this.#reject);
  }

  fail(err: unknown): void {
    this.failed = true;
    this.#reject(err);
  }
}

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
  #ended: () => void = () => {};
  #tail: Promise<void> = Promise.resolve();
  /** Modes of the transactions waiting for their turn, in order. */
  #queued: Array<'IMMEDIATE' | 'DEFERRED'> = [];
  /** The write transaction left open for the next queued write. */
  #batch: WriteBatch | undefined;
  #closed = false;
  /** True while writes asked for in this event-loop turn queue up behind one gate. */
  #gathering = false;

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

  /**
   * A store's write outside a transaction: waits for any open one to end, runs `write`
   * synchronously (nothing can interleave), and resolves with its result once it is durable.
   */
  async writeOutside<T>(write: () => T): Promise<T> {
    if (this.busy) await this.outside();
    const result = write();
    await this.durable();
    return result;
  }

  /** True while a transaction is open (statements outside one must {@link outside} first). */
  get busy(): boolean {
    return this.#active !== undefined || this.#batch !== undefined;
  }

  /** Resolves once no transaction is open; statements outside a transaction run right after. */
  async outside(): Promise<void> {
    if (!this.busy) return;
    // Bounded by a timer rather than by knowing the caller's async context: AsyncLocalStorage
    // would tell exactly, but on Node 20 it slows every promise of the process.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.maxWaitMs);
    });
    try {
      while (this.busy) {
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

  /**
   * Runs `fn` in a transaction (`IMMEDIATE`: takes the write lock at BEGIN; `DEFERRED`: a read
   * snapshot). Write transactions queued back to back share one SQLite transaction, each in its
   * own savepoint (a failing one rolls back alone), and one COMMIT and fsync: each resolves once
   * that commit is durable. `gather`: wait for the end of this event-loop turn first, so the
   * writes of every request read in this turn share the commit (request writes; the audit log's
   * batch is already gathered per turn and does not wait twice).
   */
  async transaction<T>(
    mode: 'IMMEDIATE' | 'DEFERRED',
    fn: (tx: Tx) => Promise<T>,
    options: { gather?: boolean } = {},
  ): Promise<T> {
    if (options.gather === true && mode === 'IMMEDIATE' && this.wal !== undefined && !this.#gathering)
      this.#gather();
    const previous = this.#tail;
    let release = () => {};
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tail = previous.then(() => turn);
    this.#queued.push(mode);
    await previous;
    this.#queued.shift();
    try {
      return mode === 'IMMEDIATE' ? await this.#write(fn, release) : await this.#read(fn);
    } finally {
      release();
    }
  }

  // Each request's writes are asked for from its own I/O callback, and a transaction runs to
  // its end within the same turn: without a gate no two writes ever queue together. The first
  // write of a turn puts one in the queue that opens at the end of the turn (setImmediate), so
  // every write asked for meanwhile runs back to back and they share one commit.
  #gather(): void {
    this.#gathering = true;
    this.#tail = this.#tail.then(
      () =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            this.#gathering = false;
            resolve();
          }),
        ),
    );
  }

  async #read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the store is closed');
    this.#begin('DEFERRED');
    const tx: Tx = { engine: 'sqlite' };
    this.#active = tx;
    try {
      const result = await fn(tx);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.#active = undefined;
      this.#ended();
    }
  }

  // One write: joins the transaction the previous write left open, or begins one; runs in a
  // savepoint; then leaves the transaction open for the next queued write, or commits it. The turn
  // is released before the fsync is awaited: the next transaction runs while the disk works.
  async #write<T>(fn: (tx: Tx) => Promise<T>, release: () => void): Promise<T> {
    let batch = this.#batch;
    this.#batch = undefined;
    if (batch === undefined) {
      if (this.#closed) throw new Error('the store is closed');
      const failure = this.wal?.failure;
      if (failure !== undefined) throw failure;
      this.#begin('IMMEDIATE');
      batch = new WriteBatch();
    }
    batch.size++;
    const tx: Tx = { engine: 'sqlite' };
    let failed = false;
    let error: unknown;
    let result: T | undefined;
    try {
      this.db.exec('SAVEPOINT dodil_write');
      this.#active = tx;
      result = await fn(tx);
      this.#active = undefined;
      this.db.exec('RELEASE dodil_write');
    } catch (err) {
      this.#active = undefined;
      failed = true;
      error = err;
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK TO dodil_write; RELEASE dodil_write');
      } catch {
        // The savepoint can't be undone alone: the whole transaction goes (below).
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    }
    if (!this.db.inTransaction) {
      // SQLite rolled the whole transaction back (an I/O error, a full disk): every write in it
      // goes with it.
      batch.fail(error);
      this.#ended();
      throw error;
    }
    if (this.#queued[0] === 'IMMEDIATE' && batch.size < MAX_WRITES_PER_COMMIT && !this.#closed) {
      this.#batch = batch;
    } else {
      try {
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        batch.fail(err);
      }
      // Asked right after COMMIT, so the fsync it waits for began after it.
      if (!batch.failed) batch.commit(this.durable());
      this.#ended();
    }
    release();
    if (failed) throw error;
    await batch.done;
    return result as T;
  }

  #begin(mode: 'IMMEDIATE' | 'DEFERRED'): void {
    this.#idle = new Promise<void>((resolve) => {
      this.#ended = resolve;
    });
    try {
      this.db.exec(`BEGIN ${mode}`);
    } catch (err) {
      this.#ended();
      throw err;
    }
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
