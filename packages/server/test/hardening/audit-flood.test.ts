import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SCOPES } from '@dodil/shared';
import { createApp } from '../../src/app';
import { createAuthService } from '../../src/services/auth-service';
import { silentLogger } from '../../src/edge/logger';
import type { SecurityOptions } from '../../src/runtime';
import { openRuntime } from '../../src/runtime';
import { TEST_MASTER_KEY, gitValue, tempDir, testClock, testKeyB64 } from '../support/harness';
import { provisionOrg, startServer } from '../support/server-process';

async function world(security: SecurityOptions = {}) {
  const dir = tempDir();
  const clock = testClock();
  const runtime = await openRuntime({
    databaseFile: join(dir, 'dodil.db'),
    masterKey: TEST_MASTER_KEY,
    clock,
    security,
  });
  await runtime.admin.createOrg('acme');
  const app = createApp({
    secrets: runtime.secrets,
    auth: runtime.auth,
    isReady: () => runtime.isReady(),
    logger: silentLogger,
  });
  const token = async (scopes: readonly string[] = SCOPES) =>
    (await runtime.admin.createToken({ org: 'acme', scopes })).token;
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      json: (await res.json()) as Record<string, unknown>,
    };
  };
  const entries = () => runtime.audit.list({ limit: 100_000 });
  return { runtime, app, clock, token, call, entries, close: () => runtime.close() };
}

describe('issue 13 item 2: per-token rate (--token-rate)', () => {
  test('past N per second a token gets 429 + Retry-After; other tokens are unaffected; refills with time', async () => {
    const throttled: string[] = [];
    const w = await world({ tokenRate: 5, onThrottled: (reason) => throttled.push(reason) });
    const [a, b] = [await w.token(), await w.token()];
    for (let i = 0; i < 5; i++) expect((await w.call('GET', '/v1/ignite/secrets', a)).status).toBe(200);
    const refused = await w.call('GET', '/v1/ignite/secrets', a);
    expect([refused.status, refused.retryAfter, refused.json.code]).toEqual([429, '1', 8]);
    expect((await w.call('GET', '/v1/ignite/secrets', b)).status).toBe(200);
    w.clock.advance(200);
    expect((await w.call('GET', '/v1/ignite/secrets', a)).status).toBe(200);
    expect(throttled).toEqual(['token-rate']);
    await w.close();
  });

  test('the default is 1000 per second per token; 0 turns it off', async () => {
    const w = await world();
    const t = await w.token();
    for (let i = 0; i < 1000; i++) expect((await w.call('GET', '/v1/ignite/secrets', t)).status).toBe(200);
    expect((await w.call('GET', '/v1/ignite/secrets', t)).status).toBe(429);
    await w.close();
    const off = await world({ tokenRate: 0 });
    const u = await off.token();
    for (let i = 0; i < 1001; i++) expect((await off.call('GET', '/v1/ignite/secrets', u)).status).toBe(200);
    await off.close();
  }, 90_000);
});

describe('issue 13 item 2: repeated identical failures are one audit entry per window and address', () => {
  test('the reproduction: a GetSecret-only token hammering ListSecrets (403) writes one entry a minute', async () => {
    const w = await world({ tokenRate: 0 });
    const t = await w.token(['GetSecret']);
    const before = (await w.entries()).length;
    for (let i = 0; i < 2000; i++) expect((await w.call('GET', '/v1/ignite/secrets', t)).status).toBe(403);
    // Before the fix: 2,000 entries (one per request).
    const denied = (await w.entries()).slice(before);
    expect(denied.map((e) => [e.action, e.code])).toEqual([['ListSecrets', 'PERMISSION_DENIED']]);
    w.clock.advance(60_000);
    expect((await w.call('GET', '/v1/ignite/secrets', t)).status).toBe(403);
    expect((await w.entries()).at(-1)?.detail).toBe(
      '1999 identical failures before this one not logged individually',
    );
    // Successful reads are never aggregated: every value that leaves is audited.
    const full = await w.token();
    expect((await w.call('POST', '/v1/ignite/secrets', full, { name: 'x', value: gitValue() })).status).toBe(
      200,
    );
    const n = (await w.entries()).length;
    for (let i = 0; i < 20; i++) expect((await w.call('GET', '/v1/ignite/secrets/x', full)).status).toBe(200);
    expect((await w.entries()).length).toBe(n + 20);
    expect((await w.runtime.audit.verify()).ok).toBe(true);
    await w.close();
  });

  test('failed authentications from one address with one bad token are aggregated too', async () => {
    const w = await world({ authFailureLimits: { maxFailures: 1_000_000 } });
    const before = (await w.entries()).length;
    for (let i = 0; i < 500; i++) {
      expect(
        (
          await w.call(
            'GET',
            '/v1/ignite/secrets',
            'dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
          )
        ).status,
      ).toBe(401);
    }
    expect((await w.entries()).length - before).toBe(1);
    await w.close();
  });
});

describe('issue 13 item 2: the audit log refuses writes above a disk floor', () => {
  test('below the floor: 503 UNAVAILABLE + Retry-After, nothing written, not ready; above it again: served', async () => {
    let free = 10 * 1024 * 1024 * 1024;
    const w = await world({ auditMinFreeBytes: 64 * 1024 * 1024, freeBytes: () => free });
    const t = await w.token();
    expect((await w.call('POST', '/v1/ignite/secrets', t, { name: 'x', value: gitValue() })).status).toBe(
      200,
    );
    expect(await w.runtime.isReady()).toBe(true);
    const count = (await w.entries()).length;
    free = 63 * 1024 * 1024;
    const write = await w.call('POST', '/v1/ignite/secrets', t, { name: 'y', value: gitValue() });
    const read = await w.call('GET', '/v1/ignite/secrets/x', t);
    for (const r of [write, read]) expect([r.status, r.json.code, r.retryAfter]).toEqual([503, 14, '60']);
    expect(String(write.json.message)).toContain('audit log cannot be written');
    expect(await w.runtime.isReady()).toBe(false);
    expect(
      await w.runtime.stores.slots.get((await w.runtime.stores.orgs.getByName('acme'))?.id ?? '', 'y'),
    ).toBeUndefined();
    expect((await w.entries()).length).toBe(count);
    free = 65 * 1024 * 1024;
    expect((await w.call('GET', '/v1/ignite/secrets/x', t)).status).toBe(200);
    expect(await w.runtime.isReady()).toBe(true);
    expect((await w.runtime.audit.verify()).ok).toBe(true);
    await w.close();
  });
});

describe('issue 13 item 11: an unknown token id and a wrong secret run the same steps', () => {
  test('both paths read the token row and run one HMAC comparison against a 32-byte hash', async () => {
    const w = await world();
    const real = await w.token();
    const calls: Array<{ storedLength: number }> = [];
    const auth = createAuthService({
      tokens: w.runtime.stores.tokens,
      orgs: w.runtime.stores.orgs,
      pepper: new Uint8Array(32),
      clock: w.clock,
      tokenMatches: (_pepper, _id, _secret, _binding, stored) => {
        calls.push({ storedLength: stored.length });
        return false;
      },
    });
    const wrongSecret = `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = 'dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    for (const presented of [wrongSecret, unknownId]) {
      await expect(auth.authenticate(`Bearer ${presented}`, '127.0.0.1')).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'unknown token',
      });
    }
    // Before the fix: one call (the known id only); the unknown id skipped the HMAC.
    expect(calls).toEqual([{ storedLength: 32 }, { storedLength: 32 }]);
    await w.close();
  });
});

describe('issue 13 item 2: the disk floor in a real server process (statfs of the data dir)', () => {
  test('--audit-min-free-mb above the free space: audited calls are 503 + Retry-After, /readyz 503; below it: served', async () => {
    const dir = tempDir();
    const env = { DODIL_MASTER_KEY: testKeyB64(51), DODIL_DATA_DIR: dir };
    const token = provisionOrg(env);
    // 999,999,999 MiB (~950 TB) is more than any test machine has free.
    const starved = await startServer(['--audit-min-free-mb', '999999999'], env);
    const res = await fetch(`${starved.url}/v1/ignite/secrets`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '60']);
    expect((await fetch(`${starved.url}/readyz`)).status).toBe(503);
    expect(await starved.stop()).toBe(0);
    const fine = await startServer(['--audit-min-free-mb', '1'], env);
    expect(
      (await fetch(`${fine.url}/v1/ignite/secrets`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(200);
    expect((await fetch(`${fine.url}/readyz`)).status).toBe(200);
    expect(await fine.stop()).toBe(0);
  });
});
