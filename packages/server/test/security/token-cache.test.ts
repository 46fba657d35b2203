import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { makeHarness } from '../support/harness';

// The auth service keeps successful verifications while the token store's change stamp holds
// still. These tests use a token first (so it is cached) and then change it behind the cache.
describe('cached token verification never outlives a change to the token', () => {
  test('a token revoked by another connection (the admin CLI) is refused on the very next call', async () => {
    const h = await makeHarness();
    const token = await h.token();
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
    const other = new BetterSqlite3(join(h.dir, 'dodil.db'));
    other.pragma('busy_timeout = 5000');
    other.prepare('UPDATE tokens SET revoked_at_ms = 1 WHERE id = ?').run(token.split('_')[1]);
    other.close();
    const res = await h.call('GET', '/v1/ignite/secrets', { token });
    expect([res.status, res.json.message]).toEqual([401, 'token revoked']);
  });

  test('a token revoked in this process is refused on the very next call', async () => {
    const h = await makeHarness();
    const token = await h.token();
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
    expect(await h.runtime.admin.revokeToken(token.split('_')[1] ?? '')).toBe(true);
    const res = await h.call('GET', '/v1/ignite/secrets', { token });
    expect([res.status, res.json.message]).toEqual([401, 'token revoked']);
  });

  test('expiry is checked on every call, cached or not', async () => {
    const h = await makeHarness();
    const token = await h.token('acme', ['ListSecrets'], { expiresInMs: 60_000 });
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
    h.clock.advance(59_999);
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
    h.clock.advance(1);
    const res = await h.call('GET', '/v1/ignite/secrets', { token });
    expect([res.status, res.json.message]).toEqual([401, 'token expired']);
  });

  test('a forged secret next to a cached token id is still refused', async () => {
    const h = await makeHarness();
    const token = await h.token();
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await h.call('GET', '/v1/ignite/secrets', { token: forged })).status).toBe(401);
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
  });

  test('scopes come from the cached token, not from any other', async () => {
    const h = await makeHarness();
    const reader = await h.token('acme', ['ListSecrets']);
    const writer = await h.token('acme', ['CreateSecret']);
    for (let i = 0; i < 2; i++) {
      expect((await h.call('GET', '/v1/ignite/secrets', { token: reader })).status).toBe(200);
      expect((await h.call('GET', '/v1/ignite/secrets', { token: writer })).status).toBe(403);
    }
  });
});
