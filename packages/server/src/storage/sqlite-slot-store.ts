import type { Database, Statement } from 'better-sqlite3';
import type { SecretType } from '@dodil/shared';
import { toSlotRecord } from './sqlite-rows';
import type { SlotRow } from './sqlite-rows';
import type { InTransaction, SlotMeta, SlotRecord, SlotStore, UpsertResult } from './types';

/** {@link SlotStore} on better-sqlite3, with every statement prepared once. */
export function createSqliteSlotStore(db: Database): SlotStore {
  const getStmt = db.prepare('SELECT * FROM slots WHERE org_id = ? AND name = ?') as Statement<[string, string], SlotRow>;
  const upsertStmt = db.prepare(
    `INSERT INTO slots (org_id, name, type, registry_host, key_version, ciphertext, created_at_ms, updated_at_ms)
     VALUES (@orgId, @name, @type, @registryHost, @keyVersion, @ciphertext, @createdAtMs, @updatedAtMs)
     ON CONFLICT (org_id, name) DO UPDATE SET
       registry_host = excluded.registry_host,
       key_version   = excluded.key_version,
       ciphertext    = excluded.ciphertext,
       updated_at_ms = max(excluded.updated_at_ms, slots.updated_at_ms)
     WHERE slots.type = excluded.type
     RETURNING created_at_ms, updated_at_ms`,
  ) as Statement<[Record<string, unknown>], { created_at_ms: number; updated_at_ms: number }>;
  const typeStmt = db.prepare('SELECT type FROM slots WHERE org_id = ? AND name = ?') as Statement<
    [string, string],
    { type: SecretType }
  >;
  const countStmt = db.prepare('UPDATE org_keys SET encryptions = encryptions + 1 WHERE org_id = ? AND version = ?');
  const deleteStmt = db.prepare('DELETE FROM slots WHERE org_id = ? AND name = ?');
  const listStmt = db.prepare(
    `SELECT name, type, created_at_ms, updated_at_ms FROM slots
     WHERE org_id = ? AND name > ? ORDER BY name LIMIT ?`,
  ) as Statement<[string, string, number], Pick<SlotRow, 'name' | 'type' | 'created_at_ms' | 'updated_at_ms'>>;
  const registryAllStmt = db.prepare(
    `SELECT * FROM slots WHERE org_id = ? AND type = 'registry_secret' ORDER BY name`,
  ) as Statement<[string], SlotRow>;
  const registryHostStmt = db.prepare(
    `SELECT * FROM slots WHERE org_id = ? AND registry_host = ? ORDER BY name`,
  ) as Statement<[string, string], SlotRow>;

  const upsertTx = db.transaction((record: SlotRecord, inTransaction: InTransaction | undefined): UpsertResult => {
    const row = upsertStmt.get({
      ...record,
      registryHost: record.registryHost ?? null,
      ciphertext: Buffer.from(record.ciphertext),
    });
    if (row === undefined) {
      const existing = typeStmt.get(record.orgId, record.name);
      return { ok: false, existingType: existing?.type ?? record.type };
    }
    countStmt.run(record.orgId, record.keyVersion);
    inTransaction?.();
    return { ok: true, createdAtMs: row.created_at_ms, updatedAtMs: row.updated_at_ms };
  });
  const deleteTx = db.transaction((orgId: string, name: string, inTransaction: InTransaction): boolean => {
    const deleted = deleteStmt.run(orgId, name).changes > 0;
    inTransaction();
    return deleted;
  });

  return {
    async get(orgId, name) {
      const row = getStmt.get(orgId, name);
      return row === undefined ? undefined : toSlotRecord(row);
    },
    async upsert(record, inTransaction) {
      return upsertTx.immediate(record, inTransaction);
    },
    async delete(orgId, name, inTransaction) {
      if (inTransaction !== undefined) return deleteTx.immediate(orgId, name, inTransaction);
      return deleteStmt.run(orgId, name).changes > 0;
    },
    async list(orgId, afterName, limit): Promise<SlotMeta[]> {
      return listStmt.all(orgId, afterName, limit).map((row) => ({
        orgId,
        name: row.name,
        type: row.type,
        createdAtMs: row.created_at_ms,
        updatedAtMs: row.updated_at_ms,
      }));
    },
    async listRegistry(orgId, host) {
      const rows = host === undefined ? registryAllStmt.all(orgId) : registryHostStmt.all(orgId, host);
      return rows.map(toSlotRecord);
    },
  };
}
