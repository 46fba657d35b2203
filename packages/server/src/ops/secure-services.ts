import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Database } from 'better-sqlite3';
import type { AuditLog } from '../audit/audit-log';
import { openAuditLog } from '../audit/audit-setup';
import { createAuditedAdminService } from '../audit/audited-admin-service';
import { createAuditedAuthService } from '../audit/audited-auth-service';
import { createAuditedSecretService, createSlotWriteAudit } from '../audit/audited-secret-service';
import type { RandomBytes } from '../crypto/aead';
import { KEY_CHECK_META } from '../crypto/master-key';
import type { MasterKey } from '../crypto/master-key';
import type { OrgKeys } from '../crypto/org-keys';
import type { AdminService } from '../services/admin-service';
import type { AuthService } from '../services/auth-service';
import type { Clock } from '../services/clock';
import type { SecretService, SecretServiceDeps } from '../services/secret-service';
import { createSqliteAuditStore } from '../storage/sqlite-audit-store';
import { createSqliteKeyStore } from '../storage/sqlite-key-store';
import type { KeyStore } from '../storage/sqlite-key-store';
import type { MetaStore } from '../storage/types';
import { createThrottledAuthService } from '../throttle/throttled-auth-service';
import type { ThrottleReason } from '../throttle/throttled-auth-service';
import { DEFAULT_TOKEN_RATE, createTokenRateLimitedAuthService } from '../throttle/token-rate';
import type { FailureLimits } from '../throttle/failure-limiter';
import { createKeyBudget } from './key-budget';
import type { KeyBudget } from './key-budget';
import { createKeyGuard, createKeyGuardedSecretService } from './key-guard';
import type { KeyGuard } from './key-guard';

/** Security settings; production runs the documented defaults, tests turn them down. */
export interface SecurityOptions {
  /** Seals per data key before a new version takes over (default 2^30). */
  rotateKeyAfter?: number;
  /** How often the request path re-reads the key check value (default 1000 ms). */
  keyCheckIntervalMs?: number;
  /** Monotonic ms for the key check interval (default `performance.now`). */
  monotonicNow?: () => number;
  /** Failed-authentication limits per address (default 10 per rolling minute). */
  authFailureLimits?: Partial<FailureLimits>;
  /** Called once when the server seals itself after a master key rotation elsewhere. */
  onSealed?: () => void;
  /** Requests per second per token (`--token-rate`, default 1000; 0 = off). */
  tokenRate?: number;
  /** Told of every throttled request (metrics hook). */
  onThrottled?: (reason: ThrottleReason) => void;
  /** Audit writes are refused below this much free disk (default 64 MiB; 0 = off). */
  auditMinFreeBytes?: number;
  /** Free bytes on the database's file system (default: statfs, cached for a second). */
  freeBytes?: () => number;
}

/** The default disk floor of the audit log. */
export const DEFAULT_AUDIT_MIN_FREE_BYTES = 64 * 1024 * 1024;

/** statfs of `dir`, re-read at most once a second (it runs on every audited request). */
function cachedFreeBytes(dir: string, now: () => number): () => number {
  let at = -Infinity;
  let free = Infinity;
  return () => {
    const t = now();
    if (t - at >= 1000) {
      at = t;
      try {
        const s = statfsSync(dir);
        free = s.bavail * s.bsize;
      } catch {
        free = Infinity; // a file system that can't say: don't refuse on a guess
      }
    }
    return free;
  };
}

/** The plain services and what decorating them needs. */
export interface SecureServicesInput {
  db: Database;
  meta: MetaStore;
  master: MasterKey;
  orgKeys: OrgKeys;
  clock: Clock;
  random: RandomBytes;
  options: SecurityOptions;
  makeSecrets: (inWriteTransaction: NonNullable<SecretServiceDeps['inWriteTransaction']>) => SecretService;
  auth: AuthService;
  admin: AdminService;
}

/** The decorated services and the security parts behind them. */
export interface SecureServices {
  secrets: SecretService;
  auth: AuthService;
  admin: AdminService;
  audit: AuditLog;
  keys: KeyStore;
  budget: KeyBudget;
  guard: KeyGuard;
}

/**
 * Wraps the plain services in the security decorators, in the order that
 * matters: audit → failure throttle → token rate → auth (a valid token is
 * always authenticated before the failure throttle looks at its address;
 * refusals are audited, identical ones aggregated to one entry a minute),
 * and audit → key guard → secret rules (a refusal is itself audited). Every
 * protocol calls the results, so REST, gRPC and Connect behave alike.
 */
export async function secureServices(input: SecureServicesInput): Promise<SecureServices> {
  const { db, master, orgKeys, clock, random, options } = input;
  const keys = createSqliteKeyStore(db);
  const minFreeBytes = options.auditMinFreeBytes ?? DEFAULT_AUDIT_MIN_FREE_BYTES;
  const monotonic = options.monotonicNow ?? (() => performance.now());
  const audit = await openAuditLog({
    ...(minFreeBytes > 0 && db.name !== ':memory:'
      ? { diskFloor: { minFreeBytes, freeBytes: options.freeBytes ?? cachedFreeBytes(dirname(db.name), monotonic) } }
      : {}),
    meta: input.meta,
    store: createSqliteAuditStore(db),
    master,
    random,
    clock,
    hasOrgs: () => keys.listOrgs().length > 0,
  });
  const budget = createKeyBudget({
    keys,
    orgKeys,
    audit,
    clock,
    ...(options.rotateKeyAfter === undefined ? {} : { rotateAfter: options.rotateKeyAfter }),
  });
  const guard = createKeyGuard({
    master,
    readCheckValue: () => keys.getMeta(KEY_CHECK_META),
    forgetKeys: () => orgKeys.forget(),
    now: monotonic,
    ...(options.keyCheckIntervalMs === undefined ? {} : { intervalMs: options.keyCheckIntervalMs }),
    ...(options.onSealed ? { onSealed: options.onSealed } : {}),
  });
  const writes = createSlotWriteAudit(audit, clock);
  const plainSecrets = input.makeSecrets((ctx, write) => {
    if (write.keyVersion !== undefined) budget.afterSeal(write.orgId, write.keyVersion);
    writes.inWriteTransaction(ctx, write);
  });
  return {
    secrets: createAuditedSecretService(createKeyGuardedSecretService(plainSecrets, guard), audit, writes, clock),
    auth: createAuditedAuthService(
      createThrottledAuthService(
        createTokenRateLimitedAuthService(input.auth, {
          rate: options.tokenRate ?? DEFAULT_TOKEN_RATE,
          clock,
          ...(options.onThrottled ? { onThrottled: options.onThrottled } : {}),
        }),
        {
          clock,
          ...(options.authFailureLimits ? { limits: options.authFailureLimits } : {}),
          ...(options.onThrottled ? { onThrottled: options.onThrottled } : {}),
        },
      ),
      audit,
      clock,
    ),
    admin: createAuditedAdminService(input.admin, audit, clock),
    audit,
    keys,
    budget,
    guard,
  };
}
