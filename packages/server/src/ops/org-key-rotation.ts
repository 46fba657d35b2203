import type { AuditLog } from '../audit/audit-log';
import { adminEntry } from '../audit/audited-admin-service';
import type { RandomBytes } from '../crypto/aead';
import type { OrgKeys } from '../crypto/org-keys';
import { openSlotValue, sealSlotValue } from '../crypto/slot-cipher';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { KeyStore } from '../storage/sqlite-key-store';
import type { KeyBudget } from './key-budget';

/** Dependencies of {@link rotateOrgKey}. */
export interface OrgRotationDeps {
  keys: KeyStore;
  orgKeys: Pick<OrgKeys, 'create' | 'get'>;
  budget: KeyBudget;
  audit: Pick<AuditLog, 'appendInTransaction'>;
  random: RandomBytes;
  clock: Clock;
}

/** Options of {@link rotateOrgKey}. */
export interface OrgRotationOptions {
  /** Slots re-encrypted per transaction (short transactions keep the server's writes flowing). */
  batchSize?: number;
  /** Drop key versions no slot uses any more (default true). */
  dropOld?: boolean;
  /** Called between batches; lets other work run. */
  pause?: () => Promise<void>;
}

/** What an org key rotation did. */
export interface OrgRotationReport {
  org: string;
  fromVersion: number;
  toVersion: number;
  reencrypted: number;
  /** Slots that failed their integrity check and keep their old key (named, never their values). */
  unreadable: string[];
  dropped: number[];
}

const MAX_PASSES = 3;

/**
 * Replaces an org's data key online: a new version becomes current at once
 * (new writes use it), then every slot is re-encrypted under it in small
 * transactions, then versions no slot uses are dropped. A reader holding an
 * old row still finds its key until that row is re-encrypted, so reads never
 * fail during the rotation.
 */
export async function rotateOrgKey(
  deps: OrgRotationDeps,
  orgName: string,
  options: OrgRotationOptions = {},
): Promise<OrgRotationReport> {
  const batchSize = options.batchSize ?? 64;
  const pause = options.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const org = deps.keys.orgByName(orgName);
  if (org === undefined) throw new AppError('NOT_FOUND', `org ${orgName} not found`);

  const { fromVersion, toVersion } = deps.keys.transaction(() => {
    const current = deps.keys.orgById(org.id)?.currentKeyVersion ?? org.currentKeyVersion;
    const next = deps.keys.maxVersion(org.id) + 1;
    deps.keys.insertKey(deps.orgKeys.create(org.id, next, deps.clock()));
    deps.keys.setCurrentVersion(org.id, next);
    deps.audit.appendInTransaction(
      adminEntry(deps.clock, 'keys.rotate-org', { org: org.name, orgId: org.id, detail: `data key version ${current} -> ${next}` }),
    );
    return { fromVersion: current, toVersion: next };
  });

  let reencrypted = 0;
  const unreadable = new Set<string>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let after = '';
    for (;;) {
      // Keys are unwrapped outside the transaction (OrgKeys is async); a version born since is
      // picked up on the next round.
      const deks = new Map<number, Uint8Array>();
      for (const v of deps.keys.versions(org.id)) deks.set(v, await deps.orgKeys.get(org.id, v));
      const batch = deps.keys.transaction(() => {
        // The current version can move on under us (the key budget); always seal under the newest.
        const target = deps.keys.orgById(org.id)?.currentKeyVersion ?? toVersion;
        const dek = deks.get(target);
        if (dek === undefined) return { last: after, sealed: 0 };
        const rows = deps.keys.slotsNotAt(org.id, target, after, batchSize);
        let sealed = 0;
        for (const row of rows) {
          const old = deks.get(row.keyVersion);
          if (old === undefined) continue; // a brand-new version; the next pass sees it
          let value;
          try {
            value = openSlotValue(old, row, row.ciphertext);
          } catch {
            unreadable.add(row.name);
            continue;
          }
          const binding = { orgId: row.orgId, name: row.name, type: row.type, keyVersion: target };
          deps.keys.reseal(row.orgId, row.name, target, sealSlotValue(dek, binding, value, deps.random));
          sealed++;
        }
        if (sealed > 0) {
          deps.keys.countEncryptions(org.id, target, sealed);
          deps.budget.afterSeal(org.id, target);
        }
        return { last: rows.at(-1)?.name, sealed };
      });
      reencrypted += batch.sealed;
      if (batch.last === undefined) break;
      if (batch.last === after && batch.sealed === 0) {
        await pause();
        continue;
      }
      after = batch.last;
      await pause();
    }
    // Writes that raced the switch may have landed on an old version; another pass picks them up.
    const current = deps.keys.orgById(org.id)?.currentKeyVersion ?? toVersion;
    if (deps.keys.countSlotsNotAt(org.id, current) <= unreadable.size) break;
  }

  let dropped: number[] = [];
  if (options.dropOld ?? true) {
    dropped = deps.keys.transaction(() => {
      const current = deps.keys.orgById(org.id)?.currentKeyVersion ?? toVersion;
      const gone = deps.keys.dropUnused(org.id, current);
      if (gone.length > 0) {
        deps.audit.appendInTransaction(
          adminEntry(deps.clock, 'keys.drop-old', { org: org.name, orgId: org.id, detail: `dropped data key versions ${gone.join(',')}` }),
        );
      }
      return gone;
    });
    deps.keys.checkpoint();
  }
  return { org: org.name, fromVersion, toVersion, reencrypted, unreadable: [...unreadable].sort(), dropped };
}
