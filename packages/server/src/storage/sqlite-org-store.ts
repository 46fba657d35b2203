import type { SqliteConnection } from './sqlite-connection';
import { toKeyRecord, toOrgRecord } from './sqlite-rows';
import type { KeyRow, OrgRow } from './sqlite-rows';
import type { MetaStore, OrgKeyRecord, OrgRecord, OrgStore } from './types';

/** {@link OrgStore} on better-sqlite3. */
export function createSqliteOrgStore(conn: SqliteConnection): OrgStore {
  const { db } = conn;
  const insertOrg = db.prepare(
    'INSERT INTO orgs (id, name, current_key_version, created_at_ms) VALUES (@id, @name, @currentKeyVersion, @createdAtMs)',
  );
  const insertKey = db.prepare(
    `INSERT INTO org_keys (org_id, version, wrapped, encryptions, created_at_ms)
     VALUES (@orgId, @version, @wrapped, @encryptions, @createdAtMs)`,
  );
  const byName = db.prepare<[string], OrgRow>('SELECT * FROM orgs WHERE name = ?');
  const byId = db.prepare<[string], OrgRow>('SELECT * FROM orgs WHERE id = ?');
  const all = db.prepare<[], OrgRow>('SELECT * FROM orgs ORDER BY name');
  const key = db.prepare<[string, number], KeyRow>('SELECT * FROM org_keys WHERE org_id = ? AND version = ?');
  const createTx = db.transaction((org: OrgRecord, firstKey: OrgKeyRecord) => {
    insertOrg.run(org);
    insertKey.run({ ...firstKey, wrapped: Buffer.from(firstKey.wrapped) });
  });
  return {
    async create(org, firstKey) {
      await conn.writeOutside(() => createTx.immediate(org, firstKey));
    },
    async getByName(name) {
      if (conn.busy) await conn.outside();
      const row = byName.get(name);
      return row === undefined ? undefined : toOrgRecord(row);
    },
    async getById(id) {
      if (conn.busy) await conn.outside();
      const row = byId.get(id);
      return row === undefined ? undefined : toOrgRecord(row);
    },
    async list() {
      if (conn.busy) await conn.outside();
      return all.all().map(toOrgRecord);
    },
    async getKey(orgId, version) {
      if (conn.busy) await conn.outside();
      const row = key.get(orgId, version);
      return row === undefined ? undefined : toKeyRecord(row);
    },
  };
}

/** {@link MetaStore} on better-sqlite3. */
export function createSqliteMetaStore(conn: SqliteConnection): MetaStore {
  const { db } = conn;
  const get = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?');
  const insertIgnore = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
  return {
    async get(key) {
      if (conn.busy) await conn.outside();
      return get.get(key)?.value;
    },
    putIfAbsent: (key, value) =>
      conn.writeOutside(() => {
        insertIgnore.run(key, Buffer.from(value));
        const stored = get.get(key)?.value;
        if (stored === undefined) throw new Error(`meta key ${key} vanished`);
        return stored;
      }),
  };
}
