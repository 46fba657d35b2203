import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessible, launchChromium, screenshot, signIn } from './support/browser';
import { consoleWorld } from './support/world';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser.close();
});

/** A page in a fresh context; axe needs its script injected, so the CSP is bypassed here (see the attacks file). */
async function newPage(): Promise<Page> {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

const rowNames = (page: Page) => page.locator('tbody th[scope=row]').allTextContents();

describe('console in Chromium', () => {
  test(
    'sign in, create, list, rotate, reveal (audited), filter, delete with confirmation, audit filters, sign out',
    { timeout: 180_000 },
    async () => {
      const w = await consoleWorld();
      const page = await newPage();
      await page.goto(`${w.base}/ui/login`);
      await expectAccessible(page, 'sign-in');
      await screenshot(page, 'console-login');
      await signIn(page, w.base, w.admin);

      await page.getByRole('link', { name: 'New git slot' }).click();
      await expectAccessible(page, 'new slot');
      await page.locator('#name').fill('gh-clone');
      await page.getByLabel('Username').fill('octo');
      await page.getByLabel('Token').fill('ghp_first');
      await screenshot(page, 'console-new-slot');
      await page.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('Created gh-clone');

      await page.getByRole('link', { name: 'New registry slot' }).click();
      await page.locator('#name').fill('ghcr-pull');
      await page.getByLabel('Registry server').fill('ghcr.io');
      await page.getByLabel('Username').fill('bot');
      await page.getByLabel('Password').fill('reg-pass');
      await page.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => rowNames(page)).toEqual(['gh-clone', 'ghcr-pull']);
      await expectAccessible(page, 'slots');
      await screenshot(page, 'console-slots');

      await page.getByRole('link', { name: 'Rotate gh-clone' }).click();
      expect(await page.locator('#secret').inputValue()).toBe('');
      await page.getByLabel('Username').fill('octo2');
      await page.getByLabel('Token').fill('ghp_second');
      await page.getByRole('button', { name: 'Rotate' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('Rotated gh-clone');

      await page.getByRole('button', { name: 'Reveal gh-clone' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Value of gh-clone');
      expect(await page.locator('.secret').allTextContents()).toEqual(['octo2', 'ghp_second']);
      await expectAccessible(page, 'reveal');
      await screenshot(page, 'console-reveal');

      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByLabel('Slot').fill('gh-clone');
      await page.getByLabel('Action').selectOption('GetSecret');
      await page.getByRole('button', { name: 'Filter' }).click();
      const auditRows = page.locator('tbody tr');
      await expect.poll(() => auditRows.count()).toBe(1);
      expect(await auditRows.first().locator('td').allTextContents()).toEqual(
        expect.arrayContaining(['GetSecret', 'gh-clone', 'OK']),
      );
      await expectAccessible(page, 'audit');
      await screenshot(page, 'console-audit');
      await page.getByLabel('Action').selectOption('CreateSecret');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => auditRows.count()).toBe(2);
      await page.getByLabel('Until (UTC)').fill('2001-01-01T00:00');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => auditRows.count()).toBe(0);

      await page.getByRole('link', { name: 'Slots' }).click();
      await page.getByLabel('Name contains').fill('GH');
      await page.getByLabel('Type').selectOption('registry');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => rowNames(page)).toEqual(['ghcr-pull']);
      await page.getByLabel('Type').selectOption('');
      await page.getByLabel('Updated since (UTC)').fill('2999-01-01');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => rowNames(page)).toEqual([]);
      await page.goto(`${w.base}/ui/slots`);

      await page.getByRole('link', { name: 'Delete ghcr-pull' }).click();
      await expectAccessible(page, 'delete confirmation');
      expect(await w.status('ghcr-pull')).toBe(200);
      await page.getByRole('button', { name: 'Yes, delete ghcr-pull' }).click();
      await expect.poll(() => rowNames(page)).toEqual(['gh-clone']);
      expect(await w.status('ghcr-pull')).toBe(404);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('Signed out.');
      await page.goto(`${w.base}/ui/slots`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      expect(w.server.output()).not.toContain('ghp_second');
      await page.context().close();
    },
  );

  test('paging past 100 slots, with and without a filter', { timeout: 180_000 }, async () => {
    const w = await consoleWorld();
    for (let i = 0; i < 130; i++) {
      await w.put(`p${String(i).padStart(3, '0')}`, { gitSecret: { username: 'u', token: 't' } });
    }
    const page = await newPage();
    await signIn(page, w.base, w.admin);
    const first = await rowNames(page);
    expect(first).toHaveLength(100);
    expect(first[0]).toBe('p000');
    expect(first[99]).toBe('p099');
    await page.getByRole('link', { name: 'Next page' }).click();
    const second = await rowNames(page);
    expect(second).toHaveLength(30);
    expect(second[0]).toBe('p100');
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
    await page.getByRole('link', { name: 'First page' }).click();
    expect(await rowNames(page)).toHaveLength(100);
    await page.getByLabel('Name contains').fill('p1');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rowNames(page)).toHaveLength(30);
    await expectAccessible(page, 'slots, paged');
    await page.context().close();
  });

  test(
    'a whole flow by keyboard alone: sign in, create a slot, reveal it',
    { timeout: 180_000 },
    async () => {
      const w = await consoleWorld();
      const page = await newPage();
      await page.goto(`${w.base}/ui/login`);
      /** Presses Tab until the focused element matches (bounded). */
      async function tabTo(test: (el: { id: string; text: string; label: string }) => boolean, what: string) {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press('Tab');
          const el = await page.evaluate(() => {
            const a = (
              globalThis as unknown as {
                document: {
                  activeElement: {
                    id: string;
                    textContent: string | null;
                    getAttribute(n: string): string | null;
                  } | null;
                };
              }
            ).document.activeElement;
            return {
              id: a?.id ?? '',
              text: a?.textContent?.trim() ?? '',
              label: a?.getAttribute('aria-label') ?? '',
            };
          });
          if (test(el)) return;
        }
        throw new Error(`Tab never reached ${what}`);
      }
      await tabTo((el) => el.id === 'token', 'the token field');
      await page.keyboard.type(w.admin);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${w.base}/ui/slots`);
      await tabTo((el) => el.text === 'New git slot', 'New git slot');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/ui\/slots\/new/);
      await tabTo((el) => el.id === 'name', 'the name field');
      await page.keyboard.type('kb-slot');
      await page.keyboard.press('Tab');
      await page.keyboard.type('keyboard-user');
      await page.keyboard.press('Tab');
      await page.keyboard.type('kb-secret');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByRole('status').textContent()).toBe('Created kb-slot');
      await tabTo((el) => el.label === 'Reveal kb-slot', 'the reveal button');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.locator('.secret').allTextContents())
        .toEqual(['keyboard-user', 'kb-secret']);
      await page.context().close();
    },
  );
});
