import type { z } from 'zod';
import { AppError } from '../errors/app-error';

/**
 * Our zValidator hook: every validation failure becomes INVALID_ARGUMENT with
 * the rules broken, in words (never zod's stringified issue list).
 */
export function validationHook(
  result:
    | { success: true }
    | { success: false; error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } },
): void {
  if (result.success) return;
  const parts = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path === '' || issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`;
  });
  throw new AppError('INVALID_ARGUMENT', [...new Set(parts)].join('; ') || 'invalid request');
}

/** Validates `input` with a shared schema, or throws the hook's INVALID_ARGUMENT (REST bodies and RPC messages alike). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  validationHook(result);
  if (!result.success) throw new AppError('INVALID_ARGUMENT', 'invalid request');
  return result.data;
}
