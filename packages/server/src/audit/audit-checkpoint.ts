import { createHmac } from 'node:crypto';
import type { AuditHead } from './audit-entry';

/**
 * The prune checkpoint: the seq and MAC of the last pruned entry, with its
 * own MAC under the audit key. `audit verify` starts the chain from it, so
 * what remains still verifies; without the audit key nobody can move it
 * forward (to hide deleted entries) and an older one leaves a gap.
 * Domain-separated from the head's MAC, so a head can't be passed off as a
 * checkpoint (which would bless deleting the whole log).
 */
export type AuditCheckpoint = AuditHead;

function checkpointMac(key: Uint8Array, cp: AuditCheckpoint): Buffer {
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(cp.count));
  return createHmac('sha256', key)
    .update('dodil.audit.checkpoint.v1\0')
    .update(seq)
    .update(cp.lastMac)
    .digest();
}

/** Stored form: seq (8 bytes, big-endian) ‖ MAC of that entry (32) ‖ checkpoint MAC (32). */
export function encodeCheckpoint(key: Uint8Array, cp: AuditCheckpoint): Buffer {
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(cp.count));
  return Buffer.concat([seq, cp.lastMac, checkpointMac(key, cp)]);
}

/** Parses a stored checkpoint and checks its MAC; `undefined` when malformed or forged. */
export function decodeCheckpoint(key: Uint8Array, stored: Uint8Array): AuditCheckpoint | undefined {
  if (stored.length !== 72) return undefined;
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const cp = { count: Number(buf.readBigUInt64BE(0)), lastMac: Buffer.from(buf.subarray(8, 40)) };
  return checkpointMac(key, cp).equals(buf.subarray(40, 72)) ? cp : undefined;
}
