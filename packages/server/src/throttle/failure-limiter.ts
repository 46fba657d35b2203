/** Limits of {@link FailureLimiter}. */
export interface FailureLimits {
  /** Failures allowed per window before the address is refused. */
  maxFailures: number;
  windowMs: number;
  /** Addresses remembered at most (see {@link FailureLimiter} for which are forgotten first). */
  maxAddresses: number;
}

/** The documented defaults: 10 failed authentications per rolling minute per address. */
export const DEFAULT_FAILURE_LIMITS: FailureLimits = {
  maxFailures: 10,
  windowMs: 60_000,
  maxAddresses: 10_000,
};

/**
 * Counts failures per key in a sliding window (the times of the last
 * `maxFailures` failures). Memory is bounded: at most `maxAddresses` keys ×
 * `maxFailures` numbers; every operation is O(maxFailures).
 *
 * Keys are kept in two tables: those still counting and those blocked. When
 * the bound is reached the stalest *counting* key is forgotten first, so an
 * attacker can't free a blocked address by spraying failures from thousands
 * of one-off addresses (each of those is itself only counting). Only when
 * every remembered key is blocked is the stalest blocked one dropped.
 */
export class FailureLimiter {
  // Map order is insertion order; a key is re-inserted on each failure, so the first is the stalest.
  readonly #counting = new Map<string, number[]>();
  readonly #blocked = new Map<string, number[]>();

  constructor(
    private readonly limits: FailureLimits,
    private readonly clock: () => number,
  ) {}

  #live(key: string): number[] | undefined {
    const times = this.#counting.get(key) ?? this.#blocked.get(key);
    if (times === undefined) return undefined;
    const now = this.clock();
    const live = times.filter((t) => now - t < this.limits.windowMs);
    if (live.length === times.length) return times;
    this.#counting.delete(key);
    this.#blocked.delete(key);
    if (live.length === 0) return undefined;
    // Fewer live failures than the limit: counting again (re-inserted as its own age allows).
    (live.length >= this.limits.maxFailures ? this.#blocked : this.#counting).set(key, live);
    return live;
  }

  /** Seconds until `key` may fail again without being refused, or 0 when it may now. */
  retryAfterSeconds(key: string): number {
    const live = this.#live(key);
    if (live === undefined || live.length < this.limits.maxFailures) return 0;
    const now = this.clock();
    // Blocked until the oldest counted failure leaves the window.
    const oldest = live[live.length - this.limits.maxFailures] ?? now;
    return Math.max(1, Math.ceil((oldest + this.limits.windowMs - now) / 1000));
  }

  /** Counts one failure of `key`. */
  fail(key: string): void {
    const times = this.#live(key) ?? [];
    times.push(this.clock());
    if (times.length > this.limits.maxFailures) times.splice(0, times.length - this.limits.maxFailures);
    this.#counting.delete(key);
    this.#blocked.delete(key);
    (times.length >= this.limits.maxFailures ? this.#blocked : this.#counting).set(key, times);
    while (this.size > this.limits.maxAddresses) {
      const table = this.#counting.size > 0 ? this.#counting : this.#blocked;
      const stalest = table.keys().next().value;
      if (stalest === undefined) break;
      table.delete(stalest);
    }
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.#counting.size + this.#blocked.size;
  }

  /** Keys currently refused (for tests and metrics). */
  get blockedSize(): number {
    return this.#blocked.size;
  }
}
