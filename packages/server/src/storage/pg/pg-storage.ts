import type { Storage } from '../types';
import { readChangeCounter, watchChanges } from './pg-changes';
import type { ChangeKind, ChangeWatcher } from './pg-changes';
import { openPgDatabase } from './pg-database';
import { createPgSessionStore } from './pg-session-store';
import { createPgTrustStore } from './pg-trust-store';
import type { PgDatabase, PgDatabaseOptions } from './pg-database';
import { migratePg } from './pg-schema';
import {
  createPgAuditStore,
  createPgKeyStore,
  createPgMetaStore,
  createPgOrgStore,
  createPgSlotStore,
  createPgTokenStore,
  createPgTxs,
} from './pg-stores';

/** The PostgreSQL engine: the storage contract plus what only a shared database needs. */
export interface PgStorage extends Storage {
  readonly engine: 'postgres';
  readonly db: PgDatabase;
  /**
   * Registers a cache to drop on changes made by any replica or admin command (org key
   * rotations, master re-wraps; `all` after a reconnect). Tokens need none: their
   * `changeStamp` moves by itself.
   */
  onChange(listener: (kind: ChangeKind) => void): void;
}

/** Options of {@link openPgStorage}. */
export interface PgStorageOptions extends PgDatabaseOptions {
  /** Listen for other replicas' changes (default true; one-shot admin commands may skip it). */
  watch?: boolean;
  /** Fallback poll of the change counter (default 500 ms). */
  pollMs?: number;
}

/**
 * Opens the PostgreSQL engine on `url`: a pool, the schema migrated under its advisory lock, and
 * (for servers) a LISTEN session keeping this replica's caches coherent with every other one.
 */
export async function openPgStorage(url: string, options: PgStorageOptions = {}): Promise<PgStorage> {
  const db = openPgDatabase(url, options);
  try {
    await migratePg(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const txs = createPgTxs(db);
  const tokens = createPgTokenStore(db);
  const listeners: Array<(kind: ChangeKind) => void> = [];
  let watcher: ChangeWatcher | undefined;
  if (options.watch ?? true) {
    watcher = watchChanges({
      url,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      readCounter: () => readChangeCounter(db),
      onChange(kind) {
        if (kind === 'token' || kind === 'all') tokens.bump();
        if (kind !== 'token') for (const listener of listeners) listener(kind);
      },
    });
  }
  let closed: Promise<void> | undefined;
  return {
    engine: 'postgres',
    db,
    slots: createPgSlotStore(db, txs),
    orgs: createPgOrgStore(db),
    tokens,
    trusts: createPgTrustStore(db),
    meta: createPgMetaStore(db),
    keys: createPgKeyStore(txs),
    audit: createPgAuditStore(txs),
    sessions: createPgSessionStore(db),
    write: (fn) => txs.run('write', fn),
    read: (fn) => txs.run('snapshot', fn),
    async ping() {
      if (!(await db.ping()))
        throw new Error(`the database does not answer (${db.downReason() ?? 'no answer'})`);
    },
    onChange(listener) {
      listeners.push(listener);
    },
    close() {
      closed ??= (async () => {
        await watcher?.close();
        await db.close();
      })();
      return closed;
    },
  };
}
