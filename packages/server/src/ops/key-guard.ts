import { AppError } from '../errors/app-error';
import type { MasterKey } from '../crypto/master-key';
import type { SecretCore } from '../services/secret-service';

/** Refusal once the master key this server holds no longer opens the store. */
const sealedError = () =>
  new AppError('UNAVAILABLE', 'the master key was rotated; restart the server with the new master key');

/** Notices a master key rotation made by another process and stops serving. */
export interface KeyGuard {
  /** Throws UNAVAILABLE once sealed; re-reads the stored key check value at most once per interval. */
  check(): Promise<void>;
  /** Re-reads the key check value now; false (and sealed for good) when it isn't ours. */
  verifyNow(): Promise<boolean>;
}

/** Dependencies of {@link createKeyGuard}. */
export interface KeyGuardDeps {
  master: MasterKey;
  /** The stored key check value. */
  readCheckValue: () => Promise<Uint8Array | undefined>;
  /** Drops cached data keys when sealing. */
  forgetKeys: () => void;
  /** Monotonic milliseconds (not the wall clock, which tests freeze). */
  now: () => number;
  intervalMs?: number;
  onSealed?: () => void;
  /**
   * Called when the stored check value is no longer this key's: may adopt a new master key (e.g.
   * re-read from the key file) and resolve true when it now matches `stored`; the server then
   * keeps serving instead of sealing (a rotation reaches running replicas without a restart).
   */
  reloadKey?: (stored: Uint8Array) => Promise<boolean>;
}

/**
 * A server keeps unwrapped data keys in memory, so after `keys rotate-master`
 * in another process it could go on serving with the old master key. The
 * guard re-reads the key check value (one indexed read) at most every
 * `intervalMs` on the request path; once it differs, the server seals itself:
 * cached keys are dropped, every call is refused and /readyz answers 503.
 */
export function createKeyGuard(deps: KeyGuardDeps): KeyGuard {
  const interval = deps.intervalMs ?? 1000;
  let sealed = false;
  let lastCheck = -Infinity;

  async function verifyNow(): Promise<boolean> {
    if (sealed) return false;
    lastCheck = deps.now();
    let stored: Uint8Array | undefined;
    try {
      stored = await deps.readCheckValue();
    } catch {
      return true; // a database hiccup is not a key change; the call itself will fail if it persists
    }
    if (stored !== undefined && deps.master.matches(stored)) return true;
    if (
      stored !== undefined &&
      deps.reloadKey !== undefined &&
      (await deps.reloadKey(stored).catch(() => false))
    )
      return true;
    sealed = true;
    deps.forgetKeys();
    deps.onSealed?.();
    return false;
  }

  return {
    async check() {
      if (sealed) throw sealedError();
      if (deps.now() - lastCheck >= interval && !(await verifyNow())) throw sealedError();
    },
    verifyNow,
  };
}

/** The secret rules behind the guard: every call is refused once the guard has sealed the server. */
export function createKeyGuardedSecretService(inner: SecretCore, guard: Pick<KeyGuard, 'check'>): SecretCore {
  return {
    async create(ctx, input) {
      await guard.check();
      return inner.create(ctx, input);
    },
    async get(ctx, name) {
      await guard.check();
      return inner.get(ctx, name);
    },
    async list(ctx, input) {
      await guard.check();
      return inner.list(ctx, input);
    },
    async delete(ctx, name) {
      await guard.check();
      return inner.delete(ctx, name);
    },
    async findRegistry(ctx, host) {
      await guard.check();
      return inner.findRegistry(ctx, host);
    },
  };
}
