import { toTrustRecord, trustColumns } from '../sqlite-rows';
import type { TrustRow } from '../sqlite-rows';
import type { TrustStore } from '../types';
import type { PgDatabase } from './pg-database';

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
        trustColumns(t),
      );
      return rows.length > 0;
    },
    async listByOrg(orgId) {
      const rows = await db.rows<TrustRow>(
        'trust_by_org',
        'SELECT * FROM oidc_trusts WHERE org_id = $1 ORDER BY name',
        [orgId],
      );
      return rows.map(toTrustRecord);
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
