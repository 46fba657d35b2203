import type { AuditStore } from './audit-store';
import type { SqliteConnection } from './sqlite-connection';
import { toAuditRecord } from './sqlite-rows';
import type { AuditRow } from './sqlite-rows';

/** Meta key of the audit chain head (count, last MAC, head MAC). */
export const AUDIT_HEAD_META = 'audit_head';
/** Meta key of the prune checkpoint (seq and MAC of the last pruned entry, and its own MAC). */
export const AUDIT_CHECKPOINT_META = 'audit_checkpoint';

/** {@link AuditStore} on better-sqlite3. */
export function createSqliteAuditStore(conn: SqliteConnection): AuditStore {
  const { db } = conn;
  // Positional parameters: this runs once per audited request, and binding by name costs more.
  const insert = db.prepare(
    `INSERT INTO audit_log (seq, time_ms, request_id, token_id, org_id, org, action, slot, code, client_address, detail, mac)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const last = db.prepare<[], { seq: number; mac: Buffer }>(
    'SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  const macAt = db.prepare<[number], { mac: Buffer }>('SELECT mac FROM audit_log WHERE seq = ?');
  const getHead = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?');
  const putHead = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const all = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq');
  const newest = db.prepare<[number], AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?');
  // No index on org: every request pays for an index, only `audit list --org` would use it.
  const newestOfOrg = db.prepare<[string, number], AuditRow>(
    'SELECT * FROM audit_log WHERE org = ? ORDER BY seq DESC LIMIT ?',
  );
  const deleteHead = db.prepare('DELETE FROM meta WHERE key = ?');
  // One statement; an absent filter binds NULL and drops out. Scans newest first by seq and stops
  // at `limit`, so a page costs what it returns plus what the filters skip.
  const query = db.prepare<[Record<string, string | number | null>], AuditRow>(
    `SELECT * FROM audit_log
     WHERE org_id = @orgId
       AND (@slot IS NULL OR slot = @slot)
       AND (@action IS NULL OR action = @action)
       AND (@sinceMs IS NULL OR time_ms >= @sinceMs)
       AND (@untilMs IS NULL OR time_ms < @untilMs)
       AND (@beforeSeq IS NULL OR seq < @beforeSeq)
     ORDER BY seq DESC LIMIT @limit`,
  );
  const after = db.prepare<[number, number], AuditRow>(
    'SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  // A scan without an index on time: retention runs rarely, and an index would cost every request.
  const firstSince = db.prepare<[number], { seq: number | null }>(
    'SELECT min(seq) AS seq FROM audit_log WHERE time_ms >= ?',
  );
  const deleteThrough = db.prepare('DELETE FROM audit_log WHERE seq <= ?');
  return {
    async last(tx) {
      conn.inside(tx);
      return last.get();
    },
    async macAt(tx, seq) {
      conn.inside(tx);
      return macAt.get(seq)?.mac;
    },
    async insert(tx, entries) {
      conn.inside(tx);
      for (const e of entries) {
        insert.run(
          e.seq,
          e.timeMs,
          e.requestId,
          e.tokenId ?? null,
          e.orgId ?? null,
          e.org ?? null,
          e.action,
          e.slot ?? null,
          e.code,
          e.clientAddress,
          e.detail ?? null,
          Buffer.isBuffer(e.mac) ? e.mac : Buffer.from(e.mac),
        );
      }
    },
    async readHead(tx) {
      conn.inside(tx);
      return getHead.get(AUDIT_HEAD_META)?.value;
    },
    async writeHead(tx, value) {
      conn.inside(tx);
      putHead.run(AUDIT_HEAD_META, Buffer.from(value));
    },
    async *iterate(tx) {
      conn.inside(tx);
      for (const row of all.iterate()) yield toAuditRecord(row);
    },
    async list(tx, { org, limit }) {
      conn.inside(tx);
      const rows = org === undefined ? newest.all(limit) : newestOfOrg.all(org, limit);
      return rows.reverse().map(toAuditRecord);
    },
    async query(tx, f) {
      conn.inside(tx);
      return query
        .all({
          orgId: f.orgId,
          slot: f.slot ?? null,
          action: f.action ?? null,
          sinceMs: f.sinceMs ?? null,
          untilMs: f.untilMs ?? null,
          beforeSeq: f.beforeSeq ?? null,
          limit: f.limit,
        })
        .map(toAuditRecord);
    },
    async archive(tx, nowMs) {
      conn.inside(tx);
      const table = `audit_log_archive_${Math.trunc(nowMs)}`;
      db.exec(`CREATE TABLE ${table} AS SELECT * FROM audit_log`);
      db.exec('DELETE FROM audit_log');
      deleteHead.run(AUDIT_HEAD_META);
      deleteHead.run(AUDIT_CHECKPOINT_META);
      return table;
    },
    async after(tx, seq, limit) {
      conn.inside(tx);
      return after.all(seq, limit).map(toAuditRecord);
    },
    async firstSeqSince(tx, timeMs) {
      conn.inside(tx);
      return firstSince.get(timeMs)?.seq ?? undefined;
    },
    async deleteThrough(tx, seq) {
      conn.inside(tx);
      return deleteThrough.run(seq).changes;
    },
    async readCheckpoint(tx) {
      conn.inside(tx);
      return getHead.get(AUDIT_CHECKPOINT_META)?.value;
    },
    async writeCheckpoint(tx, value) {
      conn.inside(tx);
      putHead.run(AUDIT_CHECKPOINT_META, Buffer.from(value));
    },
  };
}
