import type { Database } from 'better-sqlite3';
import type { AuditQueryService } from './audit/audit-query-service';
import type { ConsoleDeps } from './ui/console-deps';
import type { AuditLog, AuditObserver } from './audit/audit-log';
import type { RandomBytes } from './crypto/aead';
import type { MasterKey } from './crypto/master-key';
import type { OrgKeys } from './crypto/org-keys';
import type { KeyBudget } from './ops/key-budget';
import type { KeyGuard } from './ops/key-guard';
import type { ReadinessCheck } from './ops/readiness';
import type { MasterRotationOptions, MasterRotationReport } from './ops/master-key-rotation';
import type { OrgRotationOptions, OrgRotationReport } from './ops/org-key-rotation';
import type { AdminService } from './services/admin-service';
import type { AuthService } from './services/auth-service';
import type { Clock } from './services/clock';
import type { SecretService, SecretServiceDeps } from './services/secret-service';
import type { TokenService } from './services/token-service';
import type { ExchangeService } from './services/oidc/exchange-service';
import type { FetchLike, JwksLimits } from './services/oidc/jwks';
import type { TrustService } from './services/oidc/trust-service';
import type { OrgRecord, Storage } from './storage/types';
import type { FsyncFn } from './storage/wal-sync';
import type { FailureLimits } from './throttle/failure-limiter';
import type { ThrottleReason } from './throttle/throttled-auth-service';

export { openPgRuntime, openRuntime } from './compose';
export { WrongMasterKeyError } from './crypto/master-key';

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
  /**
   * Re-reads the master key from where it came from (the key file; `undefined` when it can't,
   * e.g. a key given in the environment). After `keys rotate-master` elsewhere the server adopts
   * the re-read key if it opens the store, instead of sealing itself.
   */
  readMasterKey?: () => Uint8Array | undefined;
  /** Counts audit entries written and failed (the metrics of docs/contract.md#operating-it). */
  auditObserver?: AuditObserver;
}

/** What {@link openRuntime} needs. */
export interface RuntimeOptions {
  databaseFile: string;
  masterKey: Uint8Array;
  nativeBinding?: unknown;
  clock?: Clock;
  random?: RandomBytes;
  onIntegrityFailure?: SecretServiceDeps['onIntegrityFailure'];
  /** Audit, throttling, key budget and key guard settings (defaults in docs/security.md). */
  security?: SecurityOptions;
  /** How OIDC key sets are fetched (default: the global fetch). */
  fetch?: FetchLike;
  /** JWKS fetch limits (defaults in services/oidc/jwks.ts). */
  jwksLimits?: Partial<JwksLimits>;
  /** Gets each refused token exchange's reason, for the server log (the caller never sees it). */
  onExchangeRefused?: (event: { org: string; reason: string; requestId: string }) => void;
  /** Free bytes below which the data dir counts as full for readiness (default: room for 64 KiB). */
  diskFloorBytes?: number;
  /** The fsync of the SQLite WAL (tests hold or fail it); `fs.fsync` by default. */
  walFsync?: FsyncFn;
}

/**
 * What the server's commands work with: the wrapped services and the
 * operator's actions, never the database underneath. Commands take narrow
 * `Pick<>`s of it.
 */
export interface OperatorRuntime {
  /** The secret rules inside audit and key guard: what every protocol calls. */
  secrets: SecretService;
  /** Authentication inside throttle and audit. */
  auth: AuthService;
  /** Org and token administration, audited. */
  admin: AdminService;
  /** The tokens API (docs/contract.md#least-privilege), audited. */
  tokens: TokenService;
  /** The OIDC token exchange inside throttle and audit. */
  exchange: ExchangeService;
  /** OIDC trust administration, audited. */
  trusts: TrustService;
  audit: AuditLog;
  /** `GET /v1/ignite/audit` and the console's audit page. */
  auditQuery: AuditQueryService;
  /** What the web console adds to the services: sessions, its tokens binding, its audit events. */
  console: Pick<ConsoleDeps, 'sessions' | 'tokens' | 'recordEvent'>;
  clock: Clock;
  listOrgs(): Promise<OrgRecord[]>;
  rotateOrgKey(org: string, options?: OrgRotationOptions): Promise<OrgRotationReport>;
  rotateMasterKey(newKey: Uint8Array, options?: MasterRotationOptions): Promise<MasterRotationReport>;
  /** A consistent copy of the store into `file` (mode 0600) while it serves. */
  backup(file: string): Promise<{ bytes: number }>;
  /** True while {@link OperatorRuntime.readiness} finds no cause. */
  isReady(): Promise<boolean>;
  /** Every server-side reason requests would fail now, as fixed codes (`/readyz`, docs/contract.md#operating-it). */
  readiness: ReadinessCheck;
  /** Writes pending audit entries, waits for transactions in flight, closes the store. */
  close(): Promise<void>;
}

/**
 * An open data directory with everything composed on it. The engine handles
 * (`db`, `storage`, keys) are here for tests that tamper with rows; commands
 * use {@link OperatorRuntime}.
 */
export interface Runtime extends EngineRuntime {
  db: Database;
}

/** What {@link openPgRuntime} needs: the options of {@link RuntimeOptions} but the data dir's file. */
export interface PgRuntimeOptions extends Omit<RuntimeOptions, 'databaseFile'> {
  /** Listen for other replicas' changes (default true). */
  watchChanges?: boolean;
}

/** A runtime on either engine (the SQLite one adds its `db` handle: {@link Runtime}). */
export interface EngineRuntime extends OperatorRuntime {
  stores: Storage;
  master: MasterKey;
  orgKeys: OrgKeys;
  random: RandomBytes;
  budget: KeyBudget;
  guard: KeyGuard;
}
