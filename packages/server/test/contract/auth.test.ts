import { describe, expect, test } from 'vitest';
import { SCOPES } from '@dodil/shared';
import { gitValue, makeHarness } from '../support/harness';

describe('authentication (UNAUTHENTICATED, 401)', () => {
  test.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a bare token without Bearer', 'dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
    ['a malformed token', 'Bearer not-a-token'],
    ['an unknown token', 'Bearer dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
  ])('%s → 401', async (_label, authorization) => {
    const h = await makeHarness();
    await h.token();
    const res = await h.call('GET', '/v1/ignite/secrets', {
      ...(authorization === undefined ? {} : { headers: { authorization } }),
    });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 16, details: [] });
  });

  test('a token with a wrong secret part is refused', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await h.call('GET', '/v1/ignite/secrets', { token: forged })).status).toBe(401);
  });

  test('the bearer scheme is case-insensitive', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const res = await h.call('GET', '/v1/ignite/secrets', { headers: { authorization: `bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  test('an expired token is refused', async () => {
    const h = await makeHarness();
    const token = await h.token('acme', SCOPES, { expiresInMs: 60_000 });
    expect((await h.call('GET', '/v1/ignite/secrets', { token })).status).toBe(200);
    h.clock.advance(60_000);
    const res = await h.call('GET', '/v1/ignite/secrets', { token });
    expect([res.status, res.json.message]).toEqual([401, 'token expired']);
  });

  test('a revoked token is refused', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const id = token.split('_')[1] ?? '';
    expect(await h.runtime.admin.revokeToken(id)).toBe(true);
    const res = await h.call('GET', '/v1/ignite/secrets', { token });
    expect([res.status, res.json.message]).toEqual([401, 'token revoked']);
  });
});

describe('scopes (PERMISSION_DENIED, 403)', () => {
  const calls = [
    ['CreateSecret', 'POST', '/v1/ignite/secrets', { name: 'x', value: gitValue() }],
    ['GetSecret', 'GET', '/v1/ignite/secrets/x', undefined],
    ['ListSecrets', 'GET', '/v1/ignite/secrets', undefined],
    ['DeleteSecret', 'DELETE', '/v1/ignite/secrets/x', undefined],
    ['GetSecret', 'GET', '/v1/ignite/registry-secrets?host=ghcr.io', undefined],
  ] as const;

  test.each(calls)('%s needs its scope (%s %s)', async (scope, method, path, body) => {
    const h = await makeHarness();
    const admin = await h.token();
    await h.call('POST', '/v1/ignite/secrets', { token: admin, body: { name: 'x', value: gitValue() } });
    const others = SCOPES.filter((s) => s !== scope);
    const denied = await h.call(method, path, {
      token: await h.token('acme', others),
      ...(body ? { body } : {}),
    });
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({ code: 7, message: `this token lacks the ${scope} scope`, details: [] });
    const allowed = await h.call(method, path, {
      token: await h.token('acme', [scope]),
      ...(body ? { body } : {}),
    });
    expect(allowed.status).toBe(200);
  });

  test('a denied delete deletes nothing', async () => {
    const h = await makeHarness();
    const admin = await h.token();
    await h.call('POST', '/v1/ignite/secrets', { token: admin, body: { name: 'keep', value: gitValue() } });
    await h.call('DELETE', '/v1/ignite/secrets/keep', { token: await h.token('acme', ['GetSecret']) });
    expect((await h.call('GET', '/v1/ignite/secrets/keep', { token: admin })).status).toBe(200);
  });
});

describe('org isolation', () => {
  test('a slot in another org is indistinguishable from a missing one', async () => {
    const h = await makeHarness();
    const a = await h.token('org-a');
    const b = await h.token('org-b');
    await h.call('POST', '/v1/ignite/secrets', {
      token: a,
      body: { name: 'ghcr-pull', value: gitValue('a', 'A-SECRET') },
    });

    const missing = await h.call('GET', '/v1/ignite/secrets/never-existed', { token: b });
    const other = await h.call('GET', '/v1/ignite/secrets/ghcr-pull', { token: b });
    expect([other.status, other.json]).toEqual([
      404,
      { code: 5, message: 'slot ghcr-pull not found', details: [] },
    ]);
    expect(missing.status).toBe(other.status);

    expect((await h.call('GET', '/v1/ignite/secrets', { token: b })).json).toEqual({
      secrets: [],
      nextPageToken: '',
    });
    expect((await h.call('DELETE', '/v1/ignite/secrets/ghcr-pull', { token: b })).status).toBe(200);
    expect((await h.call('GET', '/v1/ignite/secrets/ghcr-pull', { token: a })).json.value).toEqual(
      gitValue('a', 'A-SECRET'),
    );
  });

  test('two orgs can each have a slot of the same name', async () => {
    const h = await makeHarness();
    const a = await h.token('org-a');
    const b = await h.token('org-b');
    await h.call('POST', '/v1/ignite/secrets', {
      token: a,
      body: { name: 'same', value: gitValue('a', 'A') },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token: b,
      body: { name: 'same', value: gitValue('b', 'B') },
    });
    expect((await h.call('GET', '/v1/ignite/secrets/same', { token: a })).json.value).toEqual(
      gitValue('a', 'A'),
    );
    expect((await h.call('GET', '/v1/ignite/secrets/same', { token: b })).json.value).toEqual(
      gitValue('b', 'B'),
    );
  });
});
