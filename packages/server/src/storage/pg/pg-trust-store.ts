import type { TrustRecord, TrustStore } from '../types';
import type { PgDatabase } from './pg-database';

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

/**
 * {@link TrustStore} on PostgreSQL (tables `oidc_trusts`, `oidc_used_jti`, the same columns as
 * SQLite's so stores copy between engines). A jti is remembered with INSERT … ON CONFLICT DO
 * NOTHING: the primary key makes "first exchange wins" hold across replicas.
 */
export function createPgTrustStore(db: PgDatabase): TrustStore {
  return {
    async create(t) {
      const rows = await db.rows<{ id: string }>(
        'trust_insert',
        `INSERT INTO oidc_trusts (id, org_id, name, issuer, jwks_url, jwks_json, audience, claims, scopes, grants,
                                  ttl_ms, allow_reexchange, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          t.id,
          t.orgId,
          t.name,
          t.issuer,
          t.jwksUrl ?? null,
          t.jwksJson ?? null,
          t.audience,
          JSON.stringify(t.claims),
          t.scopes.join(','),
          t.grants === undefined ? null : t.grants.join(','),
          t.ttlMs,
          t.allowReexchange ? 1 : 0,
          t.createdAtMs,
        ],
      );
      return rows.length > 0;
    },
    async listByOrg(orgId) {
      const rows = await db.rows<TrustRow>('trust_by_org', 'SELECT * FROM oidc_trusts WHERE org_id = $1 ORDER BY name', [orgId]);
      return rows.map(toRecord);
    },
    async delete(orgId, name) {
      const rows = await db.rows<{ id: string }>(
        'trust_delete',
        'DELETE FROM oidc_trusts WHERE org_id = $1 AND name = $2 RETURNING id',
        [orgId, name],
      );
      return rows.length > 0;
    },
    useJti: (issuer, jti, expiresAtMs, nowMs) =>
      db.transaction(async (q) => {
        await q.rows('jti_prune', 'DELETE FROM oidc_used_jti WHERE expires_at_ms < $1', [nowMs]);
        const rows = await q.rows<{ jti: string }>(
          'jti_remember',
          `INSERT INTO oidc_used_jti (issuer, jti, expires_at_ms) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING jti`,
          [issuer, jti, expiresAtMs],
        );
        return rows.length > 0;
      }),
  };
}
