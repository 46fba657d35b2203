import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../src/ui/security';
import { expectAccessible, launchChromium, screenshot, signIn } from './support/browser';
import { runServer } from '../support/server-process';
import { consoleWorld } from './support/world';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser.close();
});

async function newPage(options: { bypassCSP: boolean }): Promise<Page> {
  const context = await browser.newContext({
    bypassCSP: options.bypassCSP,
    viewport: { width: 1200, height: 800 },
  });
  onTestFinished(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

/** A page on another origin (another port of 127.0.0.1: same site, so only the Origin check and CSRF token stop it). */
async function hostileSite(html: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('console security and permissions in Chromium', () => {
  test('tokens: create (shown once), use, revoke', { timeout: 180_000 }, async () => {
    const w = await consoleWorld();
    const page = await newPage({ bypassCSP: true });
    await signIn(page, w.base, w.admin);
    await page.getByRole('link', { name: 'Tokens' }).click();
    await expectAccessible(page, 'tokens');
    await page.getByLabel('Name', { exact: true }).fill('ci-reader');
    await page.getByLabel('ListSecrets').check();
    await page.getByLabel('Slot grants').fill('gh-*');
    await page.getByLabel('Expires after').selectOption({ label: '1 day' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = (await page.locator('#new-token-value').textContent())?.trim() ?? '';
    expect(shown).toMatch(/^dodil_[0-9a-f]{16}_/);
    await screenshot(page, 'console-tokens');
    const id = shown.split('_')[1] ?? '';
    const list = () =>
      fetch(`${w.base}/v1/ignite/secrets`, { headers: { authorization: `Bearer ${shown}` } });
    expect((await list()).status).toBe(200);
    await page.goto(`${w.base}/ui/tokens`);
    expect(await page.content()).not.toContain(shown);
    expect(await page.locator('tbody').textContent()).toContain('ci-reader');
    expect(await page.locator('tbody').textContent()).toContain('gh-*');
    await page.getByRole('button', { name: `Revoke token ${id}` }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`Revoked token ${id}`);
    expect((await list()).status).toBe(401);
  });

  test('a token without a scope sees no control for it', { timeout: 180_000 }, async () => {
    const w = await consoleWorld();
    await w.put('only-one', { gitSecret: { username: 'u', token: 't' } });
    const page = await newPage({ bypassCSP: true });
    await signIn(page, w.base, w.token(['ListSecrets']));
    expect(await page.locator('tbody th[scope=row]').allTextContents()).toEqual(['only-one']);
    for (const name of [
      'Tokens',
      'Audit',
      'New git slot',
      'New registry slot',
      'Rotate only-one',
      'Delete only-one',
    ]) {
      expect(await page.getByRole('link', { name }).count(), name).toBe(0);
    }
    expect(await page.getByRole('button', { name: 'Reveal only-one' }).count()).toBe(0);
    await expectAccessible(page, 'slots, read-only token');
    await page.goto(`${w.base}/ui/tokens`);
    expect(await page.getByRole('alert').textContent()).toBe('this token lacks the ManageTokens scope');
    await expectAccessible(page, 'error page');
    await signIn(page, w.base, w.token(['GetSecret']));
    expect(await page.locator('main').textContent()).toContain('This token may not list slots');
    // A token with slot grants sees only its slots.
    await w.put('gh-mine', { gitSecret: { username: 'u', token: 't' } });
    const made = runServer(
      ['token', 'create', '--org', 'acme', '--scopes', 'ListSecrets,GetSecret', '--slots', 'gh-*'],
      w.env,
    );
    expect(made.code).toBe(0);
    await signIn(page, w.base, made.stdout.trim());
    expect(await page.locator('tbody th[scope=row]').allTextContents()).toEqual(['gh-mine']);
  });

  test(
    'cookie attributes, CSP, markup shown as text, and a cross-site form post refused',
    { timeout: 180_000 },
    async () => {
      const w = await consoleWorld();
      const evil = '<img src=x onerror="globalThis.pwned=1"><script>globalThis.pwned=1</script>';
      await w.put('victim', { gitSecret: { username: evil, token: `${evil}-token` } });
      const page = await newPage({ bypassCSP: false });
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      const login = await page.goto(`${w.base}/ui/login`);
      expect(login?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
      await signIn(page, w.base, w.admin);

      const [cookie, ...others] = await page.context().cookies();
      expect(others).toEqual([]);
      expect(cookie).toMatchObject({
        name: 'dodil_session',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/ui',
        secure: false,
      });
      expect(cookie?.value).not.toContain(w.admin.split('_').slice(2).join('_'));
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
        ),
      ).toBe('');
      const storage = await page.evaluate(
        () => (globalThis as unknown as { localStorage: { length: number } }).localStorage.length,
      );
      expect(storage).toBe(0);

      // The CSP refuses injected inline script.
      await page.addScriptTag({ content: 'globalThis.injected = 1' }).catch(() => undefined);
      expect(
        await page.evaluate(() => (globalThis as unknown as { injected?: number }).injected),
      ).toBeUndefined();

      await page.getByRole('button', { name: 'Reveal victim' }).click();
      expect(await page.locator('.secret').allTextContents()).toEqual([evil, `${evil}-token`]);
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(dialogs).toBe(0);

      // A hostile page posting to the console with the victim's cookie, even with a valid CSRF token.
      await page.goto(`${w.base}/ui/slots`);
      const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value')) ?? '';
      const hostile = await hostileSite(
        `<!DOCTYPE html><html lang="en"><title>x</title><form method="post" action="${w.base}/ui/slots/victim/delete">` +
          `<input type="hidden" name="csrf" value="${csrf}"><button>win a prize</button></form></html>`,
      );
      await page.goto(hostile);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/ui/slots/victim/delete')),
        page.getByRole('button', { name: 'win a prize' }).click(),
      ]);
      expect(response.status()).toBe(403);
      expect(await w.status('victim')).toBe(200);
    },
  );
});
