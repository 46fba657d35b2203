import type { AuditLog } from '../audit/audit-log';
import { adminEntry } from '../audit/audited-admin-service';
import type { OrgKeys } from '../crypto/org-keys';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { KeyStore } from '../storage/key-store';
import type { Tx } from '../storage/types';

/** NIST SP 800-38D §8.3: at most 2^32 invocations of GCM with random 96-bit nonces per key. */
export const RANDOM_NONCE_LIMIT = 2 ** 32;

/**
 * Seals after which an org's current data key is replaced: 2^30, a quarter of
 * the NIST bound (the chance of any nonce repeating among 2^30 random 96-bit
 * nonces is about 2^-37). Vault rotates at 0.9 × 2^32.
 */
export const DEFAULT_ROTATE_AFTER = 2 ** 30;

/** Watches data key usage and replaces a key before it nears the nonce bound. */
export interface KeyBudget {
  /**
   * Runs in the transaction that just counted a seal with (org, version):
   * at the threshold a new version becomes current (new writes go there);
   * past the NIST bound the write is refused and rolled back.
   */
  afterSeal(tx: Tx, orgId: string, version: number): Promise<void>;
}

/** Dependencies of {@link createKeyBudget}. */
export interface KeyBudgetDeps {
  keys: Pick<KeyStore, 'encryptions' | 'orgById' | 'maxVersion' | 'insertKey' | 'setCurrentVersion'>;
  orgKeys: Pick<OrgKeys, 'create'>;
  audit: Pick<AuditLog, 'appendInTransaction'>;
  clock: Clock;
  rotateAfter?: number;
}

/** Creates the {@link KeyBudget}. */
export function createKeyBudget(deps: KeyBudgetDeps): KeyBudget {
  const rotateAfter = Math.min(deps.rotateAfter ?? DEFAULT_ROTATE_AFTER, RANDOM_NONCE_LIMIT);
  return {
    async afterSeal(tx, orgId, version) {
      const used = await deps.keys.encryptions(tx, orgId, version);
      if (used === undefined || used < rotateAfter) return;
      if (used > RANDOM_NONCE_LIMIT) {
        throw new AppError('UNAVAILABLE', 'the data key reached its use limit; the write was refused');
      }
      const org = await deps.keys.orgById(tx, orgId);
      // Writes that began before another one rotated still land on the old key: a handful past the
      // threshold, never near the bound. Only the current key is replaced, once.
      if (org === undefined || org.currentKeyVersion !== version) return;
      const next = (await deps.keys.maxVersion(tx, orgId)) + 1;
      await deps.keys.insertKey(tx, deps.orgKeys.create(orgId, next, deps.clock()));
      await deps.keys.setCurrentVersion(tx, orgId, next);
      await deps.audit.appendInTransaction(
        tx,
        adminEntry(deps.clock, 'keys.rotate-auto', {
          org: org.name,
          orgId,
          clientAddress: 'server',
          detail: `data key version ${version} sealed ${used} values; new writes use version ${next}`,
        }),
      );
    },
  };
}
