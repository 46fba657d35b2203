// Row types and row → record mappers shared by both engines: SQLite and PostgreSQL use the same
// table and column names (which is also what lets stores copy between them).
import type { SecretType } from '@dodil/shared';
import type { AuditRecord } from './audit-store';
import type { OrgKeyRecord, OrgRecord, SlotRecord, TokenRecord, TrustRecord } from './types';

/** A row of `orgs`. */
export interface OrgRow {
  id: string;
  name: string;
  current_key_version: number;
  created_at_ms: number;
}

/** A row of `org_keys`. */
export interface KeyRow {
  org_id: string;
  version: number;
  wrapped: Buffer;
  encryptions: number;
  created_at_ms: number;
}

/** A row of `slots`. */
export interface SlotRow {
  org_id: string;
  name: string;
  type: SecretType;
  registry_host: string | null;
  key_version: number;
  ciphertext: Buffer;
  created_at_ms: number;
  updated_at_ms: number;
}

/** An org row as a record. */
export const toOrgRecord = (row: OrgRow): OrgRecord => ({
  id: row.id,
  name: row.name,
  currentKeyVersion: row.current_key_version,
  createdAtMs: row.created_at_ms,
});

/** A key row as a record. */
export const toKeyRecord = (row: KeyRow): OrgKeyRecord => ({
  orgId: row.org_id,
  version: row.version,
  wrapped: row.wrapped,
  encryptions: row.encryptions,
  createdAtMs: row.created_at_ms,
});

/** A slot row as a record. */
export const toSlotRecord = (row: SlotRow): SlotRecord => ({
  orgId: row.org_id,
  name: row.name,
  type: row.type,
  registryHost: row.registry_host ?? undefined,
  keyVersion: row.key_version,
  ciphertext: row.ciphertext,
  createdAtMs: row.created_at_ms,
  updatedAtMs: row.updated_at_ms,
});

/** A row of `oidc_trusts` (both engines use these column names). */
export interface TrustRow {
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

/** The claim globs of a trust row: a JSON object of strings (anything else is dropped). */
function claimsOf(text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  const out: Record<string, string> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** A trust row as a record. */
export const toTrustRecord = (row: TrustRow): TrustRecord => ({
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

/** A trust record as the column values both engines insert, in `oidc_trusts` column order. */
export const trustColumns = (t: TrustRecord): unknown[] => [
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
];

/** A row of `tokens` (both engines). */
export interface TokenRow {
  id: string;
  org_id: string;
  name: string;
  hash: Buffer;
  scopes: string;
  created_at_ms: number;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
  grants: string | null;
  parent_id: string | null;
  trust_id: string | null;
  last_used_at_ms: number | null;
}

/** A token row as a record. */
export const toTokenRecord = (row: TokenRow): TokenRecord => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  hash: row.hash,
  scopes: row.scopes === '' ? [] : row.scopes.split(','),
  createdAtMs: row.created_at_ms,
  expiresAtMs: row.expires_at_ms ?? undefined,
  revokedAtMs: row.revoked_at_ms ?? undefined,
  // Grant patterns never contain a comma (services/grants.ts), so a joined list round-trips.
  grants: row.grants === null ? undefined : row.grants.split(','),
  parentId: row.parent_id ?? undefined,
  trustId: row.trust_id ?? undefined,
  lastUsedAtMs: row.last_used_at_ms ?? undefined,
});

/** A row of `audit_log` (both engines). */
export interface AuditRow {
  seq: number;
  time_ms: number;
  request_id: string;
  token_id: string | null;
  org_id: string | null;
  org: string | null;
  action: string;
  slot: string | null;
  code: string;
  client_address: string;
  detail: string | null;
  mac: Buffer;
}

/** An audit row as a record. */
export const toAuditRecord = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  timeMs: r.time_ms,
  requestId: r.request_id,
  tokenId: r.token_id ?? undefined,
  orgId: r.org_id ?? undefined,
  org: r.org ?? undefined,
  action: r.action,
  slot: r.slot ?? undefined,
  code: r.code,
  clientAddress: r.client_address,
  detail: r.detail ?? undefined,
  mac: r.mac,
});
