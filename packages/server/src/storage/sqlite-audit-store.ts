import type { Database, Statement } from 'better-sqlite3';
import { auditFields } from '../audit/audit-entry';
import type { AuditEntry } from '../audit/audit-entry';

/** Meta key of the audit chain head (count, last MAC, head MAC). */
export const AUDIT_HEAD_META = 'audit_head';

/**
 * Audit log persistence. Unlike the other stores it is synchronous on
 * purpose: entries are appended inside other transactions (a slot write and
 * its audit entry commit together), and better-sqlite3 transactions can't
 * span an `await`.
 */
export interface AuditStore {
  /** Runs `fn` in an IMMEDIATE write transaction, or inside the enclosing one. */
  transaction<T>(fn: () => T): T;
  /** Runs `fn` in a read transaction (one consistent snapshot; writers are not blocked under WAL). */
  snapshot<T>(fn: () => T): T;
  /** Seq and MAC of the last entry, `undefined` for an empty log. */
  last(): { seq: number; mac: Uint8Array } | undefined;
  /** MAC of entry `seq`, `undefined` when there is none. */
  macAt(seq: number): Uint8Array | undefined;
  insert(entry: AuditEntry): void;
  readHead(): Uint8Array | undefined;
  writeHead(value: Uint8Array): void;
  /** Every entry in chain order, streamed (for verify). */
  iterate(): IterableIterator<AuditEntry>;
  /** The newest `limit` entries (of one org when given), oldest first. */
  list(filter: { org?: string | undefined; limit: number }): AuditEntry[];
  /** One org's entries matching `filter`, newest first (the audit API, SPEC §10). */
  query(filter: AuditQuery): AuditEntry[];
}

/** What {@link AuditStore.query} selects: one org, optional exact slot and action, a time range, before a position. */
export interface AuditQuery {
  orgId: string;
  slot: string | undefined;
  action: string | undefined;
  /** Inclusive lower bound on `timeMs`. */
  sinceMs: number | undefined;
  /** Exclusive upper bound on `timeMs`. */
  untilMs: number | undefined;
  /** Only entries with a smaller `seq` (the resume point of a page). */
  beforeSeq: number | undefined;
  limit: number;
}

interface AuditRow {
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

const toEntry = (r: AuditRow): AuditEntry => ({
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

/** {@link AuditStore} on better-sqlite3. */
export function createSqliteAuditStore(db: Database): AuditStore {
  // Positional parameters: this runs once per audited request, and binding by name costs more.
  const insert = db.prepare(
    `INSERT INTO audit_log (seq, time_ms, request_id, token_id, org_id, org, action, slot, code, client_address, detail, mac)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const last = db.prepare('SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1') as Statement<
    [],
    { seq: number; mac: Buffer }
  >;
  const macAt = db.prepare('SELECT mac FROM audit_log WHERE seq = ?') as Statement<[number], { mac: Buffer }>;
  const getHead = db.prepare('SELECT value FROM meta WHERE key = ?') as Statement<[string], { value: Buffer }>;
  const putHead = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const all = db.prepare('SELECT * FROM audit_log ORDER BY seq') as Statement<[], AuditRow>;
  const newest = db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?') as Statement<[number], AuditRow>;
  // No index on org: every request pays for an index, only `audit list --org` would use it.
  const newestOfOrg = db.prepare('SELECT * FROM audit_log WHERE org = ? ORDER BY seq DESC LIMIT ?') as Statement<
    [string, number],
    AuditRow
  >;
  // One statement; an absent filter binds NULL and drops out. Scans newest first by seq and stops
  // at `limit`, so a page costs what it returns plus what the filters skip.
  const query = db.prepare(
    `SELECT * FROM audit_log
     WHERE org_id = @orgId
       AND (@slot IS NULL OR slot = @slot)
       AND (@action IS NULL OR action = @action)
       AND (@sinceMs IS NULL OR time_ms >= @sinceMs)
       AND (@untilMs IS NULL OR time_ms < @untilMs)
       AND (@beforeSeq IS NULL OR seq < @beforeSeq)
     ORDER BY seq DESC LIMIT @limit`,
  ) as Statement<[Record<string, string | number | null>], AuditRow>;
  return {
    transaction(fn) {
      return db.transaction(fn).immediate();
    },
    snapshot(fn) {
      return db.transaction(fn).deferred();
    },
    last() {
      return last.get();
    },
    macAt(seq) {
      return macAt.get(seq)?.mac;
    },
    insert(e) {
      insert.run(e.seq, ...auditFields(e), Buffer.isBuffer(e.mac) ? e.mac : Buffer.from(e.mac));
    },
    readHead() {
      return getHead.get(AUDIT_HEAD_META)?.value;
    },
    writeHead(value) {
      putHead.run(AUDIT_HEAD_META, Buffer.from(value));
    },
    *iterate() {
      for (const row of all.iterate()) yield toEntry(row);
    },
    list({ org, limit }) {
      const rows = org === undefined ? newest.all(limit) : newestOfOrg.all(org, limit);
      return rows.reverse().map(toEntry);
    },
    query(f) {
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
        .map(toEntry);
    },
  };
}

/**
 * Moves a broken chain aside into `audit_log_archive_<ms>` (kept as evidence)
 * and empties the live log and its head, so a new chain can start. Returns the
 * archive table's name.
 */
export function archiveAuditChain(db: Database, nowMs: number): string {
  const table = `audit_log_archive_${Math.trunc(nowMs)}`;
  db.transaction(() => {
    db.exec(`CREATE TABLE ${table} AS SELECT * FROM audit_log`);
    db.exec('DELETE FROM audit_log');
    db.prepare('DELETE FROM meta WHERE key = ?').run(AUDIT_HEAD_META);
  }).immediate();
  return table;
}
