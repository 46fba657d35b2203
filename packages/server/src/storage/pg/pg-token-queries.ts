import { toTokenRecord } from '../sqlite-rows';
import type { TokenRow } from '../sqlite-rows';
import type { TokenRecord } from '../types';
import type { PgQueryable } from './pg-database';

/** Inserts a token (as given: migrate-store and restore copy revoked ones too). */
export async function insertToken(q: PgQueryable, t: TokenRecord): Promise<void> {
  await q.rows(
    'token_insert',
    `INSERT INTO tokens (id, org_id, name, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms,
                         grants, parent_id, trust_id, last_used_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      t.id,
      t.orgId,
      t.name,
      Buffer.from(t.hash),
      t.scopes.join(','),
      t.createdAtMs,
      t.expiresAtMs ?? null,
      t.revokedAtMs ?? null,
      t.grants === undefined ? null : t.grants.join(','),
      t.parentId ?? null,
      t.trustId ?? null,
      t.lastUsedAtMs ?? null,
    ],
  );
}

/** A token by id. */
export async function getToken(q: PgQueryable, id: string): Promise<TokenRecord | undefined> {
  const rows = await q.rows<TokenRow>('token_get', 'SELECT * FROM tokens WHERE id = $1', [id]);
  return rows[0] === undefined ? undefined : toTokenRecord(rows[0]);
}

/** Tokens of an org, oldest first. */
export async function tokensOfOrg(q: PgQueryable, orgId: string): Promise<TokenRecord[]> {
  const rows = await q.rows<TokenRow>(
    'token_by_org',
    'SELECT * FROM tokens WHERE org_id = $1 ORDER BY created_at_ms, id',
    [orgId],
  );
  return rows.map(toTokenRecord);
}

/** Every token (migrate-store, backup). */
export async function allTokens(q: PgQueryable): Promise<TokenRecord[]> {
  return (await q.rows<TokenRow>('token_all', 'SELECT * FROM tokens ORDER BY created_at_ms, id')).map(
    toTokenRecord,
  );
}

/** True when a live token was revoked now. */
export async function revokeToken(q: PgQueryable, id: string, atMs: number): Promise<boolean> {
  const rows = await q.rows<{ id: string }>(
    'token_revoke',
    'UPDATE tokens SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL RETURNING id',
    [atMs, id],
  );
  return rows.length > 0;
}

/** Revokes `id` and every token minted under it (the minting tree), in the caller's transaction; their ids. */
export async function revokeTokenTree(q: PgQueryable, id: string, atMs: number): Promise<string[]> {
  const rows = await q.rows<{ id: string }>(
    'token_revoke_tree',
    `WITH RECURSIVE tree(id) AS (
       SELECT id FROM tokens WHERE id = $2
       UNION SELECT t.id FROM tokens t JOIN tree ON t.parent_id = tree.id
     )
     UPDATE tokens SET revoked_at_ms = $1
     WHERE id IN (SELECT id FROM tree) AND revoked_at_ms IS NULL
     RETURNING id`,
    [atMs, id],
  );
  return rows.map((r) => r.id);
}

/** Records a successful use of a token. */
export async function touchToken(q: PgQueryable, id: string, atMs: number): Promise<void> {
  await q.rows('token_touch', 'UPDATE tokens SET last_used_at_ms = $1 WHERE id = $2', [atMs, id]);
}

/** Deletes tokens minted by an OIDC exchange that expired before `beforeMs`; how many went. */
export async function pruneExchangedTokens(q: PgQueryable, beforeMs: number): Promise<number> {
  const rows = await q.rows<{ id: string }>(
    'token_prune_exchanged',
    'DELETE FROM tokens WHERE trust_id IS NOT NULL AND expires_at_ms < $1 RETURNING id',
    [beforeMs],
  );
  return rows.length;
}
