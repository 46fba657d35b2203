import { GENESIS_MAC, decodeHead, entryMac } from './audit-entry';
import type { AuditEntry, AuditHead } from './audit-entry';
import { decodeCheckpoint } from './audit-checkpoint';

/** Outcome of checking the chain. */
export type AuditVerifyResult =
  | {
      ok: true;
      count: number;
      head: AuditHead;
      /** First entry verified: 1, or the one after the prune checkpoint. */
      from: number;
    }
  | {
      ok: false;
      /** Chain position of the first entry that fails (or is missing). */
      firstBroken: number;
      reason: string;
      /** Entries that verified before the break. */
      verified: number;
    };

/**
 * Walks the chain in order and recomputes every MAC. Edits and reorders break
 * an entry's MAC; deletions leave a gap in `seq` or break the next MAC;
 * a cut tail leaves the log shorter than its head says (the head carries its
 * own MAC, so it can't be rewound without the audit key). The head is always
 * under the current key.
 */
export async function verifyAuditChain(
  key: Uint8Array,
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>,
  storedHead: Uint8Array | undefined,
  storedCheckpoint?: Uint8Array,
  /** The key of each entry when the chain has segments (after `rotate-master --compromised`); `key` otherwise. */
  keyOf: (seq: number) => Uint8Array = () => key,
): Promise<AuditVerifyResult> {
  let prev: Uint8Array = GENESIS_MAC;
  let expected = 1;
  // After a prune the chain resumes from the checkpoint (its own MAC proves it was ours).
  if (storedCheckpoint !== undefined) {
    const cp = decodeCheckpoint(key, storedCheckpoint);
    if (cp === undefined) {
      return { ok: false, firstBroken: 1, verified: 0, reason: 'the prune checkpoint is forged or corrupt' };
    }
    prev = cp.lastMac;
    expected = cp.count + 1;
  }
  const from = expected;
  for await (const e of entries) {
    if (e.seq !== expected) {
      return e.seq > expected
        ? {
            ok: false,
            firstBroken: expected,
            verified: expected - from,
            reason: `entry ${expected} is missing (deleted)`,
          }
        : {
            ok: false,
            firstBroken: e.seq,
            verified: expected - from,
            reason: `entry ${e.seq} is out of order`,
          };
    }
    // A new segment's first entry chains from the old segment's last MAC: its anchor.
    const mac = entryMac(keyOf(e.seq), prev, e.seq, e);
    if (!mac.equals(e.mac)) {
      return {
        ok: false,
        firstBroken: e.seq,
        verified: e.seq - from,
        reason: `entry ${e.seq} does not match its MAC (edited, reordered, or an entry before it was removed)`,
      };
    }
    prev = e.mac;
    expected++;
  }
  const count = expected - 1;
  const head = storedHead === undefined ? undefined : decodeHead(key, storedHead);
  if (head === undefined) {
    return {
      ok: false,
      firstBroken: count + 1,
      verified: count + 1 - from,
      reason:
        storedHead === undefined
          ? 'the audit head record is missing'
          : 'the audit head record is forged or corrupt',
    };
  }
  if (head.count !== count || !Buffer.from(head.lastMac).equals(Buffer.from(prev))) {
    return head.count > count
      ? {
          ok: false,
          firstBroken: count + 1,
          verified: count + 1 - from,
          reason: `the log ends at entry ${count} but its head records ${head.count}: entries ${count + 1}..${head.count} were removed`,
        }
      : {
          ok: false,
          firstBroken: head.count + 1,
          verified: head.count + 1 - from,
          reason: `entries after ${head.count} are not covered by the head (added outside the server)`,
        };
  }
  return { ok: true, count, head, from };
}
