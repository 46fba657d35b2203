import type { KeyStore } from './key-store';
import type { SqliteConnection } from './sqlite-connection';
import { toKeyRecord, toOrgRecord, toSlotRecord } from './sqlite-rows';
import type { KeyRow, OrgRow, SlotRow } from './sqlite-rows';
import type { OrgKeyRecord } from './types';

/** {@link KeyStore} on better-sqlite3. */
export function createSqliteKeyStore(conn: SqliteConnection): KeyStore {
  const { db } = conn;
  const orgById = db.prepare<[string], OrgRow>('SELECT * FROM orgs WHERE id = ?');
  const orgByName = db.prepare<[string], OrgRow>('SELECT * FROM orgs WHERE name = ?');
  const orgs = db.prepare<[], OrgRow>('SELECT * FROM orgs ORDER BY name');
  const encryptions = db.prepare<[string, number], { encryptions: number }>(
    'SELECT encryptions FROM org_keys WHERE org_id = ? AND version = ?',
  );
  const maxVersion = db.prepare<[string], { v: number | null }>(
    'SELECT max(version) AS v FROM org_keys WHERE org_id = ?',
  );
  const versions = db.prepare<[string], { version: number }>(
    'SELECT version FROM org_keys WHERE org_id = ? ORDER BY version',
  );
  const insertKey = db.prepare(
    `INSERT INTO org_keys (org_id, version, wrapped, encryptions, created_at_ms)
     VALUES (@orgId, @version, @wrapped, @encryptions, @createdAtMs)`,
  );
  const setCurrent = db.prepare('UPDATE orgs SET current_key_version = ? WHERE id = ?');
  const count = db.prepare(
    'UPDATE org_keys SET encryptions = encryptions + ? WHERE org_id = ? AND version = ?',
  );
  const allKeys = db.prepare<[], KeyRow>('SELECT * FROM org_keys ORDER BY org_id, version');
  const updateWrapped = db.prepare('UPDATE org_keys SET wrapped = ? WHERE org_id = ? AND version = ?');
  const slotsBelow = db.prepare<[string, number, string, number], SlotRow>(
    'SELECT * FROM slots WHERE org_id = ? AND key_version < ? AND name > ? ORDER BY name LIMIT ?',
  );
  const countBelow = db.prepare<[string, number], { n: number }>(
    'SELECT count(*) AS n FROM slots WHERE org_id = ? AND key_version < ?',
  );
  const reseal = db.prepare('UPDATE slots SET key_version = ?, ciphertext = ? WHERE org_id = ? AND name = ?');
  const dropUnused = db.prepare<[string, number], { version: number }>(
    `DELETE FROM org_keys WHERE org_id = ? AND version != ?
       AND NOT EXISTS (SELECT 1 FROM slots s WHERE s.org_id = org_keys.org_id AND s.key_version = org_keys.version)
     RETURNING version`,
  );
  const getMeta = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?');
  const putMeta = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );

  // Every call runs in the caller's transaction; the statements themselves are synchronous.
  const inTx =
    <A extends unknown[], R>(run: (...args: A) => R) =>
    async (tx: Parameters<typeof conn.inside>[0], ...args: A): Promise<R> => {
      conn.inside(tx);
      return run(...args);
    };
  return {
    orgById: inTx((id: string) => {
      const row = orgById.get(id);
      return row === undefined ? undefined : toOrgRecord(row);
    }),
    orgByName: inTx((name: string) => {
      const row = orgByName.get(name);
      return row === undefined ? undefined : toOrgRecord(row);
    }),
    listOrgs: inTx(() => orgs.all().map(toOrgRecord)),
    encryptions: inTx((orgId: string, version: number) => encryptions.get(orgId, version)?.encryptions),
    maxVersion: inTx((orgId: string) => maxVersion.get(orgId)?.v ?? 0),
    versions: inTx((orgId: string) => versions.all(orgId).map((r) => r.version)),
    insertKey: inTx((key: OrgKeyRecord) => void insertKey.run({ ...key, wrapped: Buffer.from(key.wrapped) })),
    setCurrentVersion: inTx((orgId: string, version: number) => void setCurrent.run(version, orgId)),
    countEncryptions: inTx((orgId: string, version: number, n: number) => void count.run(n, orgId, version)),
    allKeys: inTx(() => allKeys.all().map(toKeyRecord)),
    updateWrapped: inTx(
      (orgId: string, version: number, wrapped: Uint8Array) =>
        void updateWrapped.run(Buffer.from(wrapped), orgId, version),
    ),
    slotsBelow: inTx((orgId: string, version: number, afterName: string, limit: number) =>
      slotsBelow.all(orgId, version, afterName, limit).map(toSlotRecord),
    ),
    countSlotsBelow: inTx((orgId: string, version: number) => countBelow.get(orgId, version)?.n ?? 0),
    reseal: inTx(
      (orgId: string, name: string, version: number, ciphertext: Uint8Array) =>
        void reseal.run(version, Buffer.from(ciphertext), orgId, name),
    ),
    dropUnused: inTx((orgId: string, keep: number) => dropUnused.all(orgId, keep).map((r) => r.version)),
    getMeta: inTx((key: string): Uint8Array | undefined => getMeta.get(key)?.value),
    putMeta: inTx((key: string, value: Uint8Array) => void putMeta.run(key, Buffer.from(value))),
    async compact() {
      await conn.outside();
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
  };
}
