import type { Statement } from 'better-sqlite3';
import type { SqliteConnection } from './sqlite-connection';
import type { TokenRecord, TokenStore } from './types';

interface TokenRow {
  id: string;
  org_id: string;
  name: string;
  hash: Buffer;
  scopes: string;
  created_at_ms: number;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
}

const toRecord = (row: TokenRow): TokenRecord => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  hash: row.hash,
  scopes: row.scopes === '' ? [] : row.scopes.split(','),
  createdAtMs: row.created_at_ms,
  expiresAtMs: row.expires_at_ms ?? undefined,
  revokedAtMs: row.revoked_at_ms ?? undefined,
});

/** {@link TokenStore} on better-sqlite3. */
export function createSqliteTokenStore(conn: SqliteConnection): TokenStore {
  const { db } = conn;
  const insert = db.prepare(
    `INSERT INTO tokens (id, org_id, name, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms)
     VALUES (@id, @orgId, @name, @hash, @scopes, @createdAtMs, @expiresAtMs, NULL)`,
  );
  const get = db.prepare('SELECT * FROM tokens WHERE id = ?') as Statement<[string], TokenRow>;
  const byOrg = db.prepare('SELECT * FROM tokens WHERE org_id = ? ORDER BY created_at_ms, id') as Statement<
    [string],
    TokenRow
  >;
  const revoke = db.prepare('UPDATE tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL');
  // PRAGMA data_version moves when another connection commits (a `token revoke` from the CLI);
  // this connection's own token writes move `stamp` directly.
  const dataVersion = db.prepare('PRAGMA data_version').pluck() as Statement<[], number>;
  let seenDataVersion = -1;
  let stamp = 0;
  return {
    async create(token) {
      if (conn.busy) await conn.outside();
      stamp++;
      insert.run({
        ...token,
        hash: Buffer.from(token.hash),
        scopes: token.scopes.join(','),
        expiresAtMs: token.expiresAtMs ?? null,
      });
    },
    async get(id) {
      if (conn.busy) await conn.outside();
      const row = get.get(id);
      return row === undefined ? undefined : toRecord(row);
    },
    async listByOrg(orgId) {
      if (conn.busy) await conn.outside();
      return byOrg.all(orgId).map(toRecord);
    },
    async revoke(id, atMs) {
      if (conn.busy) await conn.outside();
      stamp++;
      return revoke.run(atMs, id).changes > 0;
    },
    changeStamp() {
      const version = dataVersion.get();
      if (version !== seenDataVersion) {
        seenDataVersion = version ?? -1;
        stamp++;
      }
      return stamp;
    },
  };
}
