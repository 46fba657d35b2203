import { Hono } from 'hono';
import { AppError } from '../errors/app-error';
import { callContext } from '../http/app-env';
import type { ConsoleTokens } from './console-tokens';
import { field, fields } from './format';
import { EXPIRY_CHOICES, TokensPage } from './pages/tokens-page';
import { sendPage, seeOther } from './render';
import type { UiEnv } from './ui-env';

const TOKEN_ID = /^[0-9a-f]{16}$/;

/** The tokens pages (scope ManageTokens, enforced by the tokens service). */
export function tokenRoutes(tokens: ConsoleTokens) {
  return new Hono<UiEnv>()
    .get('/', async (c) => {
      const list = await tokens.list(callContext(c));
      const revoked = c.req.query('revoked');
      const notice = revoked !== undefined && TOKEN_ID.test(revoked) ? `Revoked token ${revoked}` : undefined;
      return sendPage(c, <TokensPage session={c.get('session')} tokens={list} notice={notice} />);
    })
    .post('/', async (c) => {
      const ctx = callContext(c);
      const body = await c.req.parseBody({ all: true });
      const seconds = Number(field(body, 'expiry'));
      const slots = field(body, 'slots')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      let created: { id: string; token: string } | undefined;
      let error: string | undefined;
      try {
        if (!EXPIRY_CHOICES.some(([, s]) => s === seconds))
          throw new AppError('INVALID_ARGUMENT', 'choose an expiry from the list');
        const scopes = fields(body, 'scopes');
        if (scopes.length === 0) throw new AppError('INVALID_ARGUMENT', 'choose at least one scope');
        created = await tokens.create(ctx, {
          name: field(body, 'name'),
          scopes,
          slots,
          expiresInSeconds: seconds === 0 ? undefined : seconds,
        });
      } catch (err) {
        if (!(err instanceof AppError) || err.code === 'UNAUTHENTICATED' || err.code === 'RESOURCE_EXHAUSTED')
          throw err;
        error = err.message;
      }
      const list = await tokens.list(ctx);
      const status = error === undefined ? 200 : 400;
      return sendPage(
        c,
        <TokensPage session={c.get('session')} tokens={list} created={created} error={error} />,
        status,
      );
    })
    .post('/:id/revoke', async (c) => {
      const id = c.req.param('id');
      if (!TOKEN_ID.test(id)) throw new AppError('INVALID_ARGUMENT', 'a token id is 16 hex characters');
      await tokens.revoke(callContext(c), id);
      return seeOther(c, `/ui/tokens?revoked=${id}`);
    });
}
