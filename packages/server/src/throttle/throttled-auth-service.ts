import { AppError } from '../errors/app-error';
import type { AuthService } from '../services/auth-service';
import { addressKey } from './address-key';
import { DEFAULT_FAILURE_LIMITS, FailureLimiter } from './failure-limiter';
import type { FailureLimits } from './failure-limiter';

/** Why a request was throttled (for metrics; never a token or address). */
export type ThrottleReason = 'auth-failures' | 'token-rate';

/** Options of {@link createThrottledAuthService}. */
export interface AuthThrottleOptions {
  limits?: Partial<FailureLimits>;
  /** Milliseconds; injected so tests can move time. */
  clock: () => number;
  /** Told of every refused attempt (metrics hook). */
  onThrottled?: (reason: ThrottleReason) => void;
  /** A limiter shared with other credential checks (failed OIDC exchanges count too). */
  limiter?: FailureLimiter;
}

/**
 * Answers RESOURCE_EXHAUSTED (429 + Retry-After) to a *failing* attempt from
 * an address that failed authentication too often, for every protocol (all
 * call this one service). A valid token is always served, whoever shares its
 * address (docs/contract.md#server): behind a NAT or a reverse proxy one noisy client must not
 * lock out the others. Tokens carry 256 random bits, so letting a blocked
 * address learn that a guess was right gives a guesser nothing. Only failures
 * are counted; a refused failure is not counted again.
 */
export function createThrottledAuthService(inner: AuthService, options: AuthThrottleOptions): AuthService {
  const limiter =
    options.limiter ?? new FailureLimiter({ ...DEFAULT_FAILURE_LIMITS, ...options.limits }, options.clock);
  return {
    async authenticate(authorization, clientAddress, requestId) {
      try {
        return await inner.authenticate(authorization, clientAddress, requestId);
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'UNAUTHENTICATED')) throw err;
        const key = addressKey(clientAddress);
        const wait = limiter.retryAfterSeconds(key);
        if (wait > 0) {
          options.onThrottled?.('auth-failures');
          throw new AppError(
            'RESOURCE_EXHAUSTED',
            `too many failed authentications from this address; retry in ${wait}s`,
            wait,
          );
        }
        limiter.fail(key);
        throw err;
      }
    },
  };
}
