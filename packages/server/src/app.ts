import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { LIMITS } from '@dodil/shared';
import { AppError, bodyTooLarge } from './errors/app-error';
import type { AppEnv } from './http/app-env';
import { bodyLimit } from './http/body-limit';
import { createErrorHandler, errorResponse } from './http/error-body';
import { createAccessLog } from './edge/access-log';
import { socketClientAddress } from './edge/client-address';
import type { ClientAddressOf } from './edge/client-address';
import type { Logger } from './edge/logger';
import { requestPipeline } from './http/middleware';
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
  const onError = createErrorHandler(deps.logger);
  const app = new Hono<AppEnv>()
    .use(
      requestPipeline({
        newId: deps.newRequestId ?? randomUUID,
        clientAddressOf: deps.clientAddressOf ?? socketClientAddress,
        accessLog: createAccessLog(deps.logger, deps.now ?? (() => performance.now())),
        auth: deps.auth,
        limitBody: bodyLimit({
          maxSize: LIMITS.bodyBytes,
          onError: (c) => errorResponse(c, bodyTooLarge(LIMITS.bodyBytes), 413),
        }),
        onError,
      }),
    )
    .route('/', healthRoutes(deps.isReady))
    .route('/v1/ignite/secrets', secretRoutes(deps.secrets))
    .route('/v1/ignite/registry-secrets', registrySecretRoutes(deps.secrets));
  app.notFound((c) => errorResponse(c, new AppError('NOT_FOUND', 'no such route')));
  app.onError(onError);
  return app;
}

/** The REST app's type, for typed test clients. */
export type App = ReturnType<typeof createApp>;
