import type { AuditStore } from '../audit-store';
import type { KeyStore } from '../key-store';
import type { MetaStore, OrgStore, SlotStore, TokenStore, Tx } from '../types';
import { publishChange } from './pg-changes';
import type { PgDatabase, PgQueryable } from './pg-database';
import {
  auditMacAt,
  auditPage,
  deleteAuditThrough,
  firstAuditSeqSince,
  insertAudit,
  lastAudit,
  lockAuditChain,
  newestAudit,
  queryAudit,
} from './pg-audit-queries';
import * as orgq from './pg-org-queries';
import { deleteSlot, getSlot, listRegistrySlots, listSlots, upsertSlot } from './pg-slot-queries';
import {
  getToken,
  insertToken,
  pruneExchangedTokens,
  revokeToken,
  revokeTokenTree,
  tokensOfOrg,
  touchToken,
} from './pg-token-queries';

/** Meta key of the audit chain head (the same as SQLite's, so stores copy between engines). */
export const AUDIT_HEAD_META = 'audit_head';
/** Meta key of the audit prune checkpoint (the same as SQLite's). */
export const AUDIT_CHECKPOINT_META = 'audit_checkpoint';

/** Hands out and checks the engine's opaque {@link Tx} handles. */
export interface PgTxs {
  /** Runs `fn` in a transaction of `db` with a fresh Tx, invalid once `fn` settles. */
  run<T>(mode: 'write' | 'snapshot', fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** The connection behind a Tx; throws for a Tx of another engine or one that has ended. */
  of(tx: Tx): PgQueryable;
  /** Whether `tx` is a write transaction (a snapshot takes no locks). */
  isWrite(tx: Tx): boolean;
}

/** The Tx registry of one PostgreSQL storage. */
export function createPgTxs(db: PgDatabase): PgTxs {
  const open = new WeakMap<Tx, PgQueryable>();
  const writes = new WeakSet<Tx>();
  // The contract's FIFO: this process's write transactions run one at a time, in the order asked
  // (the audit log relies on its last batch settling last). Across replicas the row locks and the
  // audit chain lock serialise; every slot write takes the chain lock anyway, so the queue costs
  // no parallelism a replica had. Snapshots never queue.
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
  return {
    run(mode, fn) {
      const start = () =>
        db.transaction(async (q) => {
          const tx: Tx = Object.freeze({ engine: 'postgres' });
          open.set(tx, q);
          if (mode === 'write') writes.add(tx);
          try {
            return await fn(tx);
          } finally {
            open.delete(tx);
          }
        }, mode);
      return mode === 'write' ? queued(start) : start();
    },
    of(tx) {
      const q = open.get(tx);
      if (q === undefined)
        throw new Error('a transaction handle was used outside its transaction or with another engine');
      return q;
    },
    isWrite: (tx) => writes.has(tx),
  };
}

/** {@link SlotStore} on PostgreSQL. */
export function createPgSlotStore(db: PgDatabase, txs: PgTxs): SlotStore {
  return {
    get: (orgId, name) => getSlot(db, orgId, name),
    upsert: (record, effect) =>
      txs.run('write', async (tx) => {
        const result = await upsertSlot(txs.of(tx), record);
        if (!result.ok) return result;
        const receipt = await effect(tx);
        return { ...result, receipt };
      }),
    delete: (orgId, name, effect) =>
      txs.run('write', async (tx) => {
        const deleted = await deleteSlot(txs.of(tx), orgId, name);
        return { deleted, receipt: await effect(tx) };
      }),
    list: (orgId, afterName, limit) => listSlots(db, orgId, afterName, limit),
    listRegistry: (orgId, host) => listRegistrySlots(db, orgId, host),
  };
}

/** {@link OrgStore} on PostgreSQL. */
export function createPgOrgStore(db: PgDatabase): OrgStore {
  return {
    create: (org, firstKey) => db.transaction((q) => orgq.insertOrg(q, org, firstKey)),
    getByName: (name) => orgq.orgByName(db, name),
    getById: (id) => orgq.orgById(db, id),
    list: () => orgq.listOrgs(db),
    getKey: (orgId, version) => orgq.getKey(db, orgId, version),
  };
}

/**
 * {@link TokenStore} on PostgreSQL. Token writes publish a change in their own transaction, so
 * every replica's stamp moves (LISTEN/NOTIFY, the counter poll, a reconnect: see pg-changes.ts);
 * `bump` is how the watcher moves this replica's stamp.
 */
export function createPgTokenStore(db: PgDatabase): TokenStore & { bump(): void } {
  let stamp = 0;
  return {
    async create(token) {
      await db.transaction(async (q) => {
        await insertToken(q, token);
        await publishChange(q, 'token');
      });
      stamp++;
    },
    get: (id) => getToken(db, id),
    listByOrg: (orgId) => tokensOfOrg(db, orgId),
    async revoke(id, atMs) {
      const revoked = await db.transaction(async (q) => {
        const done = await revokeToken(q, id, atMs);
        if (done) await publishChange(q, 'token');
        return done;
      });
      stamp++;
      return revoked;
    },
    async revokeTree(id, atMs) {
      const ids = await db.transaction(async (q) => {
        const revoked = await revokeTokenTree(q, id, atMs);
        if (revoked.length > 0) await publishChange(q, 'token');
        return revoked;
      });
      stamp++;
      return ids;
    },
    // Not a change a cached verification cares about: no notification, the stamp stays.
    touch: (id, atMs) => touchToken(db, id, atMs),
    async pruneExchanged(beforeMs) {
      const n = await db.transaction(async (q) => {
        const pruned = await pruneExchangedTokens(q, beforeMs);
        if (pruned > 0) await publishChange(q, 'token');
        return pruned;
      });
      if (n > 0) stamp++;
      return n;
    },
    changeStamp: () => stamp,
    bump() {
      stamp++;
    },
  };
}

/** {@link MetaStore} on PostgreSQL (first writer wins across replicas: ON CONFLICT DO NOTHING). */
export function createPgMetaStore(db: PgDatabase): MetaStore {
  return {
    get: (key) => orgq.getMeta(db, key),
    putIfAbsent: (key, value) => db.transaction((q) => orgq.putMetaIfAbsent(q, key, value)),
  };
}

/**
 * {@link KeyStore} on PostgreSQL. Changes other replicas must see (a new current key version, a
 * re-wrap by master rotation) publish a change in the same transaction.
 */
export function createPgKeyStore(txs: PgTxs): KeyStore {
  const q = (tx: Tx) => txs.of(tx);
  return {
    orgById: (tx, id) => orgq.orgById(q(tx), id),
    orgByName: (tx, name) => orgq.orgByName(q(tx), name),
    listOrgs: (tx) => orgq.listOrgs(q(tx)),
    async encryptions(tx, orgId, version) {
      return (await orgq.getKey(q(tx), orgId, version))?.encryptions;
    },
    async maxVersion(tx, orgId) {
      const versions = await orgq.keyVersions(q(tx), orgId);
      return versions.at(-1) ?? 0;
    },
    versions: (tx, orgId) => orgq.keyVersions(q(tx), orgId),
    insertKey: (tx, key) => orgq.insertKey(q(tx), key),
    async setCurrentVersion(tx, orgId, version) {
      await orgq.setCurrentVersion(q(tx), orgId, version);
      await publishChange(q(tx), 'org-key');
    },
    countEncryptions: (tx, orgId, version, n) => orgq.countEncryptions(q(tx), orgId, version, n),
    allKeys: (tx) => orgq.allKeys(q(tx)),
    async updateWrapped(tx, orgId, version, wrapped) {
      await orgq.updateWrapped(q(tx), orgId, version, wrapped);
      await publishChange(q(tx), 'master-key');
    },
    slotsBelow: (tx, orgId, version, afterName, limit) =>
      orgq.slotsBelow(q(tx), orgId, version, afterName, limit),
    countSlotsBelow: (tx, orgId, version) => orgq.countSlotsBelow(q(tx), orgId, version),
    reseal: (tx, orgId, name, version, ciphertext) =>
      orgq.resealSlot(q(tx), orgId, name, version, ciphertext),
    dropUnused: (tx, orgId, keep) => orgq.dropUnusedKeys(q(tx), orgId, keep),
    getMeta: (tx, key) => orgq.getMeta(q(tx), key),
    async putMeta(tx, key, value) {
      await orgq.putMeta(q(tx), key, value);
      await publishChange(q(tx), 'master-key');
    },
    // PostgreSQL's VACUUM reclaims replaced rows on its own schedule; nothing to force here.
    compact: async () => undefined,
  };
}

/** Rows per page of {@link AuditStore.iterate}: verify streams a long chain without holding it all. */
const AUDIT_PAGE = 1000;

/**
 * {@link AuditStore} on PostgreSQL: one chain for every replica. `readHead` in a write transaction
 * first takes the chain's advisory transaction lock, so appenders on every replica take turns
 * (once per batch: the audit log group-commits), and the `last` read after it (READ COMMITTED:
 * a fresh snapshot per statement) sees every entry committed before.
 */
export function createPgAuditStore(txs: PgTxs): AuditStore {
  const q = (tx: Tx) => txs.of(tx);
  const locked = new WeakSet<Tx>();
  return {
    last: (tx) => lastAudit(q(tx)),
    macAt: (tx, seq) => auditMacAt(q(tx), seq),
    insert: (tx, entries) => insertAudit(q(tx), entries),
    async readHead(tx) {
      const conn = q(tx);
      // A snapshot (verify, list) reads without waiting; a writer takes the chain lock once.
      if (txs.isWrite(tx) && !locked.has(tx)) {
        await lockAuditChain(conn);
        locked.add(tx);
      }
      return orgq.getMeta(conn, AUDIT_HEAD_META);
    },
    writeHead: (tx, value) => orgq.putMeta(q(tx), AUDIT_HEAD_META, value),
    async *iterate(tx) {
      let after = 0;
      for (;;) {
        const page = await auditPage(q(tx), after, AUDIT_PAGE);
        yield* page;
        const last = page.at(-1);
        if (last === undefined || page.length < AUDIT_PAGE) return;
        after = last.seq;
      }
    },
    list: (tx, { org, limit }) => newestAudit(q(tx), org, limit),
    query: (tx, filter) => queryAudit(q(tx), filter),
    after: (tx, seq, limit) => auditPage(q(tx), seq, limit),
    firstSeqSince: (tx, timeMs) => firstAuditSeqSince(q(tx), timeMs),
    deleteThrough: (tx, seq) => deleteAuditThrough(q(tx), seq),
    readCheckpoint: (tx) => orgq.getMeta(q(tx), AUDIT_CHECKPOINT_META),
    writeCheckpoint: (tx, value) => orgq.putMeta(q(tx), AUDIT_CHECKPOINT_META, value),
    async archive(tx, nowMs) {
      const table = `audit_log_archive_${Math.trunc(nowMs)}`;
      await q(tx).exec(`CREATE TABLE ${table} AS SELECT * FROM audit_log`);
      await q(tx).exec('DELETE FROM audit_log');
      await q(tx).exec('DELETE FROM meta WHERE key = $1 OR key = $2', [
        AUDIT_HEAD_META,
        AUDIT_CHECKPOINT_META,
      ]);
      return table;
    },
  };
}
