import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';

/** `/healthz` (the process answers) and `/readyz` (database and keys usable); no auth. */
export function healthRoutes(isReady: () => Promise<boolean>) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }, 200))
    .get('/readyz', async (c) =>
      (await isReady())
        ? c.json({ status: 'ready' }, 200)
        : c.json({ code: 14, message: 'not ready: database or keys unusable', details: [] }, 503),
    );
}
