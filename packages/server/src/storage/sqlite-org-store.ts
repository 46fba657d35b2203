import type { Database, Statement } from 'better-sqlite3';
import { toKeyRecord, toOrgRecord } from './sqlite-rows';
import type { KeyRow, OrgRow } from './sqlite-rows';
import type { MetaStore, OrgKeyRecord, OrgRecord, OrgStore } from './types';

/** {@link OrgStore} on better-sqlite3. */
export function createSqliteOrgStore(db: Database): OrgStore {
  const insertOrg = db.prepare(
    'INSERT INTO orgs (id, name, current_key_version, created_at_ms) VALUES (@id, @name, @currentKeyVersion, @createdAtMs)',
  );
  const insertKey = db.prepare(
    `INSERT INTO org_keys (org_id, version, wrapped, encryptions, created_at_ms)
     VALUES (@orgId, @version, @wrapped, @encryptions, @createdAtMs)`,
  );
  const byName = db.prepare('SELECT * FROM orgs WHERE name = ?') as Statement<[string], OrgRow>;
  const byId = db.prepare('SELECT * FROM orgs WHERE id = ?') as Statement<[string], OrgRow>;
  const all = db.prepare('SELECT * FROM orgs ORDER BY name') as Statement<[], OrgRow>;
  const key = db.prepare('SELECT * FROM org_keys WHERE org_id = ? AND version = ?') as Statement<
    [string, number],
    KeyRow
  >;
  const createTx = db.transaction((org: OrgRecord, firstKey: OrgKeyRecord) => {
    insertOrg.run(org);
    insertKey.run({ ...firstKey, wrapped: Buffer.from(firstKey.wrapped) });
  });
  return {
    async create(org, firstKey) {
      createTx.immediate(org, firstKey);
    },
    async getByName(name) {
      const row = byName.get(name);
      return row === undefined ? undefined : toOrgRecord(row);
    },
    async getById(id) {
      const row = byId.get(id);
      return row === undefined ? undefined : toOrgRecord(row);
    },
    async list() {
      return all.all().map(toOrgRecord);
    },
    async getKey(orgId, version) {
      const row = key.get(orgId, version);
      return row === undefined ? undefined : toKeyRecord(row);
    },
  };
}

/** {@link MetaStore} on better-sqlite3. */
export function createSqliteMetaStore(db: Database): MetaStore {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?') as Statement<[string], { value: Buffer }>;
  const insertIgnore = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
  return {
    async get(key) {
      return get.get(key)?.value;
    },
    async putIfAbsent(key, value) {
      insertIgnore.run(key, Buffer.from(value));
      const stored = get.get(key)?.value;
      if (stored === undefined) throw new Error(`meta key ${key} vanished`);
      return stored;
    },
  };
}
