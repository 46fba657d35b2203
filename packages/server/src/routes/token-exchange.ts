import { tokenExchangeRequestSchema } from '@dodil/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import { jsonBody } from '../http/json-body';
import { jsonResponse } from '../http/json-response';
import type { ExchangeService } from '../services/oidc/exchange-service';

/** The one API path that takes no bearer token (docs/contract.md#least-privilege): the caller has none yet. */
export const TOKEN_EXCHANGE_PATH = '/v1/ignite/token:exchange';

/** `POST /v1/ignite/token:exchange`: an OIDC JWT for a short-lived token (mounted at {@link TOKEN_EXCHANGE_PATH}). */
export function tokenExchangeRoutes(exchange: ExchangeService) {
  return new Hono<AppEnv>().post('/', jsonBody(tokenExchangeRequestSchema), async (c) => {
    const done = await exchange.exchange(c.get('body'), {
      clientAddress: c.get('clientAddress'),
      requestId: c.get('requestId'),
    });
    // Logged with its org like any authenticated call.
    c.set('logOrg', done.org);
    return jsonResponse(c, { token: done.token, expiresAtMs: String(done.expiresAtMs) }, 200, {
      'cache-control': 'no-store',
    });
  });
}
