import { GrpcCode } from '@dodil/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/app-env';
import { AppError } from '../errors/app-error';
import { errorResponse } from '../http/error-body';
import { jsonResponse } from '../http/json-response';
import { READINESS_CAUSES } from '../ops/readiness';
import type { ReadinessCheck } from '../ops/readiness';

/** `GET /healthz` answer. */
export const healthResponseSchema = z.object({ status: z.literal('ok') });
/** `GET /readyz` answer when ready. */
export const readyResponseSchema = z.object({ status: z.literal('ready') });
/** `GET /readyz` answer when not: google.rpc.Status with one google.rpc.ErrorInfo per cause. */
export const notReadyResponseSchema = z.object({
  code: z.literal(GrpcCode.UNAVAILABLE),
  message: z.string(),
  details: z
    .array(
      z.object({
        '@type': z.literal('type.googleapis.com/google.rpc.ErrorInfo'),
        reason: z.enum(READINESS_CAUSES),
        domain: z.literal('dodil.ignite.v1'),
      }),
    )
    .min(1),
});

/** Seconds a load balancer or client should wait before asking again. */
const RETRY_AFTER_SECONDS = '5';

/**
 * `/healthz` (the process answers) and `/readyz` (no auth): 503 names every
 * server-side cause as a fixed code (docs/contract.md#operating-it), 200 again once they clear.
 * Without a detailed check, `isReady` alone decides (no cause given).
 */
export function healthRoutes(isReady: () => Promise<boolean>, readiness?: ReadinessCheck) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => jsonResponse(c, { status: 'ok' }, 200))
    .get('/readyz', async (c) => {
      if (readiness === undefined) {
        return (await isReady())
          ? jsonResponse(c, { status: 'ready' }, 200)
          : errorResponse(c, new AppError('UNAVAILABLE', 'not ready: database or keys unusable'));
      }
      const causes = await readiness();
      if (causes.length === 0) return jsonResponse(c, { status: 'ready' }, 200);
      const body: z.infer<typeof notReadyResponseSchema> = {
        code: GrpcCode.UNAVAILABLE,
        message: `not ready: ${causes.join(', ')}`,
        details: causes.map((reason) => ({
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo' as const,
          reason,
          domain: 'dodil.ignite.v1' as const,
        })),
      };
      return jsonResponse(c, body, 503, { 'retry-after': RETRY_AFTER_SECONDS });
    });
}
