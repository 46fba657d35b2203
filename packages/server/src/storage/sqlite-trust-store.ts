import type { SqliteConnection } from './sqlite-connection';
import { toTrustRecord, trustColumns } from './sqlite-rows';
import type { TrustRow } from './sqlite-rows';
import type { TrustStore } from './types';

/** {@link TrustStore} on better-sqlite3 (tables `oidc_trusts`, `oidc_used_jti`). */
export function createSqliteTrustStore(conn: SqliteConnection): TrustStore {
  const { db } = conn;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO oidc_trusts (id, org_id, name, issuer, jwks_url, jwks_json, audience, claims, scopes, grants,
                                        ttl_ms, allow_reexchange, created_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byOrg = db.prepare<[string], TrustRow>('SELECT * FROM oidc_trusts WHERE org_id = ? ORDER BY name');
  const remove = db.prepare('DELETE FROM oidc_trusts WHERE org_id = ? AND name = ?');
  const prune = db.prepare('DELETE FROM oidc_used_jti WHERE expires_at_ms < ?');
  const remember = db.prepare(
    'INSERT OR IGNORE INTO oidc_used_jti (issuer, jti, expires_at_ms) VALUES (?, ?, ?)',
  );
  const useJti = db.transaction(
    (issuer: string, jti: string, expiresAtMs: number, nowMs: number): boolean => {
      prune.run(nowMs);
      return remember.run(issuer, jti, expiresAtMs).changes > 0;
    },
  );
  return {
    create: (t) => conn.writeOutside(() => insert.run(...trustColumns(t)).changes > 0),
    async listByOrg(orgId) {
      if (conn.busy) await conn.outside();
      return byOrg.all(orgId).map(toTrustRecord);
    },
    delete: (orgId, name) => conn.writeOutside(() => remove.run(orgId, name).changes > 0),
    useJti: (issuer, jti, expiresAtMs, nowMs) =>
      conn.writeOutside(() => useJti.immediate(issuer, jti, expiresAtMs, nowMs)),
  };
}
