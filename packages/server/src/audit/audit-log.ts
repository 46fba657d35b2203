import type { Storage, Tx } from '../storage/types';
import { GENESIS_MAC, decodeHead, encodeHead, entryMac } from './audit-entry';
import type { AuditEntry, AuditEntryInput, AuditHead } from './audit-entry';
import { verifyAuditChain } from './audit-verify';
import { keyForSeq } from './audit-key-history';
import type { RetiredAuditKey } from './audit-key-history';
import type { AuditVerifyResult } from './audit-verify';

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

/** Proof that an entry was appended in a transaction: its chain position. */
export interface AuditReceipt {
  seq: number;
}

/** The HMAC-chained, fail-closed audit log. */
export interface AuditLog {
  /**
   * Appends an entry with group commit: entries recorded in the same event
   * loop turn share one transaction (one fsync). Resolves once the entry is
   * durable; rejects with {@link AuditUnavailableError} when it can't be.
   */
  record(entry: AuditEntryInput): Promise<void>;
  /**
   * Appends inside the caller's open write transaction (commits or rolls back
   * with it); rejects with {@link AuditUnavailableError} when it can't.
   */
  appendInTransaction(tx: Tx, entry: AuditEntryInput): Promise<AuditReceipt>;
  /** Writes pending entries now and waits for every batch in flight (before closing the store). */
  flush(): Promise<void>;
  /**
   * Whether entries can be appended (the head is intact and matches the tail, and the disk is
   * above its floor); for readiness.
   */
  isAppendable(): Promise<boolean>;
  verify(): Promise<AuditVerifyResult>;
  /** MAC of entry `seq` (to compare with an anchor the operator recorded elsewhere). */
  macAt(seq: number): Promise<Uint8Array | undefined>;
  /** The newest `limit` entries, oldest first. */
  list(filter: { org?: string | undefined; limit: number }): Promise<AuditEntry[]>;
  /** Moves the whole chain aside (kept as evidence) and empties it; returns where it went. */
  archive(nowMs: number): Promise<string>;
}

/** Dependencies of {@link createAuditLog}. */
export interface AuditLogDeps {
  storage: Pick<Storage, 'audit' | 'write' | 'read'>;
  /** The 32-byte audit key (random, stored wrapped by the master key). */
  key: Uint8Array;
  /** Keys of earlier chain segments (after `rotate-master --compromised`), for verify. */
  history?: readonly RetiredAuditKey[];
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

const unavailable = (err: unknown) =>
  err instanceof AuditUnavailableError ? err : new AuditUnavailableError(`audit write failed: ${(err as Error).name}`);

/** Creates the {@link AuditLog} over a store. */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { storage, key } = deps;
  const store = storage.audit;
  const schedule = deps.schedule ?? ((fn: () => void) => void setImmediate(fn));
  let pending: Pending[] = [];
  let scheduled = false;
  // The newest batch commit; the engine runs write transactions in order, so it settles last.
  let lastBatch: Promise<void> = Promise.resolve();

  // The head, checked against the log's last entry. Refusing to extend a log whose tail doesn't
  // match its head matters: appending would launder a cut.
  async function checkedHead(tx: Tx): Promise<AuditHead> {
    const stored = await store.readHead(tx);
    const head = stored === undefined ? undefined : decodeHead(key, stored);
    if (head === undefined) throw new AuditUnavailableError('the audit head is missing or forged');
    const last = await store.last(tx);
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
  // the admin CLI (or another server) appends to the same chain.
  async function appendLocked(tx: Tx, entries: readonly AuditEntryInput[]): Promise<number> {
    checkDiskFloor();
    const head = await checkedHead(tx);
    let prev: Uint8Array = head.lastMac;
    let seq = head.count;
    const rows: AuditEntry[] = [];
    for (const entry of entries) {
      seq += 1;
      const mac = entryMac(key, prev, seq, entry);
      rows.push({ ...entry, seq, mac });
      prev = mac;
    }
    await store.insert(tx, rows);
    await store.writeHead(tx, encodeHead(key, { count: seq, lastMac: prev }));
    return seq;
  }

  function flush(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return lastBatch;
    lastBatch = storage
      .write((tx) => appendLocked(tx, batch.map((p) => p.entry)))
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          const failure = unavailable(err);
          for (const p of batch) p.reject(failure);
        },
      );
    return lastBatch;
  }

  return {
    record(entry) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ entry, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(() => void flush());
        }
      });
    },
    async appendInTransaction(tx, entry) {
      try {
        return { seq: await appendLocked(tx, [entry]) };
      } catch (err) {
        throw unavailable(err);
      }
    },
    flush,
    async isAppendable() {
      try {
        checkDiskFloor();
        await storage.read(checkedHead);
        return true;
      } catch {
        return false;
      }
    },
    verify: () =>
      storage.read(async (tx) =>
        verifyAuditChain(key, store.iterate(tx), await store.readHead(tx), keyForSeq(deps.history ?? [], key)),
      ),
    macAt: (seq) => storage.read((tx) => store.macAt(tx, seq)),
    list: (filter) => storage.read((tx) => store.list(tx, filter)),
    archive: (nowMs) => storage.write((tx) => store.archive(tx, nowMs)),
  };
}

/** The head of an empty chain, written when the log is created. */
export function initialHead(key: Uint8Array): Buffer {
  return encodeHead(key, { count: 0, lastMac: GENESIS_MAC });
}
