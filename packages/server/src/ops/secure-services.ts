import { performance } from 'node:perf_hooks';
import type { Database } from 'better-sqlite3';
import type { AuditLog } from '../audit/audit-log';
import { createAuditQueryService } from '../audit/audit-query-service';
import type { AuditQueryService } from '../audit/audit-query-service';
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
  /** `GET /v1/ignite/audit` and the console's audit page. */
  auditQuery: AuditQueryService;
  keys: KeyStore;
  budget: KeyBudget;
  guard: KeyGuard;
}

/**
 * Wraps the plain services in the security decorators, in the order that
 * matters: throttle → audit → auth (a throttled caller costs no disk write),
 * and audit → key guard → secret rules (a refusal is itself audited). Every
 * protocol calls the results, so REST, gRPC and Connect behave alike.
 */
export async function secureServices(input: SecureServicesInput): Promise<SecureServices> {
  const { db, master, orgKeys, clock, random, options } = input;
  const keys = createSqliteKeyStore(db);
  const audit = await openAuditLog({
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
    now: options.monotonicNow ?? (() => performance.now()),
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
    auth: createThrottledAuthService(createAuditedAuthService(input.auth, audit, clock), {
      clock,
      ...(options.authFailureLimits ? { limits: options.authFailureLimits } : {}),
    }),
    admin: createAuditedAdminService(input.admin, audit, clock),
    audit,
    auditQuery: createAuditQueryService(audit, clock),
    keys,
    budget,
    guard,
  };
}
