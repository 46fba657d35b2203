import { GENESIS_MAC, decodeHead, encodeHead, entryMac } from './audit-entry';
import type { AuditEntry, AuditEntryInput, AuditHead } from './audit-entry';
import { verifyAuditChain } from './audit-verify';
import type { AuditVerifyResult } from './audit-verify';
import type { AuditStore } from '../storage/sqlite-audit-store';

/** The audit log could not be appended to; the caller must fail closed. */
export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';

  constructor(
    message: string,
    /** Seconds after which trying again may help (the disk floor), when known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Seconds a caller refused for want of disk space is told to wait. */
const DISK_RETRY_AFTER_S = 60;

/**
 * The free-space floor of the audit log: writes are refused while fewer than
 * `minFreeBytes` are free, so the database is never driven into a full disk
 * (where SQLite fails mid-write and every org gets 503 anyway).
 */
export interface DiskFloor {
  /** Bytes free to this process on the database's file system (cheap: the caller caches). */
  freeBytes(): number;
  minFreeBytes: number;
}

/** The HMAC-chained, fail-closed audit log. */
export interface AuditLog {
  /**
   * Appends an entry with group commit: entries recorded in the same event
   * loop turn share one transaction (one fsync). Resolves once the entry is
   * durable; rejects with {@link AuditUnavailableError} when it can't be.
   */
  record(entry: AuditEntryInput): Promise<void>;
  /** Appends now, inside the caller's open write transaction (commits or rolls back with it). */
  appendInTransaction(entry: AuditEntryInput): void;
  /** Writes pending entries now (before closing the database). */
  flush(): void;
  /**
   * Whether entries can be appended (the head is intact and matches the tail, and the disk is
   * above its floor); for readiness.
   */
  isAppendable(): boolean;
  verify(): AuditVerifyResult;
  /** MAC of entry `seq` (to compare with an anchor the operator recorded elsewhere). */
  macAt(seq: number): Uint8Array | undefined;
  /** The newest `limit` entries, oldest first. */
  list(filter: { org?: string | undefined; limit: number }): AuditEntry[];
}

/** Dependencies of {@link createAuditLog}. */
export interface AuditLogDeps {
  store: AuditStore;
  /** The 32-byte audit key (random, stored wrapped by the master key). */
  key: Uint8Array;
  /** Defers the batch commit to the end of this event loop turn; `setImmediate` by default. */
  schedule?: (flush: () => void) => void;
  /** Refuse appends below this much free disk (off when absent). */
  diskFloor?: DiskFloor;
}

interface Pending {
  entry: AuditEntryInput;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Creates the {@link AuditLog} over a store. */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { store, key } = deps;
  const schedule = deps.schedule ?? ((fn: () => void) => void setImmediate(fn));
  let pending: Pending[] = [];
  let scheduled = false;

  // The head, checked against the log's last entry. Refusing to extend a log whose tail doesn't
  // match its head matters: appending would launder a cut.
  function checkedHead(): AuditHead {
    const stored = store.readHead();
    const head = stored === undefined ? undefined : decodeHead(key, stored);
    if (head === undefined) throw new AuditUnavailableError('the audit head is missing or forged');
    const last = store.last();
    if ((last?.seq ?? 0) !== head.count || !Buffer.from(last?.mac ?? GENESIS_MAC).equals(Buffer.from(head.lastMac))) {
      throw new AuditUnavailableError('the audit log does not match its head; run `dodil-server audit verify`');
    }
    return head;
  }

  function checkDiskFloor(): void {
    const floor = deps.diskFloor;
    if (floor !== undefined && floor.freeBytes() < floor.minFreeBytes) {
      throw new AuditUnavailableError('too little free disk space for the audit log', DISK_RETRY_AFTER_S);
    }
  }

  // Must run inside a write transaction. The head is re-read each time because
  // the admin CLI appends to the same chain from another process.
  function appendLocked(entries: readonly AuditEntryInput[]): void {
    checkDiskFloor();
    const head = checkedHead();
    let prev: Uint8Array = head.lastMac;
    let seq = head.count;
    for (const entry of entries) {
      seq += 1;
      const mac = entryMac(key, prev, seq, entry);
      store.insert({ ...entry, seq, mac });
      prev = mac;
    }
    store.writeHead(encodeHead(key, { count: seq, lastMac: prev }));
  }

  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      store.transaction(() => appendLocked(batch.map((p) => p.entry)));
    } catch (err) {
      const failure =
        err instanceof AuditUnavailableError ? err : new AuditUnavailableError(`audit write failed: ${(err as Error).name}`);
      for (const p of batch) p.reject(failure);
      return;
    }
    for (const p of batch) p.resolve();
  }

  return {
    record(entry) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ entry, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(flush);
        }
      });
    },
    appendInTransaction(entry) {
      try {
        appendLocked([entry]);
      } catch (err) {
        if (err instanceof AuditUnavailableError) throw err;
        throw new AuditUnavailableError(`audit write failed: ${(err as Error).name}`);
      }
    },
    flush,
    isAppendable() {
      try {
        checkDiskFloor();
        store.snapshot(checkedHead);
        return true;
      } catch {
        return false;
      }
    },
    verify() {
      return store.snapshot(() => verifyAuditChain(key, store.iterate(), store.readHead()));
    },
    macAt: (seq) => store.macAt(seq),
    list: (filter) => store.list(filter),
  };
}

/** The head of an empty chain, written when the log is created. */
export function initialHead(key: Uint8Array): Buffer {
  return encodeHead(key, { count: 0, lastMac: GENESIS_MAC });
}
