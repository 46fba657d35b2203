import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { LIMITS } from '@dodil/shared';
import { AppError } from './errors/app-error';
import type { AppEnv } from './http/app-env';
import { bodyLimit } from './http/body-limit';
import { createErrorHandler, errorResponse } from './http/error-body';
import type { Logger } from './http/logger';
import { accessLog, authenticate, clientAddress, requestId, socketClientAddress } from './http/middleware';
import type { ClientAddressOf } from './http/middleware';
import { healthRoutes } from './routes/health';
import { registrySecretRoutes, secretRoutes } from './routes/secrets';
import type { AuthService } from './services/auth-service';
import type { SecretService } from './services/secret-service';

/** What the REST app is built from. */
export interface AppDeps {
  secrets: SecretService;
  auth: Pick<AuthService, 'authenticate'>;
  isReady: () => Promise<boolean>;
  logger: Logger;
  /** High-resolution clock for durations (ms). */
  now?: () => number;
  newRequestId?: () => string;
  clientAddressOf?: ClientAddressOf;
}

/** Builds the REST app (SPEC §2). Pure: no sockets, no process. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>()
    .use(requestId(deps.newRequestId ?? randomUUID))
    .use(clientAddress(deps.clientAddressOf ?? socketClientAddress))
    .use(accessLog(deps.logger, deps.now ?? (() => performance.now())))
    .use('/v1/*', authenticate(deps.auth))
    .use(
      '/v1/*',
      bodyLimit({
        maxSize: LIMITS.bodyBytes,
        onError: (c) => errorResponse(c, new AppError('INVALID_ARGUMENT', 'request body larger than 64 KiB'), 413),
      }),
    )
    .route('/', healthRoutes(deps.isReady))
    .route('/v1/ignite/secrets', secretRoutes(deps.secrets))
    .route('/v1/ignite/registry-secrets', registrySecretRoutes(deps.secrets));
  app.notFound((c) => errorResponse(c, new AppError('NOT_FOUND', 'no such route')));
  app.onError(createErrorHandler(deps.logger));
  return app;
}

/** The REST app's type, for typed test clients. */
export type App = ReturnType<typeof createApp>;
