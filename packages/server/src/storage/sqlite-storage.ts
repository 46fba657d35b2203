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

/**
 * The SQLite engine of the storage contract, on one better-sqlite3
 * connection (see {@link SqliteConnection} for how async transactions map
 * onto it). Cross-process writers (the admin CLI) are serialised by SQLite's
 * write lock: every write transaction is `BEGIN IMMEDIATE`.
 */
export function createSqliteStorage(db: Database, options: { maxWaitMs?: number } = {}): Storage {
  const conn = new SqliteConnection(db, options.maxWaitMs);
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
      ping.get();
    },
    async close() {
      // Token last-use writes are batched after the turn; the ones still pending go in first.
      await tokens.flushUses?.().catch(() => undefined);
      await conn.close();
    },
  };
}
