import type { Context, Env, MiddlewareHandler, Next } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';

/** Options of {@link bodyLimit} (those of hono's `bodyLimit`). */
export interface BodyLimitOptions<E extends Env> {
  maxSize: number;
  onError: (c: Context<E>) => Response | Promise<Response>;
}

/**
 * Hono's `bodyLimit`, without its first step on the common paths. That step
 * reads `c.req.raw.body`, and on @hono/node-server the getter turns the
 * lightweight request into a full undici `Request` with an `AbortController`:
 * a third of a GetSecret's CPU time, for a GET that has no body to limit.
 * - GET/HEAD: passed on (node-server gives them no body; hono's check passes them too);
 * - a `Content-Length` without `Transfer-Encoding`: decided from the header, as hono does,
 *   and the body is then read by the fast path of the lightweight request;
 * - anything else (chunked, or a Request from `app.request()` in tests): hono's streaming check.
 */
export function bodyLimit<E extends Env>(options: BodyLimitOptions<E>): MiddlewareHandler<E> {
  if (typeof __DODIL_BENCH_UNDO_BODY_LIMIT__ === 'boolean' && __DODIL_BENCH_UNDO_BODY_LIMIT__)
    return honoBodyLimit(options);
  const streaming = honoBodyLimit(options);
  return (c: Context<E, string>, next: Next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Promise.resolve(
        Number.parseInt(length || '0', 10) > options.maxSize ? options.onError(c) : next(),
      );
    }
    return streaming(c, next);
  };
}
