import { AppError } from '../errors/app-error';
import type { AuthService } from '../services/auth-service';
import { addressKey } from './address-key';
import { DEFAULT_FAILURE_LIMITS, FailureLimiter } from './failure-limiter';
import type { FailureLimits } from './failure-limiter';

/** Options of {@link createThrottledAuthService}. */
export interface AuthThrottleOptions {
  limits?: Partial<FailureLimits>;
  /** Milliseconds; injected so tests can move time. */
  clock: () => number;
  /** A limiter shared with other credential checks (failed OIDC exchanges count too). */
  limiter?: FailureLimiter;
}

/**
 * Answers RESOURCE_EXHAUSTED (429 + Retry-After) to an address that failed
 * authentication too often, for every protocol (all call this one service).
 * While refused, even a valid token is refused from that address: answering
 * it would tell a guesser which guess was right. Other addresses are not
 * affected and pay one map lookup.
 */
export function createThrottledAuthService(inner: AuthService, options: AuthThrottleOptions): AuthService {
  const limiter = options.limiter ?? new FailureLimiter({ ...DEFAULT_FAILURE_LIMITS, ...options.limits }, options.clock);
  return {
    async authenticate(authorization, clientAddress, requestId) {
      const key = addressKey(clientAddress);
      const wait = limiter.retryAfterSeconds(key);
      if (wait > 0) {
        throw new AppError('RESOURCE_EXHAUSTED', `too many failed authentications from this address; retry in ${wait}s`, wait);
      }
      try {
        return await inner.authenticate(authorization, clientAddress, requestId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'UNAUTHENTICATED') limiter.fail(key);
        throw err;
      }
    },
  };
}
