import type { SqliteConnection } from './sqlite-connection';
import type { TrustRecord, TrustStore } from './types';

interface TrustRow {
  id: string;
  org_id: string;
  name: string;
  issuer: string;
  jwks_url: string | null;
  jwks_json: string | null;
  audience: string;
  claims: string;
  scopes: string;
  grants: string | null;
  ttl_ms: number;
  allow_reexchange: number;
  created_at_ms: number;
}

function claimsOf(text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  const out: Record<string, string> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

const toRecord = (row: TrustRow): TrustRecord => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  issuer: row.issuer,
  jwksUrl: row.jwks_url ?? undefined,
  jwksJson: row.jwks_json ?? undefined,
  audience: row.audience,
  claims: claimsOf(row.claims),
  scopes: row.scopes === '' ? [] : row.scopes.split(','),
  grants: row.grants === null ? undefined : row.grants.split(','),
  ttlMs: row.ttl_ms,
  allowReexchange: row.allow_reexchange === 1,
  createdAtMs: row.created_at_ms,
});

/** {@link TrustStore} on better-sqlite3 (tables `oidc_trusts`, `oidc_used_jti`). */
export function createSqliteTrustStore(conn: SqliteConnection): TrustStore {
  const { db } = conn;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO oidc_trusts (id, org_id, name, issuer, jwks_url, jwks_json, audience, claims, scopes, grants,
                                        ttl_ms, allow_reexchange, created_at_ms)
     VALUES (@id, @orgId, @name, @issuer, @jwksUrl, @jwksJson, @audience, @claims, @scopes, @grants,
             @ttlMs, @allowReexchange, @createdAtMs)`,
  );
  const byOrg = db.prepare<[string], TrustRow>('SELECT * FROM oidc_trusts WHERE org_id = ? ORDER BY name');
  const remove = db.prepare('DELETE FROM oidc_trusts WHERE org_id = ? AND name = ?');
  const prune = db.prepare('DELETE FROM oidc_used_jti WHERE expires_at_ms < ?');
  const remember = db.prepare('INSERT OR IGNORE INTO oidc_used_jti (issuer, jti, expires_at_ms) VALUES (?, ?, ?)');
  const useJti = db.transaction((issuer: string, jti: string, expiresAtMs: number, nowMs: number): boolean => {
    prune.run(nowMs);
    return remember.run(issuer, jti, expiresAtMs).changes > 0;
  });
  return {
    async create(t) {
      if (conn.busy) await conn.outside();
      const result = insert.run({
        id: t.id,
        orgId: t.orgId,
        name: t.name,
        issuer: t.issuer,
        jwksUrl: t.jwksUrl ?? null,
        jwksJson: t.jwksJson ?? null,
        audience: t.audience,
        claims: JSON.stringify(t.claims),
        scopes: t.scopes.join(','),
        grants: t.grants === undefined ? null : t.grants.join(','),
        ttlMs: t.ttlMs,
        allowReexchange: t.allowReexchange ? 1 : 0,
        createdAtMs: t.createdAtMs,
      });
      return result.changes > 0;
    },
    async listByOrg(orgId) {
      if (conn.busy) await conn.outside();
      return byOrg.all(orgId).map(toRecord);
    },
    async delete(orgId, name) {
      if (conn.busy) await conn.outside();
      return remove.run(orgId, name).changes > 0;
    },
    async useJti(issuer, jti, expiresAtMs, nowMs) {
      if (conn.busy) await conn.outside();
      return useJti.immediate(issuer, jti, expiresAtMs, nowMs);
    },
  };
}
