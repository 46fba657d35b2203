import { createTokenRequestSchema } from '@dodil/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import { callContext } from '../http/app-env';
import { jsonBody } from '../http/json-body';
import { jsonResponse } from '../http/json-response';
import type { TokenService, TokenView } from '../services/token-service';

// int64 as proto-JSON strings; "0" for "never" (no expiry, not used, not revoked).
const ms = (v: number | undefined) => String(v ?? 0);

/** A token's listing, field by field (never the token or its hash). */
export function renderToken(t: TokenView) {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    // Absent = every slot; the console shows "*".
    ...(t.grants === undefined ? {} : { slots: t.grants }),
    createdAtMs: ms(t.createdAtMs),
    expiresAtMs: ms(t.expiresAtMs),
    lastUsedAtMs: ms(t.lastUsedAtMs),
    revokedAtMs: ms(t.revokedAtMs),
    ...(t.parentId === undefined ? {} : { parentId: t.parentId }),
  };
}

/** The tokens API (docs/contract.md#least-privilege, scope ManageTokens), mounted at `/v1/ignite/tokens`. */
export function tokenRoutes(tokens: TokenService) {
  return new Hono<AppEnv>()
    .post('/', jsonBody(createTokenRequestSchema), async (c) => {
      const minted = await tokens.create(callContext(c), c.get('body'));
      // The token is shown once: no cache may keep it.
      return jsonResponse(
        c,
        { id: minted.id, token: minted.token, expiresAtMs: ms(minted.expiresAtMs) },
        200,
        {
          'cache-control': 'no-store',
        },
      );
    })
    .get('/', async (c) => {
      const list = await tokens.list(callContext(c));
      return jsonResponse(c, { tokens: list.map(renderToken) }, 200);
    })
    .delete('/:id', async (c) => {
      await tokens.revoke(callContext(c), c.req.param('id'));
      return jsonResponse(c, {}, 200);
    });
}
