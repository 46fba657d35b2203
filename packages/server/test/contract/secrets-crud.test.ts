import { describe, expect, test } from 'vitest';
import {
  createSecretResponseSchema,
  errorBodySchema,
  getSecretResponseSchema,
  listSecretsResponseSchema,
} from '@dodil/shared';
import { gitValue, makeHarness, registryValue } from '../support/harness';

describe('CreateSecret / GetSecret / DeleteSecret', () => {
  test('creates a git slot and returns metadata only, with int64 as strings', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'gh-clone', value: gitValue() },
    });
    expect(res.status).toBe(200);
    const body = createSecretResponseSchema.parse(res.json);
    expect(res.json).toEqual({
      metadata: {
        name: 'gh-clone',
        type: 'git_secret',
        createdAtMs: String(h.clock()),
        updatedAtMs: String(h.clock()),
      },
    });
    expect(body.metadata.createdAtMs).toMatch(/^\d+$/);
    expect(res.text).not.toContain('ghp_testtoken');
  });

  test('GetSecret returns the value in full', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'ghcr-pull', value: registryValue() },
    });
    const res = await h.call('GET', '/v1/ignite/secrets/ghcr-pull', { token });
    expect(res.status).toBe(200);
    expect(getSecretResponseSchema.parse(res.json).value).toEqual(registryValue());
    expect((res.json.metadata as Record<string, unknown>).type).toBe('registry_secret');
  });

  test('an empty server address is stored and returned empty', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'hub', value: { registrySecret: { username: 'u', password: 'p' } } },
    });
    const res = await h.call('GET', '/v1/ignite/secrets/hub', { token });
    expect(res.json.value).toEqual({ registrySecret: { username: 'u', password: 'p', serverAddress: '' } });
  });

  test('accepts the proto snake_case spellings on input', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: {
        name: 'snake',
        value: { registry_secret: { username: 'u', password: 'p', server_address: 'quay.io' } },
      },
    });
    expect(res.status).toBe(200);
    const got = await h.call('GET', '/v1/ignite/secrets/snake', { token });
    expect(got.json.value).toEqual({
      registrySecret: { username: 'u', password: 'p', serverAddress: 'quay.io' },
    });
    const git = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'snake-git', value: { git_secret: { username: 'u', token: 't' } } },
    });
    expect(git.status).toBe(200);
  });

  test('upsert keeps createdAtMs, moves updatedAtMs and serves the new value (rotation)', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'gh', value: gitValue('a', 'old') } });
    const created = h.clock();
    h.clock.advance(5_000);
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'gh', value: gitValue('a', 'new') },
    });
    expect(res.json).toEqual({
      metadata: {
        name: 'gh',
        type: 'git_secret',
        createdAtMs: String(created),
        updatedAtMs: String(created + 5_000),
      },
    });
    const got = await h.call('GET', '/v1/ignite/secrets/gh', { token });
    expect(got.json.value).toEqual(gitValue('a', 'new'));
  });

  test('overwriting with another type is FAILED_PRECONDITION and keeps the slot', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'x', value: gitValue() } });
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'x', value: registryValue() },
    });
    expect(res.status).toBe(400);
    expect(errorBodySchema.parse(res.json)).toEqual({
      code: 9,
      message: 'slot x is a git slot; delete it to change its type',
      details: [],
    });
    const got = await h.call('GET', '/v1/ignite/secrets/x', { token });
    expect(got.json.value).toEqual(gitValue());
  });

  test('GetSecret of a missing slot is NOT_FOUND', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const res = await h.call('GET', '/v1/ignite/secrets/nope', { token });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ code: 5, message: 'slot nope not found', details: [] });
  });

  test('delete is idempotent and returns {}', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'd', value: gitValue() } });
    const first = await h.call('DELETE', '/v1/ignite/secrets/d', { token });
    expect([first.status, first.json]).toEqual([200, {}]);
    const again = await h.call('DELETE', '/v1/ignite/secrets/d', { token });
    expect([again.status, again.json]).toEqual([200, {}]);
    expect((await h.call('GET', '/v1/ignite/secrets/d', { token })).status).toBe(404);
  });

  test('list never returns values', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'a', value: gitValue('u', 'SECRET-A') },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'b', value: registryValue('h.io', 'u', 'SECRET-B') },
    });
    const res = await h.call('GET', '/v1/ignite/secrets', { token });
    expect(listSecretsResponseSchema.parse(res.json).secrets.map((s) => s.name)).toEqual(['a', 'b']);
    expect(res.text).not.toMatch(/SECRET-|username|password|token/);
  });
});
