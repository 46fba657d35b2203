import type { AuditLog } from '../audit/audit-log';
import { adminEntry } from '../audit/audited-admin-service';
import { AUDIT_KEY_META, AUDIT_KEY_PURPOSE } from '../audit/audit-setup';
import type { RandomBytes } from '../crypto/aead';
import { TOKEN_PEPPER_META, TOKEN_PEPPER_PURPOSE } from '../crypto/api-token';
import { KEY_CHECK_META, MasterKey } from '../crypto/master-key';
import { dataKeyPurpose } from '../crypto/org-keys';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { Storage } from '../storage/types';

/** Every server key kept in the meta table wrapped by the master key. Add new ones here. */
export const WRAPPED_SERVER_KEYS: ReadonlyArray<{ meta: string; purpose: ReadonlyArray<string> }> = [
  { meta: TOKEN_PEPPER_META, purpose: TOKEN_PEPPER_PURPOSE },
  { meta: AUDIT_KEY_META, purpose: AUDIT_KEY_PURPOSE },
];

/** Dependencies of {@link rotateMasterKey}. */
export interface MasterRotationDeps {
  storage: Pick<Storage, 'keys' | 'write'>;
  master: MasterKey;
  audit: Pick<AuditLog, 'appendInTransaction'>;
  random: RandomBytes;
  clock: Clock;
}

/** What a master key rotation did. */
export interface MasterRotationReport {
  orgKeys: number;
  serverKeys: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Re-wraps every org data key and every wrapped server key (token pepper,
 * audit key) under a new master key and replaces the key check value, all in
 * ONE transaction: a crash leaves the old key working, never a mix. Each new
 * wrap is opened again before commit. Data keys themselves don't change, so
 * no slot is touched (to replace data keys too, run rotate-org).
 */
export async function rotateMasterKey(deps: MasterRotationDeps, newKey: Uint8Array): Promise<MasterRotationReport> {
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
      if (!sameBytes(next.unwrap(wrapped, purpose), dek)) throw new Error('re-wrapped data key does not read back');
      await keys.updateWrapped(tx, key.orgId, key.version, wrapped);
      orgKeys++;
    }
    let serverKeys = 0;
    for (const { meta, purpose } of WRAPPED_SERVER_KEYS) {
      const old = await keys.getMeta(tx, meta);
      if (old === undefined) continue;
      const material = deps.master.unwrap(old, purpose);
      const wrapped = next.wrap(material, purpose, deps.random);
      if (!sameBytes(next.unwrap(wrapped, purpose), material)) throw new Error('re-wrapped server key does not read back');
      await keys.putMeta(tx, meta, wrapped);
      serverKeys++;
    }
    await keys.putMeta(tx, KEY_CHECK_META, next.checkValue());
    await deps.audit.appendInTransaction(
      tx,
      adminEntry(deps.clock, 'keys.rotate-master', {
        detail: `re-wrapped ${orgKeys} org data keys and ${serverKeys} server keys`,
      }),
    );
    return { orgKeys, serverKeys };
  });
  // The old wrapped forms were zeroed in the pages (secure_delete); move those pages out of the WAL too.
  await keys.compact();
  return report;
}
