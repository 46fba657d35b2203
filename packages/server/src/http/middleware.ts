import type { Context, MiddlewareHandler, Next } from 'hono';
import { routePath } from 'hono/route';
import type { AuthService } from '../services/auth-service';
import type { AppEnv } from './app-env';
import type { ErrorHandler } from './error-body';
import { hasRequestId } from './json-response';
import type { Logger } from './logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's request id when it is sane (1–64 of `A-Za-z0-9._:-`), else a new one; every protocol uses this. */
export function acceptRequestId(incoming: string | undefined, newId: () => string): string {
  return incoming !== undefined && SAFE_REQUEST_ID.test(incoming) ? incoming : newId();
}

/** Where the peer address of a request comes from (the socket, when there is one). */
export type ClientAddressOf = (env: unknown) => string;

/** Reads the remote address from @hono/node-server's bindings (`env.incoming.socket`). */
export const socketClientAddress: ClientAddressOf = (env) => {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
};

/** What {@link requestPipeline} is built from. */
export interface PipelineDeps {
  newId: () => string;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
  /** High-resolution clock for durations (ms). */
  now: () => number;
  auth: Pick<AuthService, 'authenticate'>;
  /** Runs after authentication on `/v1/*`: the body limit, which calls `next` or answers 413. */
  limitBody: (c: Context<AppEnv>, next: Next) => Promise<unknown>;
  /** The app's error handler, for an authentication failure. */
  onError: ErrorHandler;
  /** API paths served without a bearer token (the OIDC token exchange); the body limit still applies. */
  noBearer?: (path: string) => boolean;
}

/** Whether a path is under `/v1/*` (as hono matches that pattern: `/v1` itself included). */
const isApiPath = (path: string) => path.startsWith('/v1') && (path.length === 3 || path.charCodeAt(3) === 47);

/**
 * Everything that runs around every request, as one middleware (it was five;
 * each costs a compose step and a closure per request on the hot path):
 * - a request id (a caller's sane `x-request-id` is kept, anything else
 *   replaced), echoed on the response, errors included;
 * - the client address, for auth throttling, audit and logs;
 * - on `/v1/*`: the bearer token authenticated and the principal left for the
 *   handlers (a failure answers through the app's error handler), then the body limit;
 * - one access-log line: id, method, route pattern, status, duration and org.
 *   The route pattern (not the URL) and no headers, so neither a token nor a
 *   query string can reach the log.
 */
export function requestPipeline(deps: PipelineDeps): MiddlewareHandler<AppEnv> {
  const { newId, clientAddressOf, logger, now, auth, limitBody, onError } = deps;
  return async (c, next) => {
    const started = now();
    const id = acceptRequestId(c.req.header('x-request-id'), newId);
    c.set('requestId', id);
    const address = clientAddressOf(c.env);
    c.set('clientAddress', address);
    if (isApiPath(c.req.path) && deps.noBearer?.(c.req.path) === true) {
      const answered = await limitBody(c, next);
      if (answered instanceof Response) c.res = answered;
    } else if (isApiPath(c.req.path)) {
      let principal;
      try {
        principal = await auth.authenticate(c.req.header('authorization'), address, id);
      } catch (err) {
        c.res = onError(err instanceof Error ? err : new Error(String(err)), c);
      }
      if (principal !== undefined) {
        c.set('principal', principal);
        c.set('logOrg', principal.orgName);
        // `next()` resolves to the context; a Response means the limit answered (413) itself.
        const answered = await limitBody(c, next);
        if (answered instanceof Response) c.res = answered;
      }
    } else {
      await next();
    }
    const res = c.res;
    if (!hasRequestId(res)) res.headers.set('x-request-id', id);
    logger.info({
      msg: 'request',
      requestId: id,
      method: c.req.method,
      route: routePath(c, -1),
      status: res.status,
      durationMs: Math.round((now() - started) * 1000) / 1000,
      org: c.get('logOrg'),
    });
  };
}
