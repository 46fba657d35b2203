import { httpStatusFor } from '@dodil/shared';
import type { Context } from 'hono';
import { AppError } from '../errors/app-error';
import type { Logger } from '../edge/logger';
import { ErrorPage } from './pages/slot-pages';
import { sendPage } from './render';
import type { UiEnv } from './ui-env';

/**
 * The console's error handler: a lapsed session goes back to sign-in, a refusal is a page with
 * our message (as text) and the API's status, anything unexpected a generic page (details only
 * in the log, under the request id).
 */
export function consoleErrorHandler(logger: Logger) {
  return async (err: Error, c: Context<UiEnv>) => {
    const session = c.get('session');
    if (err instanceof AppError) {
      if (err.code === 'UNAUTHENTICATED') return c.redirect('/ui/login', 303);
      if (err.retryAfterSeconds !== undefined) c.header('retry-after', String(err.retryAfterSeconds));
      const status = err.message.startsWith('request body larger') ? 413 : httpStatusFor(err.code);
      return sendPage(c, <ErrorPage session={session} title="Not done" message={err.message} />, status);
    }
    logger.error({
      msg: 'unhandled error',
      requestId: c.get('requestId'),
      error: err.name,
      detail: err.message,
    });
    const message = `Something went wrong (request id ${c.get('requestId')}).`;
    return sendPage(c, <ErrorPage session={session} title="Error" message={message} />, 500);
  };
}
