import type { AuditLog } from '../audit/audit-log';
import { adminEntry } from '../audit/audited-admin-service';
import type { RandomBytes } from '../crypto/aead';
import type { OrgKeys } from '../crypto/org-keys';
import { openSlotValue, sealSlotValue } from '../crypto/slot-cipher';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { Storage } from '../storage/types';
import type { KeyBudget } from './key-budget';

/** Dependencies of {@link rotateOrgKey}. */
export interface OrgRotationDeps {
  storage: Pick<Storage, 'keys' | 'write' | 'read'>;
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
  const { storage } = deps;
  const keys = storage.keys;
  const org = await storage.read((tx) => keys.orgByName(tx, orgName));
  if (org === undefined) throw new AppError('NOT_FOUND', `org ${orgName} not found`);

  const { fromVersion, toVersion } = await storage.write(async (tx) => {
    const current = (await keys.orgById(tx, org.id))?.currentKeyVersion ?? org.currentKeyVersion;
    const next = (await keys.maxVersion(tx, org.id)) + 1;
    await keys.insertKey(tx, deps.orgKeys.create(org.id, next, deps.clock()));
    await keys.setCurrentVersion(tx, org.id, next);
    await deps.audit.appendInTransaction(
      tx,
      adminEntry(deps.clock, 'keys.rotate-org', {
        org: org.name,
        orgId: org.id,
        detail: `data key version ${current} -> ${next}`,
      }),
    );
    return { fromVersion: current, toVersion: next };
  });

  let reencrypted = 0;
  let stalls = 0;
  const unreadable = new Set<string>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let after = '';
    for (;;) {
      // Keys are unwrapped outside the transaction (OrgKeys is async); a version born since is
      // picked up on the next round.
      const deks = new Map<number, Uint8Array>();
      for (const v of await storage.read((tx) => keys.versions(tx, org.id))) {
        try {
          deks.set(v, await deps.orgKeys.get(org.id, v));
        } catch {
          // A key that doesn't unwrap: its slots are reported unreadable below.
        }
      }
      const batch = await storage.write(async (tx) => {
        // The current version can move on under us (the key budget); always seal under the newest.
        const target = (await keys.orgById(tx, org.id))?.currentKeyVersion ?? toVersion;
        const dek = deks.get(target);
        if (dek === undefined) return { last: after, sealed: 0 };
        // Rows at the rotation's version or newer are fresh already; only older ones are re-sealed.
        const rows = await keys.slotsBelow(tx, org.id, toVersion, after, batchSize);
        let sealed = 0;
        let last: string | undefined;
        for (const row of rows) {
          const old = deks.get(row.keyVersion);
          let value;
          try {
            if (old === undefined) throw new Error('its data key is missing');
            value = openSlotValue(old, row, row.ciphertext);
          } catch {
            unreadable.add(row.name);
            last = row.name;
            continue;
          }
          const binding = { orgId: row.orgId, name: row.name, type: row.type, keyVersion: target };
          await keys.reseal(tx, row.orgId, row.name, target, sealSlotValue(dek, binding, value, deps.random));
          await keys.countEncryptions(tx, org.id, target, 1);
          sealed++;
          last = row.name;
          // Counted seal by seal, so re-encrypting a large org can't run a key past its budget:
          // when the budget moves the org to a newer key, this batch ends and the next uses it.
          await deps.budget.afterSeal(tx, org.id, target);
          if ((await keys.orgById(tx, org.id))?.currentKeyVersion !== target) break;
        }
        return { last, sealed };
      });
      reencrypted += batch.sealed;
      if (batch.last === undefined) break;
      if (batch.last === after && batch.sealed === 0) {
        if (++stalls > 100) throw new Error('the current data key of the org does not unwrap');
        await pause();
        continue;
      }
      after = batch.last;
      await pause();
    }
    // Writes that raced the switch may have landed on an old version; another pass picks them up.
    if ((await storage.read((tx) => keys.countSlotsBelow(tx, org.id, toVersion))) <= unreadable.size) break;
  }

  let dropped: number[] = [];
  if (options.dropOld ?? true) {
    dropped = await storage.write(async (tx) => {
      const current = (await keys.orgById(tx, org.id))?.currentKeyVersion ?? toVersion;
      const gone = await keys.dropUnused(tx, org.id, current);
      if (gone.length > 0) {
        await deps.audit.appendInTransaction(
          tx,
          adminEntry(deps.clock, 'keys.drop-old', {
            org: org.name,
            orgId: org.id,
            detail: `dropped data key versions ${gone.join(',')}`,
          }),
        );
      }
      return gone;
    });
    await keys.compact();
  }
  return { org: org.name, fromVersion, toVersion, reencrypted, unreadable: [...unreadable].sort(), dropped };
}
