import { createHmac } from 'node:crypto';

/** What an audit entry says happened. Never a secret value, never a token (only its public id). */
export interface AuditEntryInput {
  timeMs: number;
  /** The request id (REST/RPC) or a fresh id for an admin command. */
  requestId: string;
  /** The caller's token id (the public half of a token), when known. */
  tokenId: string | undefined;
  orgId: string | undefined;
  /** Org name, for `audit list --org`. */
  org: string | undefined;
  /** RPC name (`GetSecret`…), `Authenticate`, or an admin action (`keys.rotate-org`…). */
  action: string;
  slot: string | undefined;
  /** `OK` or the gRPC code name of the outcome. */
  code: string;
  /** The peer address, or `local` for the operator's command line. */
  clientAddress: string;
  /** Free text for admin actions (e.g. "key version 2 -> 3"); never a value. */
  detail: string | undefined;
}

/** An entry as stored: its chain position and MAC. */
export interface AuditEntry extends AuditEntryInput {
  seq: number;
  mac: Uint8Array;
}

/** The chain's starting point: the "previous MAC" of entry 1. */
export const GENESIS_MAC = new Uint8Array(32);

const CANONICAL_VERSION = 'dodil.audit.v1';

/** An entry's fields in their fixed order (absent ones as null): what the MAC covers and the columns stored. */
export function auditFields(e: AuditEntryInput) {
  return [
    e.timeMs,
    e.requestId,
    e.tokenId ?? null,
    e.orgId ?? null,
    e.org ?? null,
    e.action,
    e.slot ?? null,
    e.code,
    e.clientAddress,
    e.detail ?? null,
  ] as const;
}

/**
 * The bytes an entry's MAC covers: a JSON array in a fixed field order
 * (JSON.stringify of strings, numbers and nulls is deterministic). The
 * position `seq` is included, so moving an entry breaks its MAC.
 */
export function canonicalEntry(seq: number, e: AuditEntryInput): Buffer {
  return Buffer.from(JSON.stringify([CANONICAL_VERSION, seq, ...auditFields(e)]), 'utf8');
}

/** MAC of entry `seq`: HMAC-SHA256(auditKey, prevMac ‖ canonical entry). */
export function entryMac(key: Uint8Array, prevMac: Uint8Array, seq: number, e: AuditEntryInput): Buffer {
  return createHmac('sha256', key).update(prevMac).update(canonicalEntry(seq, e)).digest();
}

/** The chain head: how many entries there are and the MAC of the last one. */
export interface AuditHead {
  count: number;
  lastMac: Uint8Array;
}

/** MAC over the head, so the head can't be rewound to hide a cut tail without the audit key. */
export function headMac(key: Uint8Array, head: AuditHead): Buffer {
  const count = Buffer.alloc(8);
  count.writeBigUInt64BE(BigInt(head.count));
  return createHmac('sha256', key)
    .update('dodil.audit.head.v1\0')
    .update(count)
    .update(head.lastMac)
    .digest();
}

/** Stored form of the head: count (8 bytes, big-endian) ‖ last MAC (32) ‖ head MAC (32). */
export function encodeHead(key: Uint8Array, head: AuditHead): Buffer {
  const count = Buffer.alloc(8);
  count.writeBigUInt64BE(BigInt(head.count));
  return Buffer.concat([count, head.lastMac, headMac(key, head)]);
}

/** Parses a stored head and checks its MAC; `undefined` when it is malformed or forged. */
export function decodeHead(key: Uint8Array, stored: Uint8Array): AuditHead | undefined {
  if (stored.length !== 72) return undefined;
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const head = { count: Number(buf.readBigUInt64BE(0)), lastMac: buf.subarray(8, 40) };
  return headMac(key, head).equals(buf.subarray(40, 72)) ? head : undefined;
}

const MAX_TEXT = 256;

/** Caps a caller-influenced text field so a hostile request can't bloat the log. */
export function capText(text: string | undefined, max = MAX_TEXT): string | undefined {
  if (text === undefined) return undefined;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
