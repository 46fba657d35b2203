import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openAuditLog } from './audit/audit-setup';
import { createAuditedAdminService } from './audit/audited-admin-service';
import { createAuditedAuthService } from './audit/audited-auth-service';
import { createAuditedSecretService, createSlotWriteAudit } from './audit/audited-secret-service';
import type { RandomBytes } from './crypto/aead';
import { TOKEN_PEPPER_META, TOKEN_PEPPER_PURPOSE } from './crypto/api-token';
import { KEY_CHECK_META, MasterKey, WrongMasterKeyError } from './crypto/master-key';
import { OrgKeys } from './crypto/org-keys';
import { backupDatabase } from './ops/backup';
import { createKeyBudget } from './ops/key-budget';
import { createKeyGuard, createKeyGuardedSecretService } from './ops/key-guard';
import { rotateMasterKey } from './ops/master-key-rotation';
import { rotateOrgKey } from './ops/org-key-rotation';
import type { Runtime, RuntimeOptions } from './runtime';
import { createAdminService } from './services/admin-service';
import { createAuthService } from './services/auth-service';
import { systemClock } from './services/clock';
import { createSecretService } from './services/secret-service';
import type { SecretCore, SlotWriteEffect } from './services/secret-service';
import { openDatabase } from './storage/database';
import { createSqliteStorage } from './storage/sqlite-storage';
import { createThrottledAuthService } from './throttle/throttled-auth-service';
import { DEFAULT_TOKEN_RATE, createTokenRateLimitedAuthService } from './throttle/token-rate';
import { DEFAULT_AUDIT_MIN_FREE_BYTES, auditDiskFloor } from './audit/disk-floor';

const defaultRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));

/**
 * The server's composition root: every dependency is made and wired here, and
 * nowhere else. Read top to bottom: storage, keys, audit log and key
 * safeguards, then the services, each written as the chain of wrappers in the
 * order a request meets them. Every protocol (REST, gRPC, Connect) and every
 * admin command calls the results, so they all behave alike.
 *
 * Opens the store and checks the master key against the stored key check
 * value, so a wrong key is refused at start instead of failing every read.
 */
export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? defaultRandom;
  const security = options.security ?? {};

  // Storage: one engine behind the contract of storage/types.ts (docs/storage-contract.md).
  const db = openDatabase(options.databaseFile, { nativeBinding: options.nativeBinding });
  const storage = createSqliteStorage(db);
  try {
    // Keys: the master key must be the one this data dir was made with; server keys are wrapped by it.
    const master = new MasterKey(options.masterKey);
    const check = await storage.meta.putIfAbsent(KEY_CHECK_META, master.checkValue());
    if (!master.matches(check)) throw new WrongMasterKeyError('the master key does not open this data directory');
    const wrappedPepper = await storage.meta.putIfAbsent(
      TOKEN_PEPPER_META,
      master.wrap(random(32), TOKEN_PEPPER_PURPOSE, random),
    );
    const pepper = master.unwrap(wrappedPepper, TOKEN_PEPPER_PURPOSE);
    const orgKeys = new OrgKeys(master, storage.orgs, random);
    // Deleted and overwritten cells (old ciphertext, replaced wrapped keys) are zeroed in the file.
    db.pragma('secure_delete = ON');

    // The audit log (HMAC chain, group commit, refused below a free-disk floor) and the two key
    // safeguards.
    const monotonic = security.monotonicNow ?? (() => performance.now());
    const diskFloor = auditDiskFloor(
      options.databaseFile,
      security.auditMinFreeBytes ?? DEFAULT_AUDIT_MIN_FREE_BYTES,
      security.freeBytes,
      monotonic,
    );
    const audit = await openAuditLog({
      ...(diskFloor ? { diskFloor } : {}),
      meta: storage.meta,
      storage,
      master,
      random,
      clock,
      hasOrgs: async (tx) => (await storage.keys.listOrgs(tx)).length > 0,
    });
    const budget = createKeyBudget({
      keys: storage.keys,
      orgKeys,
      audit,
      clock,
      ...(security.rotateKeyAfter === undefined ? {} : { rotateAfter: security.rotateKeyAfter }),
    });
    const guard = createKeyGuard({
      master,
      readCheckValue: () => storage.meta.get(KEY_CHECK_META),
      forgetKeys: () => orgKeys.forget(),
      now: monotonic,
      ...(security.keyCheckIntervalMs === undefined ? {} : { intervalMs: security.keyCheckIntervalMs }),
      ...(security.onSealed ? { onSealed: security.onSealed } : {}),
    });

    // What commits inside every slot write's own transaction: the key-usage check (may move the
    // org to a new data key), then the call's audit entry, whose receipt goes back up to the
    // audit wrapper so it does not record the call a second time.
    const appendWriteEntry = createSlotWriteAudit(audit, clock);
    const inWriteTransaction: SlotWriteEffect = async (tx, ctx, write) => {
      if (write.keyVersion !== undefined) await budget.afterSeal(tx, write.orgId, write.keyVersion);
      return appendWriteEntry(tx, ctx, write);
    };

    // Authentication, as a request meets it: audit → failure throttle → token rate → auth. A valid
    // token is always authenticated before the failure throttle looks at its address (SPEC §4);
    // refusals are audited, identical ones aggregated to one entry a minute per address.
    const onThrottled = security.onThrottled ? { onThrottled: security.onThrottled } : {};
    const auth = createAuditedAuthService(
      createThrottledAuthService(
        createTokenRateLimitedAuthService(createAuthService({ tokens: storage.tokens, orgs: storage.orgs, pepper, clock }), {
          rate: security.tokenRate ?? DEFAULT_TOKEN_RATE,
          clock,
          ...onThrottled,
        }),
        { clock, ...(security.authFailureLimits ? { limits: security.authFailureLimits } : {}), ...onThrottled },
      ),
      audit,
      clock,
    );

    // Secrets, as a request meets them: audit → key guard → grants → secret rules (a refusal by
    // the guard or by grants is itself audited).
    const secretRules: SecretCore = createSecretService({
      slots: storage.slots,
      orgs: storage.orgs,
      keys: orgKeys,
      clock,
      random,
      inWriteTransaction,
      ...(options.onIntegrityFailure ? { onIntegrityFailure: options.onIntegrityFailure } : {}),
    });
    // Grants slot: a per-slot grant check wraps `secretRules` here (SecretCore → SecretCore).
    const grantsChecked: SecretCore = secretRules;
    const secrets = createAuditedSecretService(createKeyGuardedSecretService(grantsChecked, guard), audit, clock);

    // The operator's org and token commands, audited.
    const admin = createAuditedAdminService(
      createAdminService({ orgs: storage.orgs, tokens: storage.tokens, keys: orgKeys, pepper, clock, random }),
      audit,
      clock,
    );

    let closed: Promise<void> | undefined;
    return {
      secrets,
      auth,
      admin,
      audit,
      clock,
      listOrgs: () => storage.orgs.list(),
      rotateOrgKey: (org, rotation) =>
        rotateOrgKey({ storage, orgKeys, budget, audit, random, clock }, org, rotation),
      rotateMasterKey: (newKey, rotation) => rotateMasterKey({ storage, master, audit, random, clock }, newKey, rotation),
      backup: (file) => backupDatabase(db, file, { nativeBinding: options.nativeBinding }),
      async isReady() {
        try {
          await storage.ping();
          // verifyNow re-reads the stored key check value and compares it with this master key.
          return (await guard.verifyNow()) && (await audit.isAppendable());
        } catch {
          return false;
        }
      },
      close() {
        // Entries waiting for their group commit are written (and their callers answered) first.
        closed ??= audit.flush().then(() => storage.close());
        return closed;
      },
      db,
      stores: storage,
      master,
      orgKeys,
      random,
      budget,
      guard,
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}
