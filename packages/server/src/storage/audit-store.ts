import type { Tx } from './types';

/**
 * One audit entry as stored. The storage layer keeps these fields as they
 * are; what they mean and how the MAC chains them is the audit module's.
 */
export interface AuditRecord {
  /** Chain position, 1..N without gaps. */
  seq: number;
  timeMs: number;
  requestId: string;
  tokenId: string | undefined;
  orgId: string | undefined;
  org: string | undefined;
  action: string;
  slot: string | undefined;
  code: string;
  clientAddress: string;
  detail: string | undefined;
  mac: Uint8Array;
}

/**
 * The audit log's rows and its head (an opaque blob the audit module MACs).
 * Every call runs inside the caller's transaction. Appending is
 * `readHead` → `last` → `insert` → `writeHead` in ONE write transaction;
 * `readHead` in a write transaction holds the head until commit
 * (PostgreSQL: SELECT … FOR UPDATE), so appenders from several processes
 * or servers take turns on the chain.
 */
export interface AuditStore {
  /** Seq and MAC of the last entry, `undefined` for an empty log. */
  last(tx: Tx): Promise<{ seq: number; mac: Uint8Array } | undefined>;
  /** MAC of entry `seq`, `undefined` when there is none. */
  macAt(tx: Tx, seq: number): Promise<Uint8Array | undefined>;
  /** Appends entries (already chained, ascending `seq`); one round trip for a whole batch where the engine can. */
  insert(tx: Tx, entries: readonly AuditRecord[]): Promise<void>;
  readHead(tx: Tx): Promise<Uint8Array | undefined>;
  writeHead(tx: Tx, value: Uint8Array): Promise<void>;
  /** Every entry in chain order, streamed (for verify; run it in a `read` transaction). */
  iterate(tx: Tx): AsyncIterable<AuditRecord>;
  /** The newest `limit` entries (of one org when given), oldest first. */
  list(tx: Tx, filter: { org?: string | undefined; limit: number }): Promise<AuditRecord[]>;
  /** One org's entries matching `filter`, newest first (the audit API, docs/contract.md#web-console). */
  query(tx: Tx, filter: AuditQuery): Promise<AuditRecord[]>;
  /** Up to `limit` entries with `seq` greater than `seq`, in chain order (export, prune). */
  after(tx: Tx, seq: number, limit: number): Promise<AuditRecord[]>;
  /** Seq of the first entry written at or after `timeMs`, `undefined` when none is (retention). */
  firstSeqSince(tx: Tx, timeMs: number): Promise<number | undefined>;
  /** Deletes every entry with `seq` at most `seq` (prune, in a write transaction); returns how many went. */
  deleteThrough(tx: Tx, seq: number): Promise<number>;
  /** The prune checkpoint (an opaque blob the audit module MACs); `undefined` when nothing was pruned. */
  readCheckpoint(tx: Tx): Promise<Uint8Array | undefined>;
  writeCheckpoint(tx: Tx, value: Uint8Array): Promise<void>;
  /**
   * Moves a broken chain aside (kept as evidence, e.g. table
   * `audit_log_archive_<ms>`), empties the live log, its head and its checkpoint; returns
   * where it went.
   */
  archive(tx: Tx, nowMs: number): Promise<string>;
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
