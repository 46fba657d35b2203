import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/app-env';
import { AppError } from '../errors/app-error';
import { errorResponse } from '../http/error-body';
import { jsonResponse } from '../http/json-response';

/** `GET /healthz` answer. */
export const healthResponseSchema = z.object({ status: z.literal('ok') });
/** `GET /readyz` answer when ready. */
export const readyResponseSchema = z.object({ status: z.literal('ready') });

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
