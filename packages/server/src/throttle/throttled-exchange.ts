import { AppError } from '../errors/app-error';
import type { ExchangeService } from '../services/oidc/exchange-service';
import { addressKey } from './address-key';
import type { FailureLimiter } from './failure-limiter';

/**
 * The failed-auth throttle around token exchange: a refused exchange counts as
 * a failed authentication of its address (only refused ones), and an address
 * over the limit is refused before any JWT is looked at.
 */
export function createThrottledExchange(inner: ExchangeService, limiter: FailureLimiter): ExchangeService {
  return {
    async exchange(input, call) {
      const key = addressKey(call.clientAddress);
      const wait = limiter.retryAfterSeconds(key);
      if (wait > 0) {
        throw new AppError(
          'RESOURCE_EXHAUSTED',
          `too many failed authentications from this address; retry in ${wait}s`,
          wait,
        );
      }
      try {
        return await inner.exchange(input, call);
      } catch (err) {
        if (err instanceof AppError && err.code === 'UNAUTHENTICATED') limiter.fail(key);
        throw err;
      }
    },
  };
}
