import { describe, expect, test } from 'vitest';
import { ALL_SCOPES } from '@dodil/shared';
import { CONSOLE_CSP } from '../../src/ui/security';
import { gitValue, makeHarness } from '../support/harness';

const ORIGIN = 'http://localhost';

/** Signs in through the form and returns the session cookie and a page's CSRF token. */
async function signIn(h: Awaited<ReturnType<typeof makeHarness>>, token: string) {
  const res = await h.app.request('/ui/login', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = /dodil_session=([^;]+)/.exec(setCookie)?.[1] ?? '';
  const page = await h.app.request('/ui/slots', { headers: { cookie: `dodil_session=${cookie}` } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { cookie, csrf, setCookie };
}

function post(
  h: Awaited<ReturnType<typeof makeHarness>>,
  path: string,
  cookie: string,
  form: Record<string, string>,
  origin = ORIGIN,
) {
  return h.app.request(path, {
    method: 'POST',
    headers: {
      origin,
      cookie: `dodil_session=${cookie}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
}

describe('console over HTTP', () => {
  test('sign-in sets a session cookie (not the token) with strict attributes; pages carry the security headers', async () => {
    const h = await makeHarness();
    const token = await h.token('acme', ALL_SCOPES);
    const { cookie, setCookie } = await signIn(h, token);
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookie).not.toContain(token);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/ui/);
    expect(setCookie).not.toMatch(/Secure/);
    const page = await h.app.request('/ui/slots', { headers: { cookie: `dodil_session=${cookie}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // The database never holds the session id or the token in clear.
    const rows = h.runtime.db.prepare('SELECT * FROM ui_sessions').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    const dump = JSON.stringify(
      rows.map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))),
    );
    expect(dump).not.toContain(token.split('_').slice(2).join('_'));
    expect(Buffer.from(rows[0]?.id_hash as Buffer).toString('base64url')).not.toBe(cookie);
  });

  test('Secure cookie under TLS; a wrong token is refused with one message', async () => {
    const h = await makeHarness({ secureCookies: true });
    const { setCookie } = await signIn(h, await h.token('acme', ALL_SCOPES));
    expect(setCookie).toMatch(/Secure/);
    const bad = await h.app.request('/ui/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=dodil_0123456789abcdef_nope',
    });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('That token was not accepted.');
  });

  test('no session → sign-in page; revoking the token ends the session; the API ignores the cookie', async () => {
    const h = await makeHarness();
    const anon = await h.app.request('/ui/slots');
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/ui/login');
    const { id, token } = await h.runtime.admin
      .createToken({ org: 'acme', scopes: ALL_SCOPES })
      .catch(async () => {
        await h.runtime.admin.createOrg('acme');
        return h.runtime.admin.createToken({ org: 'acme', scopes: ALL_SCOPES });
      });
    const { cookie } = await signIn(h, token);
    const api = await h.app.request('/v1/ignite/secrets', { headers: { cookie: `dodil_session=${cookie}` } });
    expect(api.status).toBe(401);
    await h.runtime.admin.revokeToken(id);
    const after = await h.app.request('/ui/slots', { headers: { cookie: `dodil_session=${cookie}` } });
    expect(after.status).toBe(303);
    expect(h.runtime.db.prepare('SELECT count(*) AS n FROM ui_sessions').get()).toEqual({ n: 0 });
  });

  test('a cross-site post or a missing CSRF token is refused and changes nothing', async () => {
    const h = await makeHarness();
    const token = await h.token('acme', ALL_SCOPES);
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'keep', value: gitValue() } });
    const { cookie, csrf } = await signIn(h, token);
    expect(csrf).not.toBe('');
    const crossSite = await post(h, '/ui/slots/keep/delete', cookie, { csrf }, 'https://evil.example');
    expect(crossSite.status).toBe(403);
    const noCsrf = await post(h, '/ui/slots/keep/delete', cookie, {});
    expect(noCsrf.status).toBe(403);
    expect((await post(h, '/ui/slots/keep/delete', cookie, { csrf }, 'null')).status).toBe(403);
    const fetchSite = await h.app.request('/ui/slots/keep/delete', {
      method: 'POST',
      headers: {
        cookie: `dodil_session=${cookie}`,
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(fetchSite.status).toBe(403);
    // A sign-in form posted from another site is refused too (login CSRF).
    const crossLogin = await h.app.request('/ui/login', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(crossLogin.status).toBe(403);
    expect(crossLogin.headers.get('set-cookie')).toBeNull();
    expect((await h.call('GET', '/v1/ignite/secrets/keep', { token })).status).toBe(200);
    const ok = await post(h, '/ui/slots/keep/delete', cookie, { csrf });
    expect(ok.status).toBe(303);
    expect((await h.call('GET', '/v1/ignite/secrets/keep', { token })).status).toBe(404);
  });

  test('values and names with markup are shown as text', async () => {
    const h = await makeHarness();
    const token = await h.token('acme', ALL_SCOPES);
    const evil = '<script>alert(1)</script>"><img src=x>';
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'x', value: gitValue(evil, evil) } });
    const { cookie, csrf } = await signIn(h, token);
    const revealed = await (await post(h, '/ui/slots/x/reveal', cookie, { csrf })).text();
    expect(revealed).not.toContain('<script>alert');
    expect(revealed).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('a session ends when its token expires, and after 12 hours at most', async () => {
    const h = await makeHarness();
    const page = (cookie: string) =>
      h.app.request('/ui/slots', { headers: { cookie: `dodil_session=${cookie}` } });
    const short = await signIn(h, await h.token('acme', ALL_SCOPES, { expiresInMs: 60_000 }));
    const long = await signIn(h, await h.token('acme', ALL_SCOPES));
    h.clock.advance(59_000);
    expect((await page(short.cookie)).status).toBe(200);
    h.clock.advance(2_000);
    expect((await page(short.cookie)).status).toBe(303);
    expect((await page(long.cookie)).status).toBe(200);
    h.clock.advance(12 * 60 * 60 * 1000);
    expect((await page(long.cookie)).status).toBe(303);
    expect(h.runtime.db.prepare('SELECT count(*) AS n FROM ui_sessions').get()).toEqual({ n: 0 });
  });

  test('sign-out deletes the session; the old cookie no longer opens a page', async () => {
    const h = await makeHarness();
    const { cookie, csrf } = await signIn(h, await h.token('acme', ALL_SCOPES));
    const out = await post(h, '/ui/logout', cookie, { csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/dodil_session=;/);
    const again = await h.app.request('/ui/slots', { headers: { cookie: `dodil_session=${cookie}` } });
    expect(again.status).toBe(303);
    const audit = await h.call('GET', '/v1/ignite/audit?action=ConsoleSignOut', {
      token: await h.token('acme', ALL_SCOPES),
    });
    expect((audit.json.entries as unknown[]).length).toBe(1);
  });

  test('sign-in goes through the same failed-auth throttle as the API', async () => {
    const h = await makeHarness();
    const token = await h.token('acme', ALL_SCOPES);
    const attempt = (t: string) =>
      h.app.request('/ui/login', {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: t }).toString(),
      });
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await attempt('dodil_0123456789abcdef_wrong')).status;
    expect(last).toBe(401);
    // The next failing sign-in from that address is refused without checking it…
    const throttled = await attempt('dodil_0123456789abcdef_wrong');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.headers.get('set-cookie')).toBeNull();
    // …while a valid token is still signed in (docs/contract.md#server: only failures are refused).
    const valid = await attempt(token);
    expect(valid.status).toBe(303);
    expect(valid.headers.get('set-cookie')).toContain('HttpOnly');
  });
});
