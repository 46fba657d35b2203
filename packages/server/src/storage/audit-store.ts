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
  /**
   * Moves a broken chain aside (kept as evidence, e.g. table
   * `audit_log_archive_<ms>`), empties the live log and its head; returns
   * where it went.
   */
  archive(tx: Tx, nowMs: number): Promise<string>;
}
