import { GrpcCode, httpStatusFor } from '@dodil/shared';
import type { Context } from 'hono';
import { AppError } from '../errors/app-error';
import type { AppEnv } from './app-env';
import { jsonResponse } from './json-response';
import type { Logger } from '../edge/logger';

/** The google.rpc.Status body of docs/contract.md#errors for an error code and message. */
export function errorResponse(c: Context<AppEnv>, error: AppError, status?: number): Response {
  return jsonResponse(
    c,
    { code: GrpcCode[error.code], message: error.message, details: [] },
    status ?? httpStatusFor(error.code),
    error.retryAfterSeconds !== undefined ? { 'retry-after': String(error.retryAfterSeconds) } : undefined,
  );
}

/** The app's error handler's shape (also called by the request pipeline for auth failures). */
export type ErrorHandler = (err: Error, c: Context<AppEnv>) => Response;

/**
 * The one error mapper of the REST app. AppError keeps its code and message
 * (malformed JSON and oversized bodies are AppErrors already); anything else is a generic INTERNAL whose details stay in
 * the server log under the request id.
 */
export function createErrorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof AppError) return errorResponse(c, err);
    // err.message can't hold a value: values never reach an exception's text in our code.
    logger.error({
      msg: 'unhandled error',
      requestId: c.get('requestId'),
      error: err.name,
      detail: err.message,
    });
    return errorResponse(
      c,
      new AppError('INTERNAL', `internal error (request id ${c.get('requestId') ?? 'unknown'})`),
    );
  };
}
