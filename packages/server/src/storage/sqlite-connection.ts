import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from 'better-sqlite3';
import type { Tx } from './types';

/** The transaction the current async call chain runs in (to fail loudly instead of deadlocking). */
const currentTx = new AsyncLocalStorage<Tx>();

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

  constructor(readonly db: Database) {}

  /** True while a transaction is open (statements outside one must {@link outside} first). */
  get busy(): boolean {
    return this.#active !== undefined;
  }

  /** Resolves once no transaction is open; statements outside a transaction run right after. */
  async outside(): Promise<void> {
    // Waiting for our own transaction to end would never return: a bug in the caller, said loudly.
    if (this.#active !== undefined && currentTx.getStore() === this.#active) {
      throw new Error('a store call without its transaction was made inside one; pass the tx down');
    }
    while (this.#active !== undefined) await this.#idle;
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
    try {
      if (this.#closed) throw new Error('the store is closed');
      this.db.exec(`BEGIN ${mode}`);
      this.#active = tx;
      try {
        const result = await currentTx.run(tx, () => fn(tx));
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.#active = undefined;
      ended();
      release();
    }
  }

  /** Waits for the transactions queued so far, then closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#tail;
    await this.outside();
    this.#closed = true;
    if (this.db.open) this.db.close();
  }
}
