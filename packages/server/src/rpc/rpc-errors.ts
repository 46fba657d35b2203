import { Code, ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { GrpcCode, grpcCodeName } from '@dodil/shared';
import { AppError } from '../errors/app-error';
import type { Logger } from '../edge/logger';
import { callInfoOf } from './call-info';

/** The ConnectError (gRPC status) for an AppError: same code, same message. */
export function connectErrorOf(error: AppError): ConnectError {
  const metadata = new Headers();
  // Throttled callers learn when to retry, as REST's Retry-After tells them.
  if (error.retryAfterSeconds !== undefined) metadata.set('retry-after', String(error.retryAfterSeconds));
  // Connect's Code enum uses gRPC's numbers one for one.
  return new ConnectError(error.message, GrpcCode[error.code], metadata);
}

/**
 * The one error mapper of the RPC protocols, as an interceptor around every
 * SecretService handler: AppError keeps its code and message (the gRPC code of
 * docs/contract.md#errors), a ConnectError passes, anything else becomes a generic INTERNAL
 * whose details stay in the server log under the request id. It also records
 * the outcome for the access log.
 */
export function errorMappingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const info = callInfoOf(req.contextValues);
    try {
      const res = await next(req);
      info.code = 'OK';
      return res;
    } catch (err) {
      let mapped: ConnectError;
      if (err instanceof AppError) {
        mapped = connectErrorOf(err);
      } else if (err instanceof ConnectError) {
        mapped = err;
      } else {
        // An Error's text never holds a value in our code; it goes to the log only.
        const e = err instanceof Error ? err : new Error(String(err));
        logger.error({ msg: 'unhandled error', requestId: info.requestId, error: e.name, detail: e.message });
        mapped = new ConnectError(`internal error (request id ${info.requestId})`, Code.Internal);
      }
      info.code = grpcCodeName(mapped.code);
      throw mapped;
    }
  };
}
