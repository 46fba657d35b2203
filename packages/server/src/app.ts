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
import type { AuditQueryService } from './audit/audit-query-service';
import { auditRoutes } from './routes/audit';
import type { ReadinessCheck } from './ops/readiness';
import { healthRoutes } from './routes/health';
import { openApiRoutes } from './routes/openapi';
import { registrySecretRoutes, secretRoutes } from './routes/secrets';
import { consoleRoutes } from './ui/console-app';
import type { ConsoleDeps } from './ui/console-deps';
import { tokenRoutes } from './routes/tokens';
import { TOKEN_EXCHANGE_PATH, tokenExchangeRoutes } from './routes/token-exchange';
import type { ExchangeService } from './services/oidc/exchange-service';
import type { AuthService } from './services/auth-service';
import type { SecretService } from './services/secret-service';
import type { TokenService } from './services/token-service';

/** What the REST app is built from. */
export interface AppDeps {
  secrets: SecretService;
  /** `GET /v1/ignite/audit`; the route is absent without it. */
  auditQuery?: AuditQueryService;
  /** The web console at `/ui/` (docs/contract.md#web-console); absent without it. */
  console?: ConsoleDeps;
  /** The tokens API (docs/contract.md#least-privilege); absent: not mounted. */
  tokens?: TokenService;
  /** The OIDC token exchange (docs/contract.md#least-privilege); absent: not mounted. */
  exchange?: ExchangeService;
  auth: Pick<AuthService, 'authenticate'>;
  isReady: () => Promise<boolean>;
  /** The causes behind a 503 from /readyz (docs/contract.md#operating-it); without it /readyz names none. */
  readiness?: ReadinessCheck;
  logger: Logger;
  /** High-resolution clock for durations (ms). */
  now?: () => number;
  newRequestId?: () => string;
  clientAddressOf?: ClientAddressOf;
}

/** Builds the REST app (docs/contract.md#api). Pure: no sockets, no process. */
export function createApp(deps: AppDeps) {
  const onError = createErrorHandler(deps.logger);
  const app = new Hono<AppEnv>()
    .use(
      requestPipeline({
        newId: deps.newRequestId ?? randomUUID,
        clientAddressOf: deps.clientAddressOf ?? socketClientAddress,
        accessLog: createAccessLog(deps.logger, deps.now ?? (() => performance.now())),
        auth: deps.auth,
        limitBody: bodyLimit<AppEnv>({
          maxSize: LIMITS.bodyBytes,
          onError: (c) => errorResponse(c, bodyTooLarge(LIMITS.bodyBytes), 413),
        }),
        onError,
        ...(deps.exchange ? { noBearer: (path: string) => path === TOKEN_EXCHANGE_PATH } : {}),
      }),
    )
    .route('/', healthRoutes(deps.isReady, deps.readiness))
    .route('/', openApiRoutes())
    .route('/v1/ignite/secrets', secretRoutes(deps.secrets))
    .route('/v1/ignite/registry-secrets', registrySecretRoutes(deps.secrets));
  if (deps.auditQuery !== undefined) app.route('/v1/ignite/audit', auditRoutes(deps.auditQuery));
  if (deps.console !== undefined) {
    app.get('/ui', (c) => c.redirect('/ui/', 308)).route('/ui', consoleRoutes(deps.console));
  }
  if (deps.tokens) app.route('/v1/ignite/tokens', tokenRoutes(deps.tokens));
  if (deps.exchange) app.route(TOKEN_EXCHANGE_PATH, tokenExchangeRoutes(deps.exchange));
  app.notFound((c) => errorResponse(c, new AppError('NOT_FOUND', 'no such route')));
  app.onError(onError);
  return app;
}

/** The REST app's type, for typed test clients. */
export type App = ReturnType<typeof createApp>;
