import type { AuditLog } from '../audit/audit-log';
import { adminEntry } from '../audit/audited-admin-service';
import { AUDIT_KEY_META, AUDIT_KEY_PURPOSE } from '../audit/audit-setup';
import type { RandomBytes } from '../crypto/aead';
import { TOKEN_PEPPER_META, TOKEN_PEPPER_PURPOSE } from '../crypto/api-token';
import { KEY_CHECK_META, MasterKey } from '../crypto/master-key';
import { dataKeyPurpose } from '../crypto/org-keys';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { Storage, Tx } from '../storage/types';
import { decodeHead, encodeHead } from '../audit/audit-entry';
import { decodeCheckpoint, encodeCheckpoint } from '../audit/audit-checkpoint';
import {
  AUDIT_KEY_HISTORY_META,
  AUDIT_KEY_HISTORY_PURPOSE,
  decodeKeyHistory,
  encodeKeyHistory,
} from '../audit/audit-key-history';

/** Every server key kept in the meta table wrapped by the master key. Add new ones here. */
export const WRAPPED_SERVER_KEYS: ReadonlyArray<{ meta: string; purpose: ReadonlyArray<string> }> = [
  { meta: TOKEN_PEPPER_META, purpose: TOKEN_PEPPER_PURPOSE },
  { meta: AUDIT_KEY_META, purpose: AUDIT_KEY_PURPOSE },
  { meta: AUDIT_KEY_HISTORY_META, purpose: AUDIT_KEY_HISTORY_PURPOSE },
];

/** Dependencies of {@link rotateMasterKey}. */
export interface MasterRotationDeps {
  storage: Pick<Storage, 'keys' | 'write' | 'audit'>;
  master: MasterKey;
  audit: Pick<AuditLog, 'appendInTransaction'>;
  random: RandomBytes;
  clock: Clock;
}

/** What a master key rotation did. */
export interface MasterRotationReport {
  orgKeys: number;
  serverKeys: number;
  /** With `compromised`: the last entry under the old audit key (the new segment's anchor). */
  anchorSeq?: number;
}

/** Options of {@link rotateMasterKey}. */
export interface MasterRotationOptions {
  /**
   * The old master key leaked: also replace the token pepper (every token
   * stops working) and the audit key (a new chain segment anchored to the old
   * head), so neither can be used with the old key and an old backup. The
   * caller then rotates every org's data key (rotate-org) under the new key.
   */
  compromised?: boolean;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * `--compromised`: a fresh token pepper and a fresh audit key under the new
 * master key. The old audit key joins the retired keys (it verifies entries
 * up to `anchorSeq`), and the chain head is re-signed with the new key, so the
 * next entry chains from the anchor's MAC under the new key.
 */
async function replaceServerKeys(
  tx: Tx,
  deps: MasterRotationDeps,
  next: MasterKey,
  anchorSeq: number,
): Promise<void> {
  const keys = deps.storage.keys;
  await keys.putMeta(tx, TOKEN_PEPPER_META, next.wrap(deps.random(32), TOKEN_PEPPER_PURPOSE, deps.random));
  const wrappedAudit = await keys.getMeta(tx, AUDIT_KEY_META);
  if (wrappedAudit === undefined) throw new Error('the audit key is missing');
  const oldAuditKey = deps.master.unwrap(wrappedAudit, AUDIT_KEY_PURPOSE);
  const wrappedHistory = await keys.getMeta(tx, AUDIT_KEY_HISTORY_META);
  const history =
    wrappedHistory === undefined
      ? []
      : decodeKeyHistory(deps.master.unwrap(wrappedHistory, AUDIT_KEY_HISTORY_PURPOSE));
  const newAuditKey = deps.random(32);
  const storedHead = await deps.storage.audit.readHead(tx);
  const head = storedHead === undefined ? undefined : decodeHead(oldAuditKey, storedHead);
  if (head === undefined || head.count !== anchorSeq)
    throw new Error('the audit head does not end at the anchor entry');
  await keys.putMeta(tx, AUDIT_KEY_META, next.wrap(newAuditKey, AUDIT_KEY_PURPOSE, deps.random));
  await keys.putMeta(
    tx,
    AUDIT_KEY_HISTORY_META,
    next.wrap(
      encodeKeyHistory([...history, { lastSeq: anchorSeq, key: oldAuditKey }]),
      AUDIT_KEY_HISTORY_PURPOSE,
      deps.random,
    ),
  );
  await deps.storage.audit.writeHead(tx, encodeHead(newAuditKey, head));
  // A prune checkpoint is verified with the current key: re-sign it too.
  const storedCheckpoint = await deps.storage.audit.readCheckpoint(tx);
  if (storedCheckpoint !== undefined) {
    const checkpoint = decodeCheckpoint(oldAuditKey, storedCheckpoint);
    if (checkpoint === undefined) throw new Error('the audit prune checkpoint is forged or corrupt');
    await deps.storage.audit.writeCheckpoint(tx, encodeCheckpoint(newAuditKey, checkpoint));
  }
}

/**
 * Re-wraps every org data key and every wrapped server key (token pepper,
 * audit key) under a new master key and replaces the key check value, all in
 * ONE transaction: a crash leaves the old key working, never a mix. Each new
 * wrap is opened again before commit. Data keys themselves don't change, so
 * no slot is touched (to replace data keys too, run rotate-org).
 */
export async function rotateMasterKey(
  deps: MasterRotationDeps,
  newKey: Uint8Array,
  options: MasterRotationOptions = {},
): Promise<MasterRotationReport> {
  const next = new MasterKey(newKey);
  if (next.matches(deps.master.checkValue())) {
    throw new AppError('INVALID_ARGUMENT', 'the new master key is the current one');
  }
  const keys = deps.storage.keys;
  const report = await deps.storage.write(async (tx) => {
    const stored = await keys.getMeta(tx, KEY_CHECK_META);
    if (stored === undefined || !deps.master.matches(stored)) {
      throw new AppError('FAILED_PRECONDITION', 'the master key changed while rotating; nothing was changed');
    }
    let orgKeys = 0;
    for (const key of await keys.allKeys(tx)) {
      const purpose = dataKeyPurpose(key.orgId, key.version);
      const dek = deps.master.unwrap(key.wrapped, purpose);
      const wrapped = next.wrap(dek, purpose, deps.random);
      if (!sameBytes(next.unwrap(wrapped, purpose), dek))
        throw new Error('re-wrapped data key does not read back');
      await keys.updateWrapped(tx, key.orgId, key.version, wrapped);
      orgKeys++;
    }
    let serverKeys = 0;
    let anchorSeq: number | undefined;
    if (options.compromised === true) {
      // The anchor: the last entry under the old audit key, recording what happens next.
      anchorSeq = (
        await deps.audit.appendInTransaction(
          tx,
          adminEntry(deps.clock, 'keys.rotate-master', {
            detail: `compromised: re-wrapped ${orgKeys} org data keys; new token pepper (every token revoked); new audit key from the next entry`,
          }),
        )
      ).seq;
      await replaceServerKeys(tx, deps, next, anchorSeq);
      serverKeys = WRAPPED_SERVER_KEYS.length;
    } else {
      for (const { meta, purpose } of WRAPPED_SERVER_KEYS) {
        const old = await keys.getMeta(tx, meta);
        if (old === undefined) continue;
        const material = deps.master.unwrap(old, purpose);
        const wrapped = next.wrap(material, purpose, deps.random);
        if (!sameBytes(next.unwrap(wrapped, purpose), material))
          throw new Error('re-wrapped server key does not read back');
        await keys.putMeta(tx, meta, wrapped);
        serverKeys++;
      }
    }
    await keys.putMeta(tx, KEY_CHECK_META, next.checkValue());
    if (anchorSeq === undefined) {
      await deps.audit.appendInTransaction(
        tx,
        adminEntry(deps.clock, 'keys.rotate-master', {
          detail: `re-wrapped ${orgKeys} org data keys and ${serverKeys} server keys`,
        }),
      );
    }
    return { orgKeys, serverKeys, ...(anchorSeq === undefined ? {} : { anchorSeq }) };
  });
  // The old wrapped forms were zeroed in the pages (secure_delete); move those pages out of the WAL too.
  await keys.compact();
  return report;
}
