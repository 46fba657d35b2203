import type { AuditQuery, AuditRecord as AuditEntry } from '../audit-store';
import { toAuditRecord } from '../sqlite-rows';
import type { AuditRow } from '../sqlite-rows';
import type { PgQueryable } from './pg-database';

// The audit chain on PostgreSQL. One chain for every replica: appends take
// AUDIT_LOCK_KEY as a transaction advisory lock (once per batch, not per entry), read the head,
// insert the batch with consecutive seq (UNIQUE via the primary key) and write the head, all in
// the transaction of the slot write they describe.

/** Key of the transaction advisory lock serialising chain appends across replicas. */
export const AUDIT_LOCK_KEY = 0x646f64696c + 1;

/** Takes the chain lock until the end of the current transaction (other replicas' appends wait). */
export async function lockAuditChain(q: PgQueryable): Promise<void> {
  await q.rows('audit_lock', 'SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
}

/** Seq and MAC of the last entry. */
export async function lastAudit(q: PgQueryable): Promise<{ seq: number; mac: Uint8Array } | undefined> {
  const rows = await q.rows<{ seq: number; mac: Buffer }>(
    'audit_last',
    'SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  return rows[0];
}

/** MAC of entry `seq`. */
export async function auditMacAt(q: PgQueryable, seq: number): Promise<Uint8Array | undefined> {
  const rows = await q.rows<{ mac: Buffer }>('audit_mac_at', 'SELECT mac FROM audit_log WHERE seq = $1', [
    seq,
  ]);
  return rows[0]?.mac;
}

/** Inserts entries (a whole batch in one statement: one round trip however many requests it serves). */
export async function insertAudit(q: PgQueryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const col = <T>(pick: (e: AuditEntry) => T) => entries.map(pick);
  await q.rows(
    'audit_insert',
    `INSERT INTO audit_log (seq, time_ms, request_id, token_id, org_id, org, action, slot, code, client_address, detail, mac)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::text[], $9::text[], $10::text[], $11::text[], $12::bytea[])`,
    [
      col((e) => e.seq),
      col((e) => e.timeMs),
      col((e) => e.requestId),
      col((e) => e.tokenId ?? null),
      col((e) => e.orgId ?? null),
      col((e) => e.org ?? null),
      col((e) => e.action),
      col((e) => e.slot ?? null),
      col((e) => e.code),
      col((e) => e.clientAddress),
      col((e) => e.detail ?? null),
      col((e) => Buffer.from(e.mac)),
    ],
  );
}

/** Entries with seq in (afterSeq, afterSeq + limit], in chain order (verify and export page through). */
export async function auditPage(q: PgQueryable, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  const rows = await q.rows<AuditRow>(
    'audit_page',
    'SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
    [afterSeq, limit],
  );
  return rows.map(toAuditRecord);
}

/** The newest `limit` entries (of one org when given), oldest first. */
export async function newestAudit(
  q: PgQueryable,
  org: string | undefined,
  limit: number,
): Promise<AuditEntry[]> {
  const rows =
    org === undefined
      ? await q.rows<AuditRow>('audit_newest', 'SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1', [limit])
      : await q.rows<AuditRow>(
          'audit_newest_org',
          'SELECT * FROM audit_log WHERE org = $1 ORDER BY seq DESC LIMIT $2',
          [org, limit],
        );
  return rows.reverse().map(toAuditRecord);
}

/** Seq of the first entry written at or after `timeMs` (retention; a scan: it runs rarely). */
export async function firstAuditSeqSince(q: PgQueryable, timeMs: number): Promise<number | undefined> {
  const rows = await q.rows<{ seq: number | null }>(
    'audit_first_since',
    'SELECT min(seq) AS seq FROM audit_log WHERE time_ms >= $1',
    [timeMs],
  );
  return rows[0]?.seq ?? undefined;
}

/** Deletes every entry with seq at most `seq` (prune); how many went. */
export async function deleteAuditThrough(q: PgQueryable, seq: number): Promise<number> {
  return q.exec('DELETE FROM audit_log WHERE seq <= $1', [seq]);
}

/** One org's entries matching a filter, newest first (the audit API); absent filters bind NULL. */
export async function queryAudit(q: PgQueryable, f: AuditQuery): Promise<AuditEntry[]> {
  const rows = await q.rows<AuditRow>(
    'audit_query',
    `SELECT * FROM audit_log
     WHERE org_id = $1
       AND ($2::text IS NULL OR slot = $2::text)
       AND ($3::text IS NULL OR action = $3::text)
       AND ($4::bigint IS NULL OR time_ms >= $4::bigint)
       AND ($5::bigint IS NULL OR time_ms < $5::bigint)
       AND ($6::bigint IS NULL OR seq < $6::bigint)
     ORDER BY seq DESC LIMIT $7`,
    [
      f.orgId,
      f.slot ?? null,
      f.action ?? null,
      f.sinceMs ?? null,
      f.untilMs ?? null,
      f.beforeSeq ?? null,
      f.limit,
    ],
  );
  return rows.map(toAuditRecord);
}
