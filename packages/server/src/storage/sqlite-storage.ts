import { realpathSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { createSqliteAuditStore } from './sqlite-audit-store';
import { SqliteConnection } from './sqlite-connection';
import { createSqliteKeyStore } from './sqlite-key-store';
import { createSqliteMetaStore, createSqliteOrgStore } from './sqlite-org-store';
import { createSqliteSessionStore } from './sqlite-session-store';
import { createSqliteSlotStore } from './sqlite-slot-store';
import { createSqliteTokenStore } from './sqlite-token-store';
import { createSqliteTrustStore } from './sqlite-trust-store';
import type { Storage } from './types';
import { WalSync } from './wal-sync';
import type { FsyncFn } from './wal-sync';

/** Options of {@link createSqliteStorage}. */
export interface SqliteStorageOptions {
  /** How long a statement outside a transaction waits for the open one. */
  maxWaitMs?: number;
  /** The fsync the WAL sync uses (tests hold or fail it); `fs.fsync` by default. */
  fsync?: FsyncFn;
}

/**
 * Switches a writable file database to `synchronous = NORMAL` (a commit is a
 * write() to the WAL, no fsync on the event loop) and returns the
 * {@link WalSync} that every acknowledged write then awaits instead: the same
 * durability as FULL (docs/performance.md#the-wal-fsync-off-the-event-loop-issue-14).
 * The two go together here so one can't be had without the other.
 */
function walSyncOf(db: Database, fsync: FsyncFn | undefined): WalSync | undefined {
  if (db.memory || db.readonly) return undefined;
  if (typeof __DODIL_BENCH_NO_FSYNC__ === 'boolean' && __DODIL_BENCH_NO_FSYNC__) return undefined;
  if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
  // SQLite names the WAL after the database's real path (symlinks resolved).
  const sync = new WalSync(`${realpathSync(db.name)}-wal`, fsync);
  db.pragma('synchronous = NORMAL');
  return sync;
}

/**
 * The SQLite engine of the storage contract, on one better-sqlite3
 * connection (see {@link SqliteConnection} for how async transactions map
 * onto it). Cross-process writers (the admin CLI) are serialised by SQLite's
 * write lock: every write transaction is `BEGIN IMMEDIATE`.
 */
export function createSqliteStorage(db: Database, options: SqliteStorageOptions = {}): Storage {
  const wal = walSyncOf(db, options.fsync);
  const conn = new SqliteConnection(db, options.maxWaitMs, wal);
  const ping = db.prepare('SELECT 1');
  const tokens = createSqliteTokenStore(conn);
  return {
    engine: 'sqlite',
    slots: createSqliteSlotStore(conn),
    orgs: createSqliteOrgStore(conn),
    tokens,
    trusts: createSqliteTrustStore(conn),
    meta: createSqliteMetaStore(conn),
    keys: createSqliteKeyStore(conn),
    audit: createSqliteAuditStore(conn),
    sessions: createSqliteSessionStore(conn),
    write: (fn) => conn.transaction('IMMEDIATE', fn),
    read: (fn) => conn.transaction('DEFERRED', fn),
    async ping() {
      if (conn.busy) await conn.outside();
      // After a failed WAL fsync nothing more can be acknowledged: not ready.
      if (wal?.failure !== undefined) throw wal.failure;
      ping.get();
    },
    async close() {
      // Token last-use writes are batched after the turn; the ones still pending go in first.
      await tokens.flushUses?.().catch(() => undefined);
      await conn.close();
    },
  };
}
