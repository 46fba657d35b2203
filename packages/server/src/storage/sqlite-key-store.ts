import type { Database, Statement } from 'better-sqlite3';
import { toOrgRecord, toSlotRecord } from './sqlite-rows';
import type { KeyRow, OrgRow, SlotRow } from './sqlite-rows';
import type { OrgKeyRecord, OrgRecord, SlotRecord } from './types';

/**
 * SQL for key rotation, master re-wrap and the key-usage budget. Synchronous
 * on purpose, like the audit store: every step runs inside one transaction
 * together with its audit entry, and better-sqlite3 transactions can't span
 * an `await`.
 */
export interface KeyStore {
  /** Runs `fn` in an IMMEDIATE write transaction, or inside the enclosing one. */
  transaction<T>(fn: () => T): T;
  orgById(id: string): OrgRecord | undefined;
  orgByName(name: string): OrgRecord | undefined;
  listOrgs(): OrgRecord[];
  /** Seals made with a key so far, `undefined` for a missing key. */
  encryptions(orgId: string, version: number): number | undefined;
  maxVersion(orgId: string): number;
  versions(orgId: string): number[];
  insertKey(key: OrgKeyRecord): void;
  setCurrentVersion(orgId: string, version: number): void;
  countEncryptions(orgId: string, version: number, n: number): void;
  allKeys(): OrgKeyRecord[];
  updateWrapped(orgId: string, version: number, wrapped: Uint8Array): void;
  /** Slots of an org sealed under a version older than `version`, by name after `afterName`. */
  slotsBelow(orgId: string, version: number, afterName: string, limit: number): SlotRecord[];
  countSlotsBelow(orgId: string, version: number): number;
  /** Replaces a slot's ciphertext and key version (not its timestamps: a re-seal is not an update). */
  reseal(orgId: string, name: string, version: number, ciphertext: Uint8Array): void;
  /** Deletes key versions other than `keep` that no slot uses; returns the versions dropped. */
  dropUnused(orgId: string, keep: number): number[];
  getMeta(key: string): Uint8Array | undefined;
  putMeta(key: string, value: Uint8Array): void;
  /** Checkpoints the WAL into the main file and truncates it, so replaced pages leave the WAL. */
  checkpoint(): void;
}

/** {@link KeyStore} on better-sqlite3. */
export function createSqliteKeyStore(db: Database): KeyStore {
  const orgById = db.prepare('SELECT * FROM orgs WHERE id = ?') as Statement<[string], OrgRow>;
  const orgByName = db.prepare('SELECT * FROM orgs WHERE name = ?') as Statement<[string], OrgRow>;
  const orgs = db.prepare('SELECT * FROM orgs ORDER BY name') as Statement<[], OrgRow>;
  const encryptions = db.prepare('SELECT encryptions FROM org_keys WHERE org_id = ? AND version = ?') as Statement<
    [string, number],
    { encryptions: number }
  >;
  const maxVersion = db.prepare('SELECT max(version) AS v FROM org_keys WHERE org_id = ?') as Statement<
    [string],
    { v: number | null }
  >;
  const versions = db.prepare('SELECT version FROM org_keys WHERE org_id = ? ORDER BY version') as Statement<
    [string],
    { version: number }
  >;
  const insertKey = db.prepare(
    `INSERT INTO org_keys (org_id, version, wrapped, encryptions, created_at_ms)
     VALUES (@orgId, @version, @wrapped, @encryptions, @createdAtMs)`,
  );
  const setCurrent = db.prepare('UPDATE orgs SET current_key_version = ? WHERE id = ?');
  const count = db.prepare('UPDATE org_keys SET encryptions = encryptions + ? WHERE org_id = ? AND version = ?');
  const allKeys = db.prepare('SELECT * FROM org_keys ORDER BY org_id, version') as Statement<[], KeyRow>;
  const updateWrapped = db.prepare('UPDATE org_keys SET wrapped = ? WHERE org_id = ? AND version = ?');
  const slotsBelow = db.prepare(
    'SELECT * FROM slots WHERE org_id = ? AND key_version < ? AND name > ? ORDER BY name LIMIT ?',
  ) as Statement<[string, number, string, number], SlotRow>;
  const countBelow = db.prepare('SELECT count(*) AS n FROM slots WHERE org_id = ? AND key_version < ?') as Statement<
    [string, number],
    { n: number }
  >;
  const reseal = db.prepare('UPDATE slots SET key_version = ?, ciphertext = ? WHERE org_id = ? AND name = ?');
  const dropUnused = db.prepare(
    `DELETE FROM org_keys WHERE org_id = ? AND version != ?
       AND NOT EXISTS (SELECT 1 FROM slots s WHERE s.org_id = org_keys.org_id AND s.key_version = org_keys.version)
     RETURNING version`,
  ) as Statement<[string, number], { version: number }>;
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?') as Statement<[string], { value: Buffer }>;
  const putMeta = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );

  return {
    transaction: (fn) => db.transaction(fn).immediate(),
    orgById: (id) => {
      const row = orgById.get(id);
      return row === undefined ? undefined : toOrgRecord(row);
    },
    orgByName: (name) => {
      const row = orgByName.get(name);
      return row === undefined ? undefined : toOrgRecord(row);
    },
    listOrgs: () => orgs.all().map(toOrgRecord),
    encryptions: (orgId, version) => encryptions.get(orgId, version)?.encryptions,
    maxVersion: (orgId) => maxVersion.get(orgId)?.v ?? 0,
    versions: (orgId) => versions.all(orgId).map((r) => r.version),
    insertKey: (key) => void insertKey.run({ ...key, wrapped: Buffer.from(key.wrapped) }),
    setCurrentVersion: (orgId, version) => void setCurrent.run(version, orgId),
    countEncryptions: (orgId, version, n) => void count.run(n, orgId, version),
    allKeys: () =>
      allKeys.all().map((r) => ({
        orgId: r.org_id,
        version: r.version,
        wrapped: r.wrapped,
        encryptions: r.encryptions,
        createdAtMs: r.created_at_ms,
      })),
    updateWrapped: (orgId, version, wrapped) => void updateWrapped.run(Buffer.from(wrapped), orgId, version),
    slotsBelow: (orgId, version, afterName, limit) =>
      slotsBelow.all(orgId, version, afterName, limit).map(toSlotRecord),
    countSlotsBelow: (orgId, version) => countBelow.get(orgId, version)?.n ?? 0,
    reseal: (orgId, name, version, ciphertext) => void reseal.run(version, Buffer.from(ciphertext), orgId, name),
    dropUnused: (orgId, keep) => dropUnused.all(orgId, keep).map((r) => r.version),
    getMeta: (key) => getMeta.get(key)?.value,
    putMeta: (key, value) => void putMeta.run(key, Buffer.from(value)),
    checkpoint: () => void db.pragma('wal_checkpoint(TRUNCATE)'),
  };
}
