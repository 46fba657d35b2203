/**
 * Audit keys retired by `keys rotate-master --compromised`: the chain goes on
 * under a new key, and each retired key verifies the entries up to and
 * including the anchor entry it last signed. Stored as one value wrapped by
 * the master key (so an ordinary rotate-master re-wraps it like any server key).
 */
export interface RetiredAuditKey {
  /** The last entry this key signed (the rotation's anchor entry). */
  lastSeq: number;
  key: Uint8Array;
}

/** Meta key of the retired audit keys. */
export const AUDIT_KEY_HISTORY_META = 'audit_key_history';
/** Wrap purpose of the retired audit keys. */
export const AUDIT_KEY_HISTORY_PURPOSE = ['audit-key-history'] as const;

const RECORD = 8 + 32;

/** Serialises retired keys: per key, 8 bytes of big-endian last seq then the 32-byte key. */
export function encodeKeyHistory(keys: readonly RetiredAuditKey[]): Uint8Array {
  const out = Buffer.alloc(keys.length * RECORD);
  keys.forEach((k, i) => {
    out.writeBigUInt64BE(BigInt(k.lastSeq), i * RECORD);
    Buffer.from(k.key).copy(out, i * RECORD + 8);
  });
  return out;
}

/** Parses {@link encodeKeyHistory}'s output; throws on a malformed value. */
export function decodeKeyHistory(bytes: Uint8Array): RetiredAuditKey[] {
  if (bytes.length % RECORD !== 0) throw new Error('malformed audit key history');
  const buf = Buffer.from(bytes);
  const keys: RetiredAuditKey[] = [];
  for (let at = 0; at < buf.length; at += RECORD) {
    keys.push({
      lastSeq: Number(buf.readBigUInt64BE(at)),
      key: new Uint8Array(buf.subarray(at + 8, at + RECORD)),
    });
  }
  return keys.sort((a, b) => a.lastSeq - b.lastSeq);
}

/** The key that signed entry `seq`: the first retired key whose segment covers it, else the current one. */
export function keyForSeq(
  history: readonly RetiredAuditKey[],
  current: Uint8Array,
): (seq: number) => Uint8Array {
  return (seq) => history.find((k) => seq <= k.lastSeq)?.key ?? current;
}
