import { LIMITS } from '@dodil/shared';
import { Hono } from 'hono';
import type { Context, Next } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AppError, bodyTooLarge } from '../errors/app-error';
import { callContext } from '../http/app-env';
import { bodyLimit } from '../http/body-limit';
import { CONSOLE_CSS } from './assets';
import { auditRoutes } from './audit-routes';
import type { ConsoleDeps } from './console-deps';
import { consoleErrorHandler } from './error-page';
import { field } from './format';
import { LoginPage } from './pages/login-page';
import { sendPage, seeOther } from './render';
import { consoleHeaders, fromSameOrigin } from './security';
import { slotRoutes } from './slot-routes';
import { tokenRoutes } from './token-routes';
import type { UiEnv } from './ui-env';

/** The session cookie's name. It holds a random session id, never the token. */
export const SESSION_COOKIE = 'dodil_session';

const refuseCrossSite = () =>
  new AppError(
    'PERMISSION_DENIED',
    'this form was not sent from the console itself; reload the page and try again',
  );

/**
 * The web console, mounted at `/ui` (docs/contract.md#web-console): server-rendered pages, no script. Every
 * request of a signed-in page resumes its session (re-checking the token through the auth
 * service); every POST must come from our own origin and carry the session's CSRF token.
 */
export function consoleRoutes(deps: ConsoleDeps) {
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/ui',
    secure: deps.secureCookies,
  } as const;

  async function signedIn(c: Context<UiEnv>, next: Next) {
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = await deps.sessions.resume(cookie, c.get('clientAddress'), c.get('requestId'));
    if (session === undefined) {
      if (cookie !== undefined) deleteCookie(c, SESSION_COOKIE, cookieOptions);
      return seeOther(c, '/ui/login');
    }
    c.set('session', session);
    c.set('principal', session.principal);
    c.set('logOrg', session.principal.orgName);
    if (c.req.method === 'POST') {
      const body = await c.req.parseBody({ all: true });
      if (!deps.sessions.csrfMatches(session, field(body, 'csrf'))) throw refuseCrossSite();
    }
    return next();
  }

  const app = new Hono<UiEnv>()
    .use(consoleHeaders())
    .use(
      bodyLimit({
        maxSize: LIMITS.bodyBytes,
        onError: () => {
          throw bodyTooLarge(LIMITS.bodyBytes);
        },
      }),
    )
    .use(async (c, next) => {
      if (c.req.method === 'POST' && !fromSameOrigin(c)) throw refuseCrossSite();
      return next();
    })
    .get('/assets/console.css', (c) =>
      c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-store' }),
    )
    .get('/login', (c) =>
      sendPage(c, <LoginPage notice={c.req.query('out') === '1' ? 'Signed out.' : undefined} />),
    )
    .post('/login', async (c) => {
      const body = await c.req.parseBody();
      let started;
      try {
        started = await deps.sessions.start(field(body, 'token'), c.get('clientAddress'), c.get('requestId'));
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'UNAUTHENTICATED') throw err;
        // One message for every reason: the sign-in form is not an oracle for token states.
        return sendPage(c, <LoginPage error="That token was not accepted." />, 401);
      }
      c.set('principal', started.session.principal);
      await deps.recordEvent(callContext(c), 'ConsoleSignIn');
      setCookie(c, SESSION_COOKIE, started.cookie, cookieOptions);
      return seeOther(c, '/ui/slots');
    })
    .post('/logout', signedIn, async (c) => {
      await deps.sessions.end(getCookie(c, SESSION_COOKIE));
      await deps.recordEvent(callContext(c), 'ConsoleSignOut');
      deleteCookie(c, SESSION_COOKIE, cookieOptions);
      return seeOther(c, '/ui/login?out=1');
    })
    .use('/*', signedIn)
    .get('/', (c) => seeOther(c, '/ui/slots'))
    .route('/slots', slotRoutes(deps.secrets))
    .route('/tokens', tokenRoutes(deps.tokens))
    .route('/audit', auditRoutes(deps.auditQuery))
    .all('/*', () => {
      throw new AppError('NOT_FOUND', 'there is no such console page');
    });
  app.onError(consoleErrorHandler(deps.logger));
  return app;
}
