import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors/app-error';
import type { AppEnv } from './app-env';
import { parseWith } from '../edge/validation';

/**
 * Parses the body as JSON whatever its Content-Type (as gRPC-gateway does, so
 * `curl -d '{…}'` works) and validates it with a shared schema through our
 * hook. The parsed value is left under `body`.
 */
export function jsonBody<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<AppEnv & { Variables: { body: z.output<S> } }> {
  return async (c, next) => {
    const text = await c.req.text();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new AppError('INVALID_ARGUMENT', 'malformed JSON in request body');
    }
    c.set('body', parseWith(schema, raw));
    await next();
  };
}
