/** Limits of {@link FailureLimiter}. */
export interface FailureLimits {
  /** Failures allowed per window before the address is refused. */
  maxFailures: number;
  windowMs: number;
  /** Addresses remembered at most (least recently failed are forgotten first). */
  maxAddresses: number;
}

/** The documented defaults: 10 failed authentications per rolling minute per address. */
export const DEFAULT_FAILURE_LIMITS: FailureLimits = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 };

/**
 * Counts failures per key in a sliding window (the times of the last
 * `maxFailures` failures). Memory is bounded: at most `maxAddresses` keys ×
 * `maxFailures` numbers; every operation is O(maxFailures).
 */
export class FailureLimiter {
  // Map order is insertion order; a key is re-inserted on each failure, so the first is the stalest.
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly limits: FailureLimits,
    private readonly clock: () => number,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterSeconds(key: string): number {
    const times = this.#failures.get(key);
    if (times === undefined) return 0;
    const now = this.clock();
    const live = times.filter((t) => now - t < this.limits.windowMs);
    if (live.length === 0) {
      this.#failures.delete(key);
      return 0;
    }
    if (live.length !== times.length) this.#failures.set(key, live);
    if (live.length < this.limits.maxFailures) return 0;
    // Blocked until the oldest counted failure leaves the window.
    const oldest = live[live.length - this.limits.maxFailures] ?? now;
    return Math.max(1, Math.ceil((oldest + this.limits.windowMs - now) / 1000));
  }

  /** Counts one failure of `key`. */
  fail(key: string): void {
    const now = this.clock();
    const times = (this.#failures.get(key) ?? []).filter((t) => now - t < this.limits.windowMs);
    times.push(now);
    if (times.length > this.limits.maxFailures) times.splice(0, times.length - this.limits.maxFailures);
    this.#failures.delete(key);
    this.#failures.set(key, times);
    while (this.#failures.size > this.limits.maxAddresses) {
      const stalest = this.#failures.keys().next().value;
      if (stalest === undefined) break;
      this.#failures.delete(stalest);
    }
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.#failures.size;
  }
}
