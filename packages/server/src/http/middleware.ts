import type { Context, MiddlewareHandler, Next } from 'hono';
import { routePath } from 'hono/route';
import type { AuthService } from '../services/auth-service';
import type { AppEnv } from './app-env';
import type { ErrorHandler } from './error-body';
import { hasRequestId } from './json-response';
import type { AccessLog } from '../edge/access-log';
import type { ClientAddressOf } from '../edge/client-address';
import { acceptRequestId } from '../edge/request-id';

/** What {@link requestPipeline} is built from. */
export interface PipelineDeps {
  newId: () => string;
  clientAddressOf: ClientAddressOf;
  accessLog: AccessLog;
  auth: Pick<AuthService, 'authenticate'>;
  /** Runs after authentication on `/v1/*`: the body limit, which calls `next` or answers 413. */
  limitBody: (c: Context<AppEnv>, next: Next) => Promise<unknown>;
  /** The app's error handler, for an authentication failure. */
  onError: ErrorHandler;
  /** API paths served without a bearer token (the OIDC token exchange); the body limit still applies. */
  noBearer?: (path: string) => boolean;
}

/** Whether a path is under `/v1/*` (as hono matches that pattern: `/v1` itself included). */
const isApiPath = (path: string) =>
  path.startsWith('/v1') && (path.length === 3 || path.charCodeAt(3) === 47);

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
  const { newId, clientAddressOf, accessLog, auth, limitBody, onError } = deps;
  return async (c, next) => {
    const logAccess = accessLog.begin();
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
    logAccess({
      kind: 'request',
      requestId: id,
      method: c.req.method,
      route: routePath(c, -1),
      status: res.status,
      org: c.get('logOrg'),
    });
  };
}
