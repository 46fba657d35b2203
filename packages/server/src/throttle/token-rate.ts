import { AppError } from '../errors/app-error';
import type { AuthService } from '../services/auth-service';
import type { ThrottleReason } from './throttled-auth-service';

/** The documented default of `--token-rate`: requests per second per token per process. */
export const DEFAULT_TOKEN_RATE = 1000;
/** Buckets remembered at most; the least recently used is forgotten first (it is the fullest). */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * A token bucket per key: `rate` per second, bursts up to one second's worth.
 * `take` answers 0 when the call may go ahead, else the seconds to wait.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: number,
    private readonly clock: () => number,
  ) {}

  /** Takes one token of `key`'s bucket: 0 when granted, else whole seconds until one is there. */
  take(key: string): number {
    const now = this.clock();
    const old = this.#buckets.get(key);
    const refilled =
      old === undefined ? this.rate : Math.min(this.rate, old.tokens + ((now - old.atMs) / 1000) * this.rate);
    this.#buckets.delete(key);
    if (refilled < 1) {
      this.#buckets.set(key, { tokens: refilled, atMs: now });
      return Math.max(1, Math.ceil((1 - refilled) / this.rate));
    }
    this.#buckets.set(key, { tokens: refilled - 1, atMs: now });
    if (this.#buckets.size > MAX_BUCKETS) {
      const stalest = this.#buckets.keys().next().value;
      if (stalest !== undefined) this.#buckets.delete(stalest);
    }
    return 0;
  }
}

/** Options of {@link createTokenRateLimitedAuthService}. */
export interface TokenRateOptions {
  /** Requests per second per token; 0 turns the cap off. */
  rate: number;
  clock: () => number;
  onThrottled?: (reason: ThrottleReason) => void;
}

/**
 * Caps each token's request rate (docs/contract.md#server `--token-rate`): past it the call
 * is refused with RESOURCE_EXHAUSTED (429 + Retry-After) before any service
 * runs, so one leaked or looping token can't flood the store or the audit log.
 */
export function createTokenRateLimitedAuthService(
  inner: AuthService,
  options: TokenRateOptions,
): AuthService {
  if (options.rate <= 0) return inner;
  const buckets = new TokenBuckets(options.rate, options.clock);
  return {
    async authenticate(authorization, clientAddress, requestId) {
      const principal = await inner.authenticate(authorization, clientAddress, requestId);
      const wait = buckets.take(principal.tokenId);
      if (wait > 0) {
        options.onThrottled?.('token-rate');
        throw new AppError(
          'RESOURCE_EXHAUSTED',
          `this token exceeded its request rate; retry in ${wait}s`,
          wait,
        );
      }
      return principal;
    },
  };
}
