import type { AuditQuery } from '../storage/audit-store';
import type { Storage, Tx } from '../storage/types';
import { decodeCheckpoint, encodeCheckpoint } from './audit-checkpoint';
import type { AuditCheckpoint } from './audit-checkpoint';
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
   * Whether entries can be appended (the head is intact and matches the tail); for readiness.
   * The disk floor is readiness's own check (DISK_FULL), with the same floor.
   */
  isAppendable(): Promise<boolean>;
  verify(): Promise<AuditVerifyResult>;
  /** MAC of entry `seq` (to compare with an anchor the operator recorded elsewhere). */
  macAt(seq: number): Promise<Uint8Array | undefined>;
  /** The newest `limit` entries, oldest first. */
  list(filter: { org?: string | undefined; limit: number }): Promise<AuditEntry[]>;
  /** One org's entries matching a filter, newest first (one read snapshot). */
  query(filter: AuditQuery): Promise<AuditEntry[]>;
  /** Moves the whole chain aside (kept as evidence) and empties it; returns where it went. */
  archive(nowMs: number): Promise<string>;
  /** Up to `limit` entries after `seq`, in chain order (export). */
  readAfter(seq: number, limit: number): Promise<AuditEntry[]>;
  /** The verified prune checkpoint; `undefined` when nothing was pruned. Rejects when it is forged. */
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  /** Seq of the first entry written at or after `timeMs` (retention). */
  firstSeqSince(timeMs: number): Promise<number | undefined>;
  /**
   * Prunes one batch: up to `batch` of the oldest entries with `seq` at most
   * `through`, never the newest entry. The batch is verified against the
   * current checkpoint first (pruning must not launder an edit), then
   * deleted, and the checkpoint moves to its last entry, in one transaction.
   * Resolves to how many entries went (0 when there is nothing left to prune).
   */
  pruneBatch(through: number, batch: number): Promise<number>;
}

/** A prune found the entries it would delete broken, or the checkpoint forged; nothing was deleted. */
export class AuditBrokenError extends Error {
  override readonly name = 'AuditBrokenError';
}

/** Told how many entries became durable or failed (metrics); must not throw. */
export interface AuditObserver {
  appended(count: number): void;
  failed(count: number): void;
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
  /** Counts appended and failed entries (docs/contract.md#operating-it metrics); none by default. */
  observer?: AuditObserver;
}

interface Pending {
  entry: AuditEntryInput;
  resolve: () => void;
  reject: (err: Error) => void;
}

const unavailable = (err: unknown) =>
  err instanceof AuditUnavailableError
    ? err
    : new AuditUnavailableError(`audit write failed: ${(err as Error).name}`);

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
    if (
      (last?.seq ?? 0) !== head.count ||
      !Buffer.from(last?.mac ?? GENESIS_MAC).equals(Buffer.from(head.lastMac))
    ) {
      throw new AuditUnavailableError(
        'the audit log does not match its head; run `dodil-server audit verify`',
      );
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

  async function readCheckpoint(tx: Tx): Promise<AuditCheckpoint | undefined> {
    const stored = await store.readCheckpoint(tx);
    if (stored === undefined) return undefined;
    const cp = decodeCheckpoint(key, stored);
    if (cp === undefined) throw new AuditBrokenError('the prune checkpoint is forged or corrupt');
    return cp;
  }

  // One batch in flight at a time: entries recorded while it commits wait and go together in the
  // next one. On an engine where a commit takes several round trips (PostgreSQL: lock, head, tail,
  // insert, head, commit), one batch per event-loop turn would queue many tiny transactions.
  let inFlight: Promise<void> | undefined;
  let followUp: Promise<void> | undefined;

  function flush(): Promise<void> {
    scheduled = false;
    if (pending.length === 0) return followUp ?? lastBatch;
    if (inFlight !== undefined) {
      followUp ??= inFlight.then(() => {
        followUp = undefined;
        return flush();
      });
      return followUp;
    }
    const batch = pending;
    pending = [];
    const committed = storage
      .write((tx) =>
        appendLocked(
          tx,
          batch.map((p) => p.entry),
        ),
      )
      .then(
        () => {
          deps.observer?.appended(batch.length);
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          const failure = unavailable(err);
          // Entries recorded while this batch failed are refused with it, not sent into another
          // attempt that would wait out the same timeout (a frozen database: two timeouts).
          const waiting = pending;
          pending = [];
          deps.observer?.failed(batch.length + waiting.length);
          for (const p of batch) p.reject(failure);
          for (const p of waiting) p.reject(failure);
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    inFlight = committed;
    lastBatch = committed;
    return committed;
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
      let seq: number;
      try {
        seq = await appendLocked(tx, [entry]);
      } catch (err) {
        deps.observer?.failed(1);
        throw unavailable(err);
      }
      // Counted once written into the transaction; a later rollback of the caller's write is rare.
      deps.observer?.appended(1);
      return { seq };
    },
    flush,
    async isAppendable() {
      try {
        await storage.read(checkedHead);
        return true;
      } catch {
        return false;
      }
    },
    verify: () =>
      storage.read(async (tx) =>
        verifyAuditChain(
          key,
          store.iterate(tx),
          await store.readHead(tx),
          await store.readCheckpoint(tx),
          keyForSeq(deps.history ?? [], key),
        ),
      ),
    macAt: (seq) => storage.read((tx) => store.macAt(tx, seq)),
    list: (filter) => storage.read((tx) => store.list(tx, filter)),
    query: (filter) => storage.read((tx) => store.query(tx, filter)),
    archive: (nowMs) => storage.write((tx) => store.archive(tx, nowMs)),
    readAfter: (seq, limit) => storage.read((tx) => store.after(tx, seq, limit)),
    checkpoint: () => storage.read(readCheckpoint),
    firstSeqSince: (timeMs) => storage.read((tx) => store.firstSeqSince(tx, timeMs)),
    pruneBatch: (through, batch) =>
      storage.write(async (tx) => {
        const cp = await readCheckpoint(tx);
        const last = await store.last(tx);
        const start = cp?.count ?? 0;
        const upper = Math.min(through, (last?.seq ?? 0) - 1);
        if (upper <= start) return 0;
        const entries = await store.after(tx, start, Math.min(batch, upper - start));
        let prev: Uint8Array = cp?.lastMac ?? GENESIS_MAC;
        let expected = start + 1;
        for (const e of entries) {
          if (e.seq !== expected || !entryMac(key, prev, e.seq, e).equals(e.mac)) {
            throw new AuditBrokenError(
              `entry ${expected} does not verify; nothing pruned (run \`dodil-server audit verify\`)`,
            );
          }
          prev = e.mac;
          expected++;
        }
        const lastPruned = entries.at(-1);
        if (lastPruned === undefined) return 0;
        await store.deleteThrough(tx, lastPruned.seq);
        await store.writeCheckpoint(
          tx,
          encodeCheckpoint(key, { count: lastPruned.seq, lastMac: lastPruned.mac }),
        );
        return entries.length;
      }),
  };
}

/** The head of an empty chain, written when the log is created. */
export function initialHead(key: Uint8Array): Buffer {
  return encodeHead(key, { count: 0, lastMac: GENESIS_MAC });
}
