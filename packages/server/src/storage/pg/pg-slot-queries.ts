import type { SecretType } from '@dodil/shared';
import { toSlotRecord } from '../sqlite-rows';
import type { SlotRow } from '../sqlite-rows';
import type { SlotMeta, SlotRecord } from '../types';

/** An upsert's outcome before its effect ran (the store adds the receipt). */
export type SlotWriteResult =
  { ok: true; createdAtMs: number; updatedAtMs: number } | { ok: false; existingType: SecretType };
import type { PgQueryable } from './pg-database';

// Slot SQL for PostgreSQL, as functions of a query runner (the pool, or an open transaction) so
// the store can run them inside whatever transaction the storage contract hands it. Statement
// names are global per connection: every name here is unique across src/storage/pg.

/** One slot, or undefined. */
export async function getSlot(q: PgQueryable, orgId: string, name: string): Promise<SlotRecord | undefined> {
  const rows = await q.rows<SlotRow>('slot_get', 'SELECT * FROM slots WHERE org_id = $1 AND name = $2', [
    orgId,
    name,
  ]);
  return rows[0] === undefined ? undefined : toSlotRecord(rows[0]);
}

/**
 * Inserts or overwrites a slot (keeping `created_at_ms`), refusing a slot of another type, and
 * counts one encryption against the sealing key: the caller runs it in a transaction.
 */
export async function upsertSlot(q: PgQueryable, r: SlotRecord): Promise<SlotWriteResult> {
  const rows = await q.rows<{ created_at_ms: number; updated_at_ms: number }>(
    'slot_upsert',
    `INSERT INTO slots (org_id, name, type, registry_host, key_version, ciphertext, created_at_ms, updated_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (org_id, name) DO UPDATE SET
       registry_host = excluded.registry_host,
       key_version   = excluded.key_version,
       ciphertext    = excluded.ciphertext,
       updated_at_ms = greatest(excluded.updated_at_ms, slots.updated_at_ms)
     WHERE slots.type = excluded.type
     RETURNING created_at_ms, updated_at_ms`,
    [
      r.orgId,
      r.name,
      r.type,
      r.registryHost ?? null,
      r.keyVersion,
      Buffer.from(r.ciphertext),
      r.createdAtMs,
      r.updatedAtMs,
    ],
  );
  const row = rows[0];
  if (row === undefined) {
    const existing = await q.rows<{ type: SecretType }>(
      'slot_type',
      'SELECT type FROM slots WHERE org_id = $1 AND name = $2',
      [r.orgId, r.name],
    );
    return { ok: false, existingType: existing[0]?.type ?? r.type };
  }
  await q.rows(
    'key_count_one',
    'UPDATE org_keys SET encryptions = encryptions + 1 WHERE org_id = $1 AND version = $2',
    [r.orgId, r.keyVersion],
  );
  return { ok: true, createdAtMs: row.created_at_ms, updatedAtMs: row.updated_at_ms };
}

/** True when a slot was deleted. */
export async function deleteSlot(q: PgQueryable, orgId: string, name: string): Promise<boolean> {
  const rows = await q.rows<{ name: string }>(
    'slot_delete',
    'DELETE FROM slots WHERE org_id = $1 AND name = $2 RETURNING name',
    [orgId, name],
  );
  return rows.length > 0;
}

/** Metadata ordered by name (byte order: the column is COLLATE "C", as SQLite compares). */
export async function listSlots(
  q: PgQueryable,
  orgId: string,
  afterName: string,
  limit: number,
): Promise<SlotMeta[]> {
  const rows = await q.rows<Pick<SlotRow, 'name' | 'type' | 'created_at_ms' | 'updated_at_ms'>>(
    'slot_list',
    `SELECT name, type, created_at_ms, updated_at_ms FROM slots
     WHERE org_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
    [orgId, afterName, limit],
  );
  return rows.map((row) => ({
    orgId,
    name: row.name,
    type: row.type,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  }));
}

/** Registry slots of an org, all or those of one normalised host, ordered by name. */
export async function listRegistrySlots(
  q: PgQueryable,
  orgId: string,
  host: string | undefined,
): Promise<SlotRecord[]> {
  const rows =
    host === undefined
      ? await q.rows<SlotRow>(
          'slot_registry_all',
          `SELECT * FROM slots WHERE org_id = $1 AND type = 'registry_secret' ORDER BY name`,
          [orgId],
        )
      : await q.rows<SlotRow>(
          'slot_registry_host',
          'SELECT * FROM slots WHERE org_id = $1 AND registry_host = $2 ORDER BY name',
          [orgId, host],
        );
  return rows.map(toSlotRecord);
}
