import type { SecretType } from '@dodil/shared';
import type { OrgKeyRecord, OrgRecord, SlotRecord } from './types';

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
