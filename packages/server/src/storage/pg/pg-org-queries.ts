import { toKeyRecord, toOrgRecord, toSlotRecord } from '../sqlite-rows';
import type { KeyRow, OrgRow, SlotRow } from '../sqlite-rows';
import type { OrgKeyRecord, OrgRecord, SlotRecord } from '../types';
import type { PgQueryable } from './pg-database';

// Orgs, data keys and meta on PostgreSQL, as functions of a query runner (see pg-slot-queries.ts).

/** Inserts an org and its first key (the caller runs both in one transaction). */
export async function insertOrg(q: PgQueryable, org: OrgRecord, firstKey: OrgKeyRecord): Promise<void> {
  await q.rows(
    'org_insert',
    'INSERT INTO orgs (id, name, current_key_version, created_at_ms) VALUES ($1, $2, $3, $4)',
    [org.id, org.name, org.currentKeyVersion, org.createdAtMs],
  );
  await insertKey(q, firstKey);
}

/** Inserts one wrapped data key. */
export async function insertKey(q: PgQueryable, key: OrgKeyRecord): Promise<void> {
  await q.rows(
    'key_insert',
    'INSERT INTO org_keys (org_id, version, wrapped, encryptions, created_at_ms) VALUES ($1, $2, $3, $4, $5)',
    [key.orgId, key.version, Buffer.from(key.wrapped), key.encryptions, key.createdAtMs],
  );
}

/** An org by name. */
export async function orgByName(q: PgQueryable, name: string): Promise<OrgRecord | undefined> {
  const rows = await q.rows<OrgRow>('org_by_name', 'SELECT * FROM orgs WHERE name = $1', [name]);
  return rows[0] === undefined ? undefined : toOrgRecord(rows[0]);
}

/** An org by id. */
export async function orgById(q: PgQueryable, id: string): Promise<OrgRecord | undefined> {
  const rows = await q.rows<OrgRow>('org_by_id', 'SELECT * FROM orgs WHERE id = $1', [id]);
  return rows[0] === undefined ? undefined : toOrgRecord(rows[0]);
}

/** Every org, by name. */
export async function listOrgs(q: PgQueryable): Promise<OrgRecord[]> {
  return (await q.rows<OrgRow>('org_list', 'SELECT * FROM orgs ORDER BY name')).map(toOrgRecord);
}

/** One data key. */
export async function getKey(
  q: PgQueryable,
  orgId: string,
  version: number,
): Promise<OrgKeyRecord | undefined> {
  const rows = await q.rows<KeyRow>('key_get', 'SELECT * FROM org_keys WHERE org_id = $1 AND version = $2', [
    orgId,
    version,
  ]);
  return rows[0] === undefined ? undefined : toKeyRecord(rows[0]);
}

/** Every key, by org and version (master re-wrap, migrate-store, backup). */
export async function allKeys(q: PgQueryable): Promise<OrgKeyRecord[]> {
  return (await q.rows<KeyRow>('key_all', 'SELECT * FROM org_keys ORDER BY org_id, version')).map(
    toKeyRecord,
  );
}

/** Key versions of an org, ascending. */
export async function keyVersions(q: PgQueryable, orgId: string): Promise<number[]> {
  const rows = await q.rows<{ version: number }>(
    'key_versions',
    'SELECT version FROM org_keys WHERE org_id = $1 ORDER BY version',
    [orgId],
  );
  return rows.map((r) => r.version);
}

/** Points an org at a new current key version. */
export async function setCurrentVersion(q: PgQueryable, orgId: string, version: number): Promise<void> {
  await q.rows('org_set_current', 'UPDATE orgs SET current_key_version = $1 WHERE id = $2', [version, orgId]);
}

/** Adds `n` seals to a key's budget count. */
export async function countEncryptions(
  q: PgQueryable,
  orgId: string,
  version: number,
  n: number,
): Promise<void> {
  await q.rows(
    'key_count',
    'UPDATE org_keys SET encryptions = encryptions + $1 WHERE org_id = $2 AND version = $3',
    [n, orgId, version],
  );
}

/** Replaces a key's wrapping (master key rotation). */
export async function updateWrapped(
  q: PgQueryable,
  orgId: string,
  version: number,
  wrapped: Uint8Array,
): Promise<void> {
  await q.rows('key_rewrap', 'UPDATE org_keys SET wrapped = $1 WHERE org_id = $2 AND version = $3', [
    Buffer.from(wrapped),
    orgId,
    version,
  ]);
}

/** Slots of an org sealed under a version older than `version`, by name after `afterName`. */
export async function slotsBelow(
  q: PgQueryable,
  orgId: string,
  version: number,
  afterName: string,
  limit: number,
): Promise<SlotRecord[]> {
  const rows = await q.rows<SlotRow>(
    'slot_below',
    'SELECT * FROM slots WHERE org_id = $1 AND key_version < $2 AND name > $3 ORDER BY name LIMIT $4',
    [orgId, version, afterName, limit],
  );
  return rows.map(toSlotRecord);
}

/** How many slots of an org are sealed under an older version. */
export async function countSlotsBelow(q: PgQueryable, orgId: string, version: number): Promise<number> {
  const rows = await q.rows<{ n: number }>(
    'slot_count_below',
    'SELECT count(*)::int AS n FROM slots WHERE org_id = $1 AND key_version < $2',
    [orgId, version],
  );
  return rows[0]?.n ?? 0;
}

/** Replaces a slot's ciphertext and key version (a re-seal is not an update: timestamps stay). */
export async function resealSlot(
  q: PgQueryable,
  orgId: string,
  name: string,
  version: number,
  ciphertext: Uint8Array,
): Promise<void> {
  await q.rows(
    'slot_reseal',
    'UPDATE slots SET key_version = $1, ciphertext = $2 WHERE org_id = $3 AND name = $4',
    [version, Buffer.from(ciphertext), orgId, name],
  );
}

/** Deletes key versions other than `keep` that no slot uses; returns the versions dropped. */
export async function dropUnusedKeys(q: PgQueryable, orgId: string, keep: number): Promise<number[]> {
  const rows = await q.rows<{ version: number }>(
    'key_drop_unused',
    `DELETE FROM org_keys WHERE org_id = $1 AND version != $2
       AND NOT EXISTS (SELECT 1 FROM slots s WHERE s.org_id = org_keys.org_id AND s.key_version = org_keys.version)
     RETURNING version`,
    [orgId, keep],
  );
  return rows.map((r) => r.version);
}

/** A meta value. */
export async function getMeta(q: PgQueryable, key: string): Promise<Uint8Array | undefined> {
  const rows = await q.rows<{ value: Buffer }>('meta_get', 'SELECT value FROM meta WHERE key = $1', [key]);
  return rows[0]?.value;
}

/** Sets a meta value. */
export async function putMeta(q: PgQueryable, key: string, value: Uint8Array): Promise<void> {
  await q.rows(
    'meta_put',
    'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, Buffer.from(value)],
  );
}

/** Stores `value` unless the key exists; returns what is stored afterwards (first writer wins, across replicas). */
export async function putMetaIfAbsent(q: PgQueryable, key: string, value: Uint8Array): Promise<Uint8Array> {
  await q.rows(
    'meta_put_absent',
    'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    [key, Buffer.from(value)],
  );
  const stored = await getMeta(q, key);
  if (stored === undefined) throw new Error(`meta key ${key} vanished`);
  return stored;
}
