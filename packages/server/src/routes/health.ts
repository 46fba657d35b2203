import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import { AppError } from '../errors/app-error';
import { errorResponse } from '../http/error-body';
import { jsonResponse } from '../http/json-response';

/** `/healthz` (the process answers) and `/readyz` (database and keys usable); no auth. */
export function healthRoutes(isReady: () => Promise<boolean>) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => jsonResponse(c, { status: 'ok' }, 200))
    .get('/readyz', async (c) =>
      (await isReady())
        ? jsonResponse(c, { status: 'ready' }, 200)
        : errorResponse(c, new AppError('UNAVAILABLE', 'not ready: database or keys unusable')),
    );
}
