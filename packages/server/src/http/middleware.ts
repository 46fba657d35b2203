import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AuthService } from '../services/auth-service';
import type { AppEnv } from './app-env';
import type { Logger } from './logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's request id when it is sane (1–64 of `A-Za-z0-9._:-`), else a new one; every protocol uses this. */
export function acceptRequestId(incoming: string | undefined, newId: () => string): string {
  return incoming !== undefined && SAFE_REQUEST_ID.test(incoming) ? incoming : newId();
}

/**
 * Gives every request an id (a caller's sane `x-request-id` is kept, anything
 * else replaced) and echoes it on the response, errors included.
 */
export function requestId(newId: () => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = acceptRequestId(c.req.header('x-request-id'), newId);
    c.set('requestId', id);
    c.header('x-request-id', id);
    await next();
    c.res.headers.set('x-request-id', id);
  };
}

/** Where the peer address of a request comes from (the socket, when there is one). */
export type ClientAddressOf = (env: unknown) => string;

/** Reads the remote address from @hono/node-server's bindings (`env.incoming.socket`). */
export const socketClientAddress: ClientAddressOf = (env) => {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
};

/** Records the client address for auth throttling, audit and logs. */
export function clientAddress(of: ClientAddressOf): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('clientAddress', of(c.env));
    await next();
  };
}

/**
 * One JSON line per request: id, method, route pattern, status, duration and
 * org. The route pattern (not the URL) and no headers, so neither a token nor a
 * query string can reach the log.
 */
export function accessLog(logger: Logger, now: () => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now();
    await next();
    logger.info({
      msg: 'request',
      requestId: c.get('requestId'),
      method: c.req.method,
      route: routePath(c, -1),
      status: c.res.status,
      durationMs: Math.round((now() - started) * 1000) / 1000,
      org: c.get('logOrg'),
    });
  };
}

/** Authenticates the bearer token and leaves the principal for the handlers. */
export function authenticate(auth: Pick<AuthService, 'authenticate'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await auth.authenticate(c.req.header('authorization'), c.get('clientAddress'), c.get('requestId'));
    c.set('principal', principal);
    c.set('logOrg', principal.orgName);
    await next();
  };
}
