import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAuditQueryService } from './audit/audit-query-service';
import { consoleEventRecorder } from './ui/console-audit';
import { consoleTokensFrom } from './ui/console-tokens';
import { createSessionService } from './ui/session-service';
import { openAuditLog } from './audit/audit-setup';
import { createAuditedAdminService } from './audit/audited-admin-service';
import { createAuditedAuthService } from './audit/audited-auth-service';
import { createAuditedSecretService, createSlotWriteAudit } from './audit/audited-secret-service';
import { createAuditedExchange } from './audit/audited-exchange';
import { createAuditedTokenService } from './audit/audited-token-service';
import { createAuditedTrustService } from './audit/audited-trust-service';
import type { RandomBytes } from './crypto/aead';
import { TOKEN_PEPPER_META, TOKEN_PEPPER_PURPOSE } from './crypto/api-token';
import { KEY_CHECK_META, MasterKey, WrongMasterKeyError } from './crypto/master-key';
import { OrgKeys } from './crypto/org-keys';
import { backupDatabase } from './ops/backup';
import { createKeyBudget } from './ops/key-budget';
import { createKeyGuard, createKeyGuardedSecretService } from './ops/key-guard';
import { rotateMasterKey } from './ops/master-key-rotation';
import { rotateOrgKey } from './ops/org-key-rotation';
import type { EngineRuntime, PgRuntimeOptions, Runtime, RuntimeOptions } from './runtime';
import { backupPgStore } from './ops/pg-backup';
import { createReadinessCheck, diskWritable } from './ops/readiness';
import { openPgStorage } from './storage/pg/pg-storage';
import type { Storage } from './storage/types';
import { createAdminService } from './services/admin-service';
import { createAuthService } from './services/auth-service';
import { systemClock } from './services/clock';
import { createExchangeService } from './services/oidc/exchange-service';
import { createKeySources } from './services/oidc/key-sources';
import { createTrustService } from './services/oidc/trust-service';
import { createSecretService } from './services/secret-service';
import { createTokenService } from './services/token-service';
import type { SecretCore, SlotWriteEffect } from './services/secret-service';
import { openDatabase } from './storage/database';
import { createSqliteStorage } from './storage/sqlite-storage';
import { DEFAULT_FAILURE_LIMITS, FailureLimiter } from './throttle/failure-limiter';
import { createThrottledAuthService } from './throttle/throttled-auth-service';
import { DEFAULT_TOKEN_RATE, createTokenRateLimitedAuthService } from './throttle/token-rate';
import { auditDiskFloor } from './audit/disk-floor';
import { createThrottledExchange } from './throttle/throttled-exchange';

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
  // Storage: one engine behind the contract of storage/types.ts (docs/storage-contract.md).
  const db = openDatabase(options.databaseFile, { nativeBinding: options.nativeBinding });
  // Deleted and overwritten cells (old ciphertext, replaced wrapped keys) are zeroed in the file.
  db.pragma('secure_delete = ON');
  const runtime = await composeRuntime(createSqliteStorage(db, { fsync: options.walFsync }), options, {
    backup: (file) => backupDatabase(db, file, { nativeBinding: options.nativeBinding }),
    // The disk the audit log is written to: readiness watches its free space.
    ...(options.databaseFile === ':memory:' ? {} : { dataDir: dirname(options.databaseFile) }),
  });
  return { ...runtime, db };
}

/**
 * {@link openRuntime} on PostgreSQL (docs/contract.md#storage-engines-and-high-availability): the same composition over the PostgreSQL engine,
 * whose change feed drops this replica's unwrapped data keys when any replica or admin command
 * rotates an org key or re-wraps keys (token verifications follow `changeStamp`).
 */
export async function openPgRuntime(url: string, options: PgRuntimeOptions): Promise<EngineRuntime> {
  const storage = await openPgStorage(url, { watch: options.watchChanges ?? true });
  return composeRuntime(storage, options, {
    backup: (file) => backupPgStore(storage, file, { nativeBinding: options.nativeBinding }),
    // Data keys are immutable per version; dropping the cache after another replica's org key
    // rotation only makes this one re-read them. A master re-wrap is the key guard's business.
    watchKeys: (forget) => storage.onChange((kind) => kind === 'org-key' && forget()),
  });
}

/** What differs between engines below the composition. */
interface EngineHooks {
  backup(file: string): Promise<{ bytes: number }>;
  /** Subscribes `forget` to key changes made elsewhere (other replicas share the database). */
  watchKeys?(forget: () => void): void;
  /** The local directory an embedded engine writes to (readiness checks its free space). */
  dataDir?: string;
}

async function composeRuntime(
  storage: Storage,
  options: Omit<RuntimeOptions, 'databaseFile'>,
  engine: EngineHooks,
): Promise<EngineRuntime> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? defaultRandom;
  const security = options.security ?? {};
  try {
    // Keys: the master key must be the one this data dir was made with; server keys are wrapped by it.
    const master = new MasterKey(options.masterKey);
    const check = await storage.meta.putIfAbsent(KEY_CHECK_META, master.checkValue());
    if (!master.matches(check))
      throw new WrongMasterKeyError('the master key does not open this data directory');
    const wrappedPepper = await storage.meta.putIfAbsent(
      TOKEN_PEPPER_META,
      master.wrap(random(32), TOKEN_PEPPER_PURPOSE, random),
    );
    const pepper = master.unwrap(wrappedPepper, TOKEN_PEPPER_PURPOSE);
    const orgKeys = new OrgKeys(master, storage.orgs, random);
    engine.watchKeys?.(() => orgKeys.forget());

    // The audit log (HMAC chain, group commit, refused below a free-disk floor) and the two key
    // safeguards.
    const monotonic = security.monotonicNow ?? (() => performance.now());
    const diskFloor = auditDiskFloor(
      engine.dataDir,
      security.auditMinFreeBytes,
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
      ...(security.auditObserver ? { observer: security.auditObserver } : {}),
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
      // A key source to re-read (the key file): the new key is adopted when it opens the store.
      reloadKey: async (stored) => {
        const next = security.readMasterKey?.();
        if (next === undefined || !new MasterKey(next).matches(stored)) return false;
        master.adopt(next);
        return true;
      },
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
    // token is always authenticated before the failure throttle looks at its address (docs/contract.md#server);
    // refusals are audited, identical ones aggregated to one entry a minute per address.
    // One failed-auth limiter per process: bad bearer tokens and refused OIDC exchanges count together.
    const failures = new FailureLimiter({ ...DEFAULT_FAILURE_LIMITS, ...security.authFailureLimits }, clock);
    const onThrottled = security.onThrottled ? { onThrottled: security.onThrottled } : {};
    const auth = createAuditedAuthService(
      createThrottledAuthService(
        createTokenRateLimitedAuthService(
          createAuthService({ tokens: storage.tokens, orgs: storage.orgs, pepper, clock }),
          {
            rate: security.tokenRate ?? DEFAULT_TOKEN_RATE,
            clock,
            ...onThrottled,
          },
        ),
        { clock, limiter: failures, ...onThrottled },
      ),
      audit,
      clock,
    );

    // The OIDC token exchange (no bearer yet), as a request meets it: throttle → audit → the
    // checks of services/oidc (signature by the trust's own keys, claims, single-use jti).
    const keySources = createKeySources(
      options.fetch ?? ((url, init) => fetch(url, init)),
      options.jwksLimits,
    );
    const exchange = createThrottledExchange(
      createAuditedExchange(
        createExchangeService({
          orgs: storage.orgs,
          trusts: storage.trusts,
          tokens: storage.tokens,
          keys: keySources,
          pepper,
          clock,
          random,
        }),
        audit,
        clock,
        options.onExchangeRefused,
      ),
      failures,
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
    // Slot grants are checked inside the secret rules (services/grants.ts: `slotAllowed`), where
    // ListSecrets can filter while paging and the registry lookup skips ungranted rows unopened.
    const secrets = createAuditedSecretService(
      createKeyGuardedSecretService(secretRules, guard),
      audit,
      clock,
    );

    // The operator's org and token commands, audited.
    const admin = createAuditedAdminService(
      createAdminService({
        orgs: storage.orgs,
        tokens: storage.tokens,
        keys: orgKeys,
        pepper,
        clock,
        random,
      }),
      audit,
      clock,
    );
    // The tokens API (minted tokens never broader than their minter) and the trusts, audited.
    const tokens = createAuditedTokenService(
      createTokenService({ tokens: storage.tokens, pepper, clock, random }),
      audit,
      clock,
    );
    const trusts = createAuditedTrustService(
      createTrustService({ orgs: storage.orgs, trusts: storage.trusts, keys: keySources, clock, random }),
      audit,
      clock,
    );

    // Readiness (docs/contract.md#operating-it): every server-side cause, as fixed codes, in the order they matter.
    const dataDir = engine.dataDir;
    const readiness = createReadinessCheck([
      {
        cause: 'DATABASE_UNREACHABLE',
        healthy: async () => {
          await storage.ping();
          return true;
        },
      },
      // verifyNow re-reads the stored key check value and compares it with this master key.
      { cause: 'MASTER_KEY_INVALID', after: 'DATABASE_UNREACHABLE', healthy: () => guard.verifyNow() },
      { cause: 'AUDIT_CHAIN_BROKEN', after: 'DATABASE_UNREACHABLE', healthy: () => audit.isAppendable() },
      // The same floor the audit log refuses writes below (issue 13 item 2).
      {
        cause: 'AUDIT_UNWRITABLE',
        healthy: () => {
          if (diskFloor !== undefined && diskFloor.freeBytes() < diskFloor.minFreeBytes) return 'DISK_FULL';
          return (
            dataDir === undefined || diskWritable(dataDir, options.diskFloorBytes ?? diskFloor?.minFreeBytes)
          );
        },
      },
    ]);

    // The audit API's reads (scope ReadAudit; slot visibility through services/slot-access.ts).
    const auditQuery = createAuditQueryService(audit, clock);

    // The web console: sessions re-check their token through `auth` on every page; every action
    // calls the services above (tokens: the tokens API's service).
    const consoleParts = {
      sessions: createSessionService({ store: storage.sessions, auth, clock, random }),
      tokens: consoleTokensFrom(tokens),
      recordEvent: consoleEventRecorder(audit, clock),
    };

    let closed: Promise<void> | undefined;
    return {
      secrets,
      auth,
      admin,
      tokens,
      exchange,
      trusts,
      audit,
      auditQuery,
      console: consoleParts,
      clock,
      listOrgs: () => storage.orgs.list(),
      rotateOrgKey: (org, rotation) =>
        rotateOrgKey({ storage, orgKeys, budget, audit, random, clock }, org, rotation),
      rotateMasterKey: (newKey, rotation) =>
        rotateMasterKey({ storage, master, audit, random, clock }, newKey, rotation),
      backup: (file) => engine.backup(file),
      readiness,
      async isReady() {
        return (await readiness()).length === 0;
      },
      close() {
        // Entries waiting for their group commit are written (and their callers answered) first.
        closed ??= audit.flush().then(() => storage.close());
        return closed;
      },
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
