import type { GrpcCodeName } from '@dodil/shared';

/**
 * The one error vocabulary of the server: services throw `AppError(code)`, and
 * each protocol's error mapper turns it into its own shape. The message is
 * shown to the caller, so it must never carry a secret value or internals.
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: Exclude<GrpcCodeName, 'OK'>,
    message: string,
    /** Seconds the caller should wait before retrying (RESOURCE_EXHAUSTED, UNAVAILABLE): `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The one INVALID_ARGUMENT for a body over the limit (REST answers it with 413), on every protocol. */
export function bodyTooLarge(maxBytes: number): AppError {
  return new AppError('INVALID_ARGUMENT', `request body larger than ${maxBytes / 1024} KiB`);
}
