import type { UniversalServerRequest } from '@connectrpc/connect/protocol';
import type { AppError } from '../errors/app-error';
import type { AuthService } from '../services/auth-service';
import type { Principal } from '../services/context';
import { connectErrorOf } from './rpc-errors';

/**
 * The `Authorization` header of a Node request as REST sees it: repeated
 * headers joined with ", " (what the Fetch `Headers` of the REST app do), so
 * two Authorization headers are refused on every protocol alike instead of
 * the first one silently winning (Node's `req.headers` keeps only the first).
 */
export function authorizationOf(req: { rawHeaders: readonly string[] }): string | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === 'authorization') values.push(req.rawHeaders[i + 1] ?? '');
  }
  return values.length === 0 ? undefined : values.join(', ');
}

/** The outcome of authenticating a call from its headers alone. */
export type HeaderAuth = { ok: true; principal: Principal } | { ok: false; error: unknown };

/** Authenticates from headers; never throws. */
export async function authenticateHeaders(
  auth: Pick<AuthService, 'authenticate'>,
  authorization: string | undefined,
  clientAddress: string,
  requestId: string,
): Promise<HeaderAuth> {
  try {
    return { ok: true, principal: await auth.authenticate(authorization, clientAddress, requestId) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The request with its body replaced by one that fails with `error` on the
 * first read: connect then answers the error in the call's own protocol
 * (Connect, gRPC or gRPC-Web), and the caller's body is never read or
 * decoded. An unauthenticated caller thus costs no body buffering at all.
 */
export function refusedBeforeBody(req: UniversalServerRequest, error: AppError): UniversalServerRequest {
  const refusal = connectErrorOf(error);
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return {
        next: () => Promise.reject(refusal),
        return: () => Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
  const header = new Headers(req.header);
  header.delete('content-length');
  return { ...req, header, body };
}
