import type { Statement } from 'better-sqlite3';
import type { SqliteConnection } from './sqlite-connection';
import { toTokenRecord } from './sqlite-rows';
import type { TokenRow } from './sqlite-rows';
import type { TokenStore } from './types';

/** {@link TokenStore} on better-sqlite3. */
export function createSqliteTokenStore(conn: SqliteConnection): TokenStore {
  const { db } = conn;
  const insert = db.prepare(
    `INSERT INTO tokens (id, org_id, name, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms,
                         grants, parent_id, trust_id, last_used_at_ms)
     VALUES (@id, @orgId, @name, @hash, @scopes, @createdAtMs, @expiresAtMs, NULL,
             @grants, @parentId, @trustId, NULL)`,
  );
  const get = db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?');
  const byOrg = db.prepare<[string], TokenRow>(
    'SELECT * FROM tokens WHERE org_id = ? ORDER BY created_at_ms, id',
  );
  const revoke = db.prepare('UPDATE tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL');
  // The subtree by parent id, at any depth (a parent is always created before its children, so
  // there is no cycle); already-revoked members are walked through but not rewritten.
  const subtree = db
    .prepare(
      `WITH RECURSIVE sub(id) AS (SELECT id FROM tokens WHERE id = ?
                                 UNION SELECT t.id FROM tokens t JOIN sub ON t.parent_id = sub.id)
       SELECT tokens.id FROM tokens JOIN sub ON tokens.id = sub.id WHERE tokens.revoked_at_ms IS NULL`,
    )
    .pluck() as Statement<[string], string>;
  const revokeTree = db.transaction((id: string, atMs: number): string[] => {
    const ids = subtree.all(id);
    for (const each of ids) revoke.run(atMs, each);
    return ids;
  });
  const touch = db.prepare('UPDATE tokens SET last_used_at_ms = ? WHERE id = ?');
  // Last-use writes are batched: every touch of one event-loop turn goes into one transaction
  // (one fsync) written right after the turn (setImmediate). A burst of tokens (each token's
  // first use in a minute) costs one commit instead of one each, and the turn's other requests
  // are answered before it; `touch` resolves once its use is stored.
  const pendingUses = new Map<string, number>();
  let flushing: Promise<void> | undefined;
  const writeUses = db.transaction((uses: Array<[string, number]>) => {
    for (const [id, atMs] of uses) touch.run(atMs, id);
  });
  const writePending = (): void => {
    if (pendingUses.size === 0) return;
    const uses = [...pendingUses];
    pendingUses.clear();
    writeUses.immediate(uses);
  };
  // Best effort, so not awaited durable: the uses reach the disk with the next fsync.
  const writeNow = async (): Promise<void> => {
    if (conn.busy) await conn.outside();
    writePending();
  };
  const flushUses = async (): Promise<void> => {
    await new Promise(setImmediate);
    flushing = undefined;
    await writeNow();
  };
  const prune = db.prepare('DELETE FROM tokens WHERE trust_id IS NOT NULL AND expires_at_ms < ?');
  // PRAGMA data_version moves when another connection commits (a `token revoke` from the CLI);
  // this connection's own token writes move `stamp` directly.
  const dataVersion = db.prepare('PRAGMA data_version').pluck() as Statement<[], number>;
  let seenDataVersion = -1;
  let stamp = 0;
  // data_version is read at most once per event-loop turn: under load one poll phase answers many
  // requests, and a commit by another process can't be ordered before requests that arrived in the
  // same turn anyway. The next turn (any later request, even a pipelined one) reads it again, so a
  // revoke from the CLI still takes effect on the very next request that arrives after it.
  let checkedThisTurn = false;
  const endTurn = (): void => {
    checkedThisTurn = false;
  };
  return {
    async create(token) {
      await conn.writeOutside(() => {
        stamp++;
        insert.run({
          id: token.id,
          orgId: token.orgId,
          name: token.name,
          hash: Buffer.from(token.hash),
          scopes: token.scopes.join(','),
          createdAtMs: token.createdAtMs,
          expiresAtMs: token.expiresAtMs ?? null,
          grants: token.grants === undefined ? null : token.grants.join(','),
          parentId: token.parentId ?? null,
          trustId: token.trustId ?? null,
        });
      });
    },
    async get(id) {
      if (conn.busy) await conn.outside();
      const row = get.get(id);
      return row === undefined ? undefined : toTokenRecord(row);
    },
    async listByOrg(orgId) {
      if (conn.busy) await conn.outside();
      // The listing shows last use: uses noted in this turn go in first.
      writePending();
      return byOrg.all(orgId).map(toTokenRecord);
    },
    revoke: (id, atMs) =>
      conn.writeOutside(() => {
        stamp++;
        return revoke.run(atMs, id).changes > 0;
      }),
    revokeTree: (id, atMs) =>
      conn.writeOutside(() => {
        stamp++;
        return revokeTree.immediate(id, atMs);
      }),
    touch(id, atMs) {
      // Not a change that matters to a cached verification: the stamp stays.
      const noted = pendingUses.get(id);
      if (noted === undefined || atMs > noted) pendingUses.set(id, atMs);
      flushing ??= flushUses();
      return flushing;
    },
    flushUses: writeNow,
    pruneExchanged: (beforeMs) =>
      conn.writeOutside(() => {
        const n = prune.run(beforeMs).changes;
        if (n > 0) stamp++;
        return n;
      }),
    changeStamp() {
      if (checkedThisTurn) return stamp;
      checkedThisTurn = true;
      setImmediate(endTurn);
      const version = dataVersion.get();
      if (version !== seenDataVersion) {
        seenDataVersion = version ?? -1;
        stamp++;
      }
      return stamp;
    },
  };
}
