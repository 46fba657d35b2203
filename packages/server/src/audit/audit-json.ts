import type { AuditEntry } from './audit-entry';

/** An entry as `audit list -o json` and `audit export` print it (one object; the MAC in hex). */
export function auditEntryJson(e: AuditEntry) {
  return {
    seq: e.seq,
    time: new Date(e.timeMs).toISOString(),
    action: e.action,
    code: e.code,
    org: e.org ?? null,
    slot: e.slot ?? null,
    tokenId: e.tokenId ?? null,
    clientAddress: e.clientAddress,
    requestId: e.requestId,
    detail: e.detail ?? null,
    mac: Buffer.from(e.mac).toString('hex'),
  };
}
